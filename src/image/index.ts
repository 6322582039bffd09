/**
 * Images after reading: the one image type (`Image2D`: data, widthPx, heightPx, pixelSizeNm), the
 * one resampler (area average / bilinear), integer binning, and finding and centring the aggregate.
 */
export { checkImage2D, type Image2D } from './image.js';
export { borderMean, resampleImage, resampleToGrid } from './resample.js';
export { binImage } from './bin.js';
export { centreWindow, estimateBackground, findAggregate, windowOrigin } from './aggregate.js';
