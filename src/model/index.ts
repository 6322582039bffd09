/**
 * The stochastic 3D hetero-aggregate model (docs/model.md): parameters and priors, the generator, and
 * the JSON Lines aggregate format.
 *
 * ```ts
 * import { generateAggregate, MODEL_PRESETS, randomStream } from 'aggstem';
 * const agg = generateAggregate({ ...MODEL_PRESETS.paper, fractalDim: 2.2 }, randomStream(42, 'aggregate', 0));
 * agg.particles.x; // Float64Array, nm
 * ```
 */
export {
  MATERIAL_A,
  MATERIAL_B,
  MODEL_PARAM_NAMES,
  type Aggregate,
  type AggregateQuality,
  type ModelParamName,
  type ModelParams,
  type Particles,
} from './types.js';
export {
  DEFAULT_PRIOR,
  MODEL_PRESETS,
  ModelParamError,
  PARAM_LIMITS,
  QUICK_PRIOR,
  describeParamLimit,
  resolveModelParams,
  samplePrior,
  validateModelParams,
  validateModelPrior,
  varyingParams,
  priorCentre,
  type ModelPresetName,
  type ModelPrior,
  type ParamLimit,
  type ParamPrior,
} from './params.js';
export {
  GENERATE_DEFAULTS,
  GenerationError,
  fractalLawRg,
  generateAggregate,
  measureAggregateQuality,
  subClusterSize,
  type GenerateOptions,
  type GenerationQuality,
} from './generate.js';
export {
  AggregateFormatError,
  aggregateToJsonLine,
  iterateAggregatesJsonl,
  parseAggregateLine,
  readAggregatesJsonl,
  writeAggregatesJsonl,
} from './jsonl.js';
export {
  completeParams,
  paramsFromEstimate,
  paramScalingFromPrior,
  scaleParams,
  scaleValue,
  thetaToVector,
  unscaleDerivative,
  unscaleParams,
  unscaleValue,
  validateParamScaling,
  type ParamScale,
  type ParamScaling,
} from './theta.js';
