/**
 * TensorFlow.js backends for aggstem's CNN.
 *
 * - {@link initBackend}`('auto' | 'tensorflow' | 'wasm' | 'cpu')` activates a backend and returns the
 *   project's single `tf` namespace, the backend's name and why it was chosen. `auto` prefers native
 *   TensorFlow (built by `npm run setup`), then wasm, then the pure-JS cpu backend.
 * - {@link fileSaveHandler} / {@link fileLoadHandler} save and load models as files on every backend
 *   (`model.json` + `weights.bin`, the tfjs-node layout).
 * - {@link registerWasmConv2DBackpropFilter} adds the filter-gradient kernel the wasm backend lacks
 *   (initBackend does this for you).
 *
 * @example
 * ```ts
 * const { tf, name, reason } = await initBackend();   // e.g. 'tensorflow', 'auto: native TensorFlow 2.21.0 …'
 * await model.save(fileSaveHandler('runs/model'));
 * const again = await tf.loadLayersModel(fileLoadHandler('runs/model/model.json'));
 * ```
 * @module
 */
export {
  initBackend,
  nativeTensorFlowStatus,
  BackendUnavailableError,
  type BackendName,
  type BackendPreference,
  type BackendInfo,
  type BackendOptions,
  type NativeStatus,
} from './select.js';
export { fileSaveHandler, fileLoadHandler } from './file-io.js';
export { registerWasmConv2DBackpropFilter } from './wasm-conv2d-backprop-filter.js';
