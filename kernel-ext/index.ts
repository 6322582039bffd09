/**
 * aggstem's notebook extension for the tslab kernel: rich, multi-MIME outputs.
 *
 * In a notebook:
 * ```ts
 * import * as ag from 'aggstem';
 * import { show, progressView } from 'aggstem/kernel-ext';
 * await show(aggregate);          // interactive 3D view (plotly), spheres coloured by material
 * await show(image);              // PNG with a scale bar (a simulated StemImage: + colour bar, as SVG)
 * await show(vegaLiteSpec);       // chart (vega-lite JSON + SVG)
 * await show(arqueroTable);       // HTML table
 * const p = progressView('Training'); p.update({ epoch: 1, epochs: 10, loss: 0.3 }); p.done();
 * ```
 * Each output carries several MIME types so JupyterLab, VS Code, nbconvert HTML and plain-text
 * viewers each pick one they can render. The `*Bundle` builders are pure functions that return
 * those bundles without a kernel (tests, custom displays).
 *
 * @packageDocumentation
 */
export { show, showGrid, compare, gridBundle, bundleFor, showKind, isSphereSet, isImageLike, resetPlotlyInjection } from './show.js';
export { descriptorBundle, estimateBundle } from './records.js';
export { saveFigure, type SaveFigureOptions, type SavedFigure } from './save-figure.js';
export { chromiumExecutable } from './browser.js';
export { imageFigure, colourBarTicks, type ImageFigureOptions } from './image-figure.js';
export { datasetBundle, imageSeriesBundle, isDataset, isImageSeries } from './grid.js';
export { richTextSvg, richTextHtml, plainText, hasRichText, textWidthPx } from './rich-text.js';
export { STEM_CHANNEL_MEANING } from './display-image.js';
export { aggregateFramesFigure } from '../src/analysis/aggregate-frames.js';
export { predictionExplorerFigure, type PredictionPoints } from './explorer.js';
export { montage, particleBox, crop, type Montage, type PixelBox } from './montage.js';
export type { GridOptions, ShowKind, ShowOptions, StemChannel } from './show.js';
export {
  aggregateBundle,
  aggregateFigure,
  plotlyBundle,
  plotlyHtml,
  plotlyJsSource,
  icosphere,
  defaultIcosphereLevel,
  describeSpheres,
  MATERIAL_STYLES,
} from './aggregate-figure.js';
export type {
  AggregateFigureOptions,
  Icosphere,
  MaterialStyle,
  PlotlyBundleOptions,
  PlotlyFigure,
  PlotlyHtmlOptions,
  SphereSet,
} from './aggregate-figure.js';
export {
  imageBundle,
  imageBundleWithInfo,
  renderImage,
  encodePng,
  scaleBarFor,
  niceLengthNm,
  lengthLabel,
  colormapLut,
  finiteQuantiles,
} from './image.js';
export type {
  ColormapName,
  ImageBundleOptions,
  ImageBundleResult,
  ImageLike,
  ImageRenderOptions,
  RenderedImage,
  ScaleBar,
  ScaleBarOptions,
} from './image.js';
export { vegaLiteBundle, vegaLiteToSvg, isVegaLiteSpec, esmImport, VEGA_LITE_SCHEMA } from './vega.js';
export type { VegaLiteSpec } from './vega.js';
export { tableBundle, isTableLike } from './table.js';
export type { TableBundleOptions, TableLike } from './table.js';
export { progressView, progressBundle, progressFraction, formatDuration, lossCurveSvg } from './progress.js';
export type { LossPoint, ProgressRender, ProgressState, ProgressView, ProgressViewOptions, TrainBatchInfo, TrainEpochInfo, TrainEpochLog } from './progress.js';
export { displayBundle, newBundleDisplay, displayMode, NoKernelError } from './tslab-bridge.js';
export type { DisplayBundleOptions, DisplayMode, UpdatableDisplay } from './tslab-bridge.js';
export { MIME, escapeHtml, jsonForScript, toBase64 } from './mime.js';
export type { MimeBundle, MimeMetadata } from './mime.js';
