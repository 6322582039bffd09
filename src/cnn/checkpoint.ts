/**
 * Checkpoints of a training run: after every epoch the run state (weights, Adam state, best weights,
 * history, counters, input transform) goes to `<outDir>/checkpoint/epoch-NNNN/`, written to a temporary
 * directory and renamed into place whole, so `--resume` continues the SAME run. docs/cnn.md.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Seed } from '../random/index.js';
import { sha256, type EpochLog, type InputTransform } from './estimator.js';
import type { NetworkSpec } from './network.js';

/** The part of a run's configuration that must not change on resume. */
export interface RunConfig {
  seed: Seed;
  batchSize: number;
  learningRate: number;
  lrDecay: number;
  warmupEpochs: number;
  network: NetworkSpec;
  paramNames: string[];
  scaling: unknown;
  imageSize: number;
  pixelSizeNm: number;
  /** The dataset's config hash (null for in-memory data). */
  dataConfigHash: string | null;
  /** Descriptor targets and their scaling (absent for parameter-only runs). */
  descriptorNames?: string[];
  descriptorScaling?: unknown;
  maxIndex?: number;
  clean?: boolean;
}

export interface CheckpointState {
  format: 'aggstem-checkpoint';
  formatVersion: 1;
  /** Completed epochs = the next epoch to run. */
  nextEpoch: number;
  config: RunConfig;
  inputTransform: InputTransform;
  history: EpochLog[];
  bestEpoch: number;
  bestLoss: number | null;
  epochsSinceBest: number;
  specs: { weights: tf.io.WeightsManifestEntry[]; optimizer: tf.io.WeightsManifestEntry[] };
  sha256: { weights: string; optimizer: string; best: string };
}

export const CKPT_DIR = 'checkpoint';

export const epochDirName = (nextEpoch: number) => `epoch-${String(nextEpoch).padStart(4, '0')}`;

export function latestCheckpoint(outDir: string): string | null {
  const dir = join(outDir, CKPT_DIR);
  if (!existsSync(dir)) return null;
  const names = readdirSync(dir)
    .filter((n) => /^epoch-\d{4,}$/.test(n) && existsSync(join(dir, n, 'state.json')))
    .sort();
  return names.length ? join(dir, names[names.length - 1]!) : null;
}

export async function encode(tensors: tf.Tensor[], prefix: string): Promise<{ data: Uint8Array; specs: tf.io.WeightsManifestEntry[] }> {
  const { data, specs } = await tf.io.encodeWeights(tensors.map((tensor, i) => ({ name: `${prefix}${i}`, tensor })));
  return { data: new Uint8Array(data), specs };
}

export function decode(data: Uint8Array, specs: tf.io.WeightsManifestEntry[], prefix: string): tf.Tensor[] {
  const map = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer, specs);
  return specs.map((_, i) => map[`${prefix}${i}`]!);
}

export function weightsAsTensors(values: Float32Array[], like: tf.Tensor[]): tf.Tensor[] {
  return values.map((v, i) => tf.tensor(v, like[i]!.shape, 'float32'));
}

export async function writeCheckpoint(
  outDir: string,
  state: Omit<CheckpointState, 'specs' | 'sha256'>,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  best: Float32Array[],
): Promise<void> {
  const root = join(outDir, CKPT_DIR);
  mkdirSync(root, { recursive: true });
  const w = await encode(model.getWeights(), 'w');
  const optWeights = await optimizer.getWeights();
  const o = await encode(optWeights.map((n) => n.tensor), 'o');
  // getWeights() of Adam returns a fresh iterations scalar; the rest are its live variables.
  optWeights[0]?.tensor.dispose();
  const bestBytes = new Uint8Array(best.reduce((s, a) => s + a.byteLength, 0));
  let off = 0;
  for (const a of best) { bestBytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off); off += a.byteLength; }
  const full: CheckpointState = { ...state, specs: { weights: w.specs, optimizer: o.specs }, sha256: { weights: sha256(w.data), optimizer: sha256(o.data), best: sha256(bestBytes) } };
  const name = epochDirName(state.nextEpoch);
  const tmp = join(root, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  writeFileAtomic(join(tmp, 'weights.bin'), w.data);
  writeFileAtomic(join(tmp, 'optimizer.bin'), o.data);
  writeFileAtomic(join(tmp, 'best.bin'), bestBytes);
  writeFileAtomic(join(tmp, 'state.json'), JSON.stringify(full) + '\n');
  const final = join(root, name);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  for (const n of readdirSync(root)) if (n !== name) rmSync(join(root, n), { recursive: true, force: true });
}

export interface LoadedCheckpoint {
  state: CheckpointState;
  weights: tf.Tensor[];
  optimizer: tf.Tensor[];
  best: Float32Array[];
}

export function readCheckpoint(dir: string): LoadedCheckpoint {
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as CheckpointState;
  if (state.format !== 'aggstem-checkpoint' || state.formatVersion !== 1) throw new TrainConfigError(`${dir}/state.json is not an aggstem checkpoint (format ${JSON.stringify(state.format)})`);
  const bytes = (name: 'weights' | 'optimizer' | 'best') => {
    const b = new Uint8Array(readFileSync(join(dir, `${name}.bin`)));
    if (sha256(b) !== state.sha256[name]) throw new TrainConfigError(`checkpoint ${dir}: ${name}.bin does not match its checksum (corrupt file)`);
    return b;
  };
  const weights = decode(bytes('weights'), state.specs.weights, 'w');
  const optimizer = decode(bytes('optimizer'), state.specs.optimizer, 'o');
  const bb = bytes('best');
  const best: Float32Array[] = [];
  let off = 0;
  for (const t of weights) {
    const n = t.size;
    best.push(new Float32Array(bb.buffer.slice(bb.byteOffset + off, bb.byteOffset + off + 4 * n)));
    off += 4 * n;
  }
  return { state, weights, optimizer, best };
}

/** JSON with object keys sorted, so equal settings compare equal whatever their key order. */
export function canonical(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))) : v,
  );
}

export function configDiff(a: RunConfig, b: RunConfig): string[] {
  return (Object.keys(a) as (keyof RunConfig)[])
    .filter((k) => canonical(a[k]) !== canonical(b[k]))
    .map((k) => `${k}: checkpoint ${JSON.stringify(a[k])}, now ${JSON.stringify(b[k])}`);
}

/** A training request that conflicts with the model directory or is invalid. */
export class TrainConfigError extends UserError {
  override name = 'TrainConfigError';
}
