/**
 * Faster gradients on the native TensorFlow backend (tfjs-node), found by profiling a training step.
 *
 * tfjs differentiates ReLU as `dy · step(x)`, and tfjs-node builds `step` from seven whole-tensor ops
 * (IsNan, Greater, Fill ×2, Select ×2, …). On the reference network that was a fifth of the step time.
 * TensorFlow has the fused op `ReluGrad` (one pass, same result: dy where x > 0, else 0), so on the
 * 'tensorflow' backend the ReLU gradient calls it. Other backends keep tfjs's own gradient.
 *
 * Hand-written because tfjs has no hook for per-backend gradients: the gradient registry is global, so
 * the override checks the active backend at call time and otherwise delegates to the original.
 */
import * as tf from '@tensorflow/tfjs';

const RELU_GRAD_KERNEL = 'AggstemNativeReluGrad';

/** The parts of tfjs-node's NodeJSKernelBackend we use (it is not exported as a type). */
interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: { name: string; type: number; value: unknown }[], inputs: tf.TensorInfo[]): tf.TensorInfo;
}

let original: tf.GradConfig | undefined;

/** Whether the fast ReLU gradient is installed (see {@link setTensorflowFastPaths}). */
export function tensorflowFastPathsEnabled(): boolean {
  return original !== undefined;
}

/**
 * Installs (`true`) or removes (`false`) the native-TensorFlow fast paths. Idempotent. The results are
 * the same as tfjs's (tests compare them); only the speed differs.
 */
export function setTensorflowFastPaths(on: boolean): void {
  if (on === tensorflowFastPathsEnabled()) return;
  if (!on) {
    tf.registerGradient(original!);
    original = undefined;
    return;
  }
  if (tf.getKernel(RELU_GRAD_KERNEL, 'tensorflow') === undefined) {
    tf.registerKernel({
      kernelName: RELU_GRAD_KERNEL,
      backendName: 'tensorflow',
      kernelFunc: ({ inputs, backend }) => {
        const be = backend as unknown as NativeBackend;
        const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
        return be.executeSingleOutput('ReluGrad', [{ name: 'T', type: be.binding.TF_ATTR_TYPE, value: be.binding.TF_FLOAT }], [dy, x]);
      },
    });
  }
  const stock = tf.getGradient('Relu');
  if (stock === undefined) throw new Error('setTensorflowFastPaths: tfjs has no gradient registered for Relu');
  original = stock;
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const dyT = dy as tf.Tensor;
      const x = saved[0]!;
      if (tf.getBackend() === 'tensorflow' && x.dtype === 'float32' && dyT.dtype === 'float32') {
        return { x: () => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: dyT, x }) as tf.Tensor };
      }
      return stock.gradFunc(dy, saved, attrs);
    },
  });
}
