/**
 * Saving and loading tfjs models as files on every backend.
 *
 * `model.save('file://…')` only works when tfjs-node is loaded (it registers the file:// router), so on
 * wasm and cpu it fails with "Cannot find any save handlers". These handlers use tfjs's IO-handler API
 * instead and write the same layout as tfjs-node (`model.json` + `weights.bin`), so files move freely
 * between backends and other tfjs tools.
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../../io/atomic.js';

/** File names inside a saved model directory (the names tfjs-node uses). */
export const MODEL_JSON_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/**
 * An IO handler that saves a model into directory `dir` as `model.json` + `weights.bin`:
 * `await model.save(fileSaveHandler('out/model'))`. Each file is written atomically, weights first, so
 * a crash never leaves a model.json that points at missing weights. Other files in `dir` are kept.
 */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`fileSaveHandler: dir must be a non-empty path, got ${JSON.stringify(dir)}`);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('fileSaveHandler: binary model topologies (graph models) are not supported; save a layers model');
      }
      const wd = artifacts.weightData;
      const weights = new Uint8Array(wd === undefined ? new ArrayBuffer(0) : Array.isArray(wd) ? tf.io.CompositeArrayBuffer.join(wd) : wd);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
      };
      if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.signature != null) modelJson.signature = artifacts.signature;
      if (artifacts.userDefinedMetadata != null) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.modelInitializer != null) modelJson.modelInitializer = artifacts.modelInitializer;
      writeFileAtomic(join(dir, WEIGHTS_FILE), weights);
      writeFileAtomic(join(dir, MODEL_JSON_FILE), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

/**
 * An IO handler that loads a model saved by {@link fileSaveHandler} or by tfjs-node's `file://`
 * (any number of weight shards): `await tf.loadLayersModel(fileLoadHandler('out/model/model.json'))`.
 * A directory is accepted too (its `model.json` is used). Checks that the weight files hold exactly
 * the bytes model.json describes.
 */
export function fileLoadHandler(modelJsonPath: string): tf.io.IOHandler {
  if (typeof modelJsonPath !== 'string' || modelJsonPath === '') {
    throw new TypeError(`fileLoadHandler: modelJsonPath must be a non-empty path, got ${JSON.stringify(modelJsonPath)}`);
  }
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      let path = resolve(modelJsonPath);
      if (existsSync(path) && statSync(path).isDirectory()) path = join(path, MODEL_JSON_FILE);
      if (!existsSync(path)) throw new Error(`fileLoadHandler: model file ${path} does not exist`);
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(readFileSync(path, 'utf8')) as tf.io.ModelJSON;
      } catch (e) {
        throw new Error(`fileLoadHandler: ${path} is not valid JSON (${(e as Error).message})`);
      }
      if (json === null || typeof json !== 'object' || json.modelTopology == null) {
        throw new Error(`fileLoadHandler: ${path} has no modelTopology; expected a tfjs layers model.json`);
      }
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const parts: Buffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const file = join(dirname(path), p);
            if (!existsSync(file)) throw new Error(`fileLoadHandler: weight file ${file} named in ${path} does not exist`);
            parts.push(readFileSync(file));
          }
        }
        const bytes = Buffer.concat(parts);
        const expected = specs.reduce((s, w) => s + weightByteLength(w), 0);
        if (bytes.byteLength !== expected) {
          throw new Error(`fileLoadHandler: the weight files of ${path} hold ${bytes.byteLength} bytes but model.json describes ` +
            `${expected}; the model directory is incomplete or mixes two saves`);
        }
        // Copy into a fresh ArrayBuffer: Buffers may share a larger pooled one.
        return [specs, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer];
      });
    },
  };
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, float16: 2, uint8: 1, uint16: 2 };

function weightByteLength(w: tf.io.WeightsManifestEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  if (w.quantization) {
    const bytes = DTYPE_BYTES[w.quantization.dtype];
    if (bytes === undefined) throw new Error(`fileLoadHandler: weight ${w.name} has unknown quantization dtype ${w.quantization.dtype}`);
    return n * bytes;
  }
  if (w.dtype === 'string') throw new Error(`fileLoadHandler: string weights (${w.name}) are not supported`);
  const bytes = DTYPE_BYTES[w.dtype];
  if (bytes === undefined) throw new Error(`fileLoadHandler: weight ${w.name} has unknown dtype ${w.dtype}`);
  return n * bytes;
}
