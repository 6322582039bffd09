/** Parameter scaling lives in the θ codec of the model stage (`src/model/theta.ts`); re-exported for the CNN. */
export {
  paramScalingFromPrior, scaleParams, scaleValue, unscaleDerivative, unscaleParams, unscaleValue, validateParamScaling,
  type ParamScale, type ParamScaling,
} from '../model/theta.js';
