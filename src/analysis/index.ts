/**
 * Error analysis (docs/error-analysis.md): metrics, arquero tables, vega-lite figures and the self-contained HTML
 * report.
 */
export { r2Score, meanAbsoluteError, rmse, relativeError, relativeErrors, wasserstein1, intervalCoverage, coverageStandardError } from './metrics.js';
export * from './errors.js';
export * from './figures.js';
export * from './report.js';
export * from './evaluate.js';
export * from './draws.js';
export * from './twins.js';
export { CALIBRATION_LEVELS, pitCoverage, pitCalibrationTable, rankHistogramTable, chiSquareSurvival, type PitValues } from './calibration.js';
export { descriptorRouteTable, directSampleTable, type DirectDescriptorPredictions } from './routes.js';
export { evaluationSummary, type EvaluationSummary } from './summary.js';
export { writeEvaluation } from './write-evaluation.js';
export { runPipeline, PIPELINE_DEFAULTS, type PipelineConfig, type PipelineProgress, type PipelineResult } from './pipeline.js';
export { aggregateFigure, plotlyHtml, MATERIAL_STYLES, type AggregateFigureOptions, type PlotlyFigure, type SphereSet, type MaterialStyle } from './aggregate-figure.js';
export { quantitySymbol, quantityLabel, type QuantitySymbol, type QuantityLabelOptions } from './symbols.js';
export { predictedVsTrueFigure, calibrationFigure, descriptorErrorFigure, modelGalleryFigure, gridColumns, PAPER_CONFIG, ROUTE_STYLE, JOURNAL_WIDTH_MM, JOURNAL_WIDTH_PX } from './paper-figures.js';
