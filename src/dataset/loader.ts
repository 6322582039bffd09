/**
 * The streaming loader for training and evaluation: opens a dataset directory, checks it against
 * its manifest, and yields batches shard by shard (never the whole dataset in memory), in a seeded
 * shuffled order, with optional D4 augmentation and fresh detector noise per epoch.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeNpy, readNpy, readNpyHeader, type NpyArray } from '../io/npy.js';
import type { ModelPrior } from '../model/params.js';
import type { ModelParamName } from '../model/types.js';
import { deriveStream, integer, randomStream, shuffleInPlace, type Seed } from '../random/index.js';
import type { MicroscopeConfig } from '../stem/config.js';
import { addNoise } from '../stem/index.js';
import { binnedNoiseConfig, d4Transform } from './augment.js';
import { DatasetError } from './errors.js';
import { sha256File, sha256Hex } from './hash.js';
import { readManifest, type DatasetManifest, type ShardEntry } from './manifest.js';
import type { Split } from './split.js';
import { descriptorColumn, readShardTable } from './table.js';

/** An opened dataset directory (see {@link openDataset}). Plain data; safe to inspect in a notebook. */
export interface Dataset {
  /** Absolute path of the directory. */
  dir: string;
  manifest: DatasetManifest;
  /** Samples in the directory (all shards present), failed ones included. */
  count: number;
  /** Accepted samples per split (what the loader can yield). */
  splitCounts: Record<Split, number>;
  /** The varying model parameters (the CNN targets), canonical order. */
  paramNames: ModelParamName[];
  prior: ModelPrior;
  /** Microscope the images were simulated with (before binning). */
  microscope: MicroscopeConfig;
  /** Side of the stored images = the CNN input, px. */
  imageSize: number;
  /** Pixel size of the stored images = the CNN input, nm. */
  pixelSizeNm: number;
  /** The dataset seed (default seed of the loader's shuffles). */
  seed: Seed;
}

/** One mini-batch. */
export interface Batch {
  /** `[size, side, side]` row-major, normalised noisy intensity `(S − offset)/(g N0)`. */
  images: Float32Array;
  /** `[size, P]` raw parameter values, columns in `paramNames` order. */
  params: Float64Array;
  /** Sample index of every row. */
  indices: Int32Array;
  /** `[size, Q]` descriptor values of the imaged aggregates, columns in `descriptorNames` order (when asked for). */
  descriptors?: Float64Array;
  size: number;
}

/** Options of {@link batches}. */
export interface BatchOptions {
  split: Split;
  batchSize: number;
  /** Epoch number: with the seed, it fixes the shuffle, the augmentation and the fresh noise. */
  epoch: number;
  /** Seed of the loader's randomness (default: the dataset seed). */
  seed?: Seed;
  /** Shuffle shard order and order within shards (default true). */
  shuffle?: boolean;
  /** Apply one of the 8 rotations/flips (D4) per sample (default false). */
  augment?: boolean;
  /** Draw new detector noise from the clean intensity instead of using the stored noisy image (default false). */
  freshNoise?: boolean;
  /** Skip the last, smaller batch (default false). */
  dropRemainder?: boolean;
  /** Yield the stored clean (noise-free) intensity instead of the noisy image (default false; ignored with freshNoise). */
  kind?: 'noisy' | 'clean';
  /** Also yield these descriptors of every sample (the image-conditioned targets), `batch.descriptors`. */
  descriptorNames?: readonly string[];
  /**
   * Only samples with index below this (default: all). Training subsets for learning curves: the
   * subsets are nested, and each sample keeps its split.
   */
  maxIndex?: number;
}

/** Rows of one shard's table that the loader needs, cached per opened dataset. */
interface ShardRows {
  index: Int32Array;
  split: string[];
  ok: Uint8Array;
  /** `[rows, P]` in `paramNames` order. */
  params: Float64Array;
  /** Every numeric column of the shard table. */
  numbers: Record<string, Float64Array | number[]>;
}

interface LoaderState {
  verified: Set<string>;
  rows: Map<number, ShardRows>;
}

const STATE = new WeakMap<Dataset, LoaderState>();

function state(ds: Dataset): LoaderState {
  let s = STATE.get(ds);
  if (!s) {
    s = { verified: new Set(), rows: new Map() };
    STATE.set(ds, s);
  }
  return s;
}

/**
 * Opens a dataset directory: reads and checks `manifest.json` and that every listed shard file is
 * present with its recorded size. SHA-256 checksums are verified lazily, the first time a shard is
 * read. An incomplete directory (a part, or an interrupted run) is refused unless
 * `allowIncomplete`, because its splits would silently miss samples.
 */
export function openDataset(dir: string, opts: { allowIncomplete?: boolean } = {}): Dataset {
  const abs = resolve(dir);
  const manifest = readManifest(abs);
  if (!manifest) throw new DatasetError(`${dir} has no manifest.json; is it a dataset directory (aggstem dataset --out ${dir})?`);
  if (!manifest.complete && !opts.allowIncomplete) {
    throw new DatasetError(
      `${dir} is incomplete: shards ${manifest.missingShards} of ${manifest.totalShards} are missing; ` +
        `re-run the same \`aggstem dataset\` command to finish it, or merge the parts (aggstem dataset merge)`,
    );
  }
  for (const s of manifest.shards) {
    for (const f of [s.files.clean, s.files.noisy, s.files.table]) {
      let size: number;
      try {
        size = statSync(join(abs, f.name)).size;
      } catch {
        throw new DatasetError(`${dir}: shard file ${f.name} is missing (listed in the manifest)`);
      }
      if (size !== f.bytes) throw new DatasetError(`${dir}: shard file ${f.name} has ${size} bytes, the manifest says ${f.bytes} (truncated or overwritten)`);
    }
  }
  const cfg = manifest.config;
  return {
    dir: abs,
    manifest,
    count: manifest.totals.samples,
    splitCounts: { ...manifest.totals.splits },
    paramNames: [...manifest.paramNames],
    prior: cfg.prior,
    microscope: cfg.microscope,
    imageSize: manifest.image.widthPx,
    pixelSizeNm: manifest.image.pixelSizeNm,
    seed: cfg.seed,
  };
}

function shardEntry(ds: Dataset, k: number): ShardEntry {
  const e = ds.manifest.shards.find((s) => s.index === k);
  if (!e) throw new DatasetError(`${ds.dir}: shard ${k} is not in this dataset`);
  return e;
}

/** Reads a shard file, verifying its SHA-256 against the manifest the first time. */
function readVerified(ds: Dataset, file: { name: string; sha256: string }): Uint8Array {
  const path = join(ds.dir, file.name);
  const bytes = readFileSync(path);
  const st = state(ds);
  if (!st.verified.has(file.name)) {
    const sha = sha256Hex(bytes);
    if (sha !== file.sha256) {
      throw new DatasetError(`${path}: SHA-256 ${sha.slice(0, 12)}… does not match the manifest (${file.sha256.slice(0, 12)}…); the file is corrupt: re-run \`aggstem dataset\` on ${ds.dir} to regenerate it`);
    }
    st.verified.add(file.name);
  }
  return bytes;
}

function shardRows(ds: Dataset, k: number): ShardRows {
  const st = state(ds);
  const cached = st.rows.get(k);
  if (cached) return cached;
  const e = shardEntry(ds, k);
  const bytes = readVerified(ds, e.files.table);
  const path = join(ds.dir, e.files.table.name);
  const t = readShardTable(path, ds.manifest.columns, Buffer.from(bytes).toString('utf8'));
  if (t.rows !== e.count) throw new DatasetError(`${path}: ${t.rows} rows, the manifest says ${e.count}`);
  const P = ds.paramNames.length;
  const params = new Float64Array(t.rows * P);
  ds.paramNames.forEach((name, j) => {
    const col = t.numbers[name]!;
    for (let i = 0; i < t.rows; i++) params[i * P + j] = col[i]!;
  });
  const rows: ShardRows = {
    index: Int32Array.from(t.numbers.index!),
    split: t.split,
    ok: Uint8Array.from(t.status, (s) => (s === 'ok' ? 1 : 0)),
    params,
    numbers: t.numbers as Record<string, Float64Array | number[]>,
  };
  st.rows.set(k, rows);
  return rows;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Checks a shard file's SHA-256 once per opened dataset, streaming (no shard-sized buffer). */
function verifyFile(ds: Dataset, file: { name: string; sha256: string }): void {
  const st = state(ds);
  if (st.verified.has(file.name)) return;
  const path = join(ds.dir, file.name);
  const { sha256 } = sha256File(path);
  if (sha256 !== file.sha256) {
    throw new DatasetError(`${path}: SHA-256 ${sha256.slice(0, 12)}… does not match the manifest (${file.sha256.slice(0, 12)}…); the file is corrupt: re-run \`aggstem dataset\` on ${ds.dir} to regenerate it`);
  }
  st.verified.add(file.name);
}

/**
 * Frames `local` (shard-relative indices) of one image stack of shard `k`, as a lookup
 * `j → Float32Array` view. Reads the whole stack when most frames are wanted, else only those
 * frames (positional reads), so evaluating a 10 % test split does not read every image.
 */
function shardFrames(ds: Dataset, k: number, kind: 'clean' | 'noisy', local: readonly number[]): (j: number) => Float32Array {
  const e = shardEntry(ds, k);
  const file = e.files[kind];
  const path = join(ds.dir, file.name);
  const side = ds.imageSize;
  const pix = side * side;
  const first = !state(ds).verified.has(file.name);
  if (first && 2 * local.length >= e.count) {
    // Most of the shard is needed: one read serves both the checksum and the frames.
    const arr: NpyArray = decodeNpy(readVerified(ds, file), path);
    checkStack(arr.dtype, arr.fortranOrder, arr.shape, e.count, side, path);
    const data = arr.data as Float32Array;
    return (j) => data.subarray(j * pix, (j + 1) * pix);
  }
  verifyFile(ds, file);
  const h = readNpyHeader(path);
  checkStack(h.dtype, h.fortranOrder, h.shape, e.count, side, path);
  if (2 * local.length >= e.count || !(h.littleEndian && HOST_LITTLE_ENDIAN)) {
    const data = readNpy(path).data as Float32Array;
    return (j) => data.subarray(j * pix, (j + 1) * pix);
  }
  const frames = new Map<number, Float32Array>();
  const fd = openSync(path, 'r');
  try {
    for (const j of local) {
      const f = new Float32Array(pix);
      const bytes = new Uint8Array(f.buffer);
      let off = 0;
      while (off < bytes.length) {
        const n = readSync(fd, bytes, off, bytes.length - off, h.dataOffset + j * pix * 4 + off);
        if (n === 0) throw new DatasetError(`${path}: file ended while reading frame ${j}`);
        off += n;
      }
      frames.set(j, f);
    }
  } finally {
    closeSync(fd);
  }
  return (j) => frames.get(j)!;
}

function checkStack(dtype: string, fortranOrder: boolean, shape: number[], count: number, side: number, path: string): void {
  if (dtype !== 'float32' || fortranOrder || shape.join(',') !== [count, side, side].join(',')) {
    throw new DatasetError(`${path}: expected a float32 stack of shape (${count}, ${side}, ${side}), got ${dtype} (${shape.join(', ')})`);
  }
}

/**
 * The samples of `split` in batches, shard by shard: one shard's images are in memory at a time.
 * The order is a pure function of (seed, epoch, split): shard order and the order within each shard
 * are shuffled with streams derived from `(seed, "loader", "epoch", epoch)`; the D4 transform and the
 * fresh noise of sample i come from streams of (seed, epoch, i), so they do not depend on the batch
 * size either. Every accepted sample of the split appears exactly once per epoch; failed samples and
 * other splits never appear.
 */
export function* batches(ds: Dataset, opts: BatchOptions): Generator<Batch> {
  const { split, batchSize, epoch } = opts;
  if (split !== 'train' && split !== 'val' && split !== 'test') throw new DatasetError(`batches: split must be "train", "val" or "test", got ${JSON.stringify(split)}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new DatasetError(`batches: batchSize must be an integer >= 1, got ${batchSize}`);
  if (!Number.isInteger(epoch) || epoch < 0) throw new DatasetError(`batches: epoch must be an integer >= 0, got ${epoch}`);
  const seed = opts.seed ?? ds.seed;
  const shuffle = opts.shuffle ?? true;
  const epochRng = randomStream(seed, 'loader', 'epoch', epoch);
  const side = ds.imageSize;
  const pix = side * side;
  const P = ds.paramNames.length;
  const noiseConfig = opts.freshNoise ? binnedNoiseConfig(ds.microscope, ds.manifest.image.binning) : undefined;
  const dNames = opts.descriptorNames ?? [];
  const Q = dNames.length;
  for (const d of dNames) {
    if (!ds.manifest.descriptorNames.includes(d)) throw new DatasetError(`batches: descriptor ${JSON.stringify(d)} is not stored in ${ds.dir}; it has ${ds.manifest.descriptorNames.join(', ')}`);
  }
  const maxIndex = opts.maxIndex ?? Infinity;
  if (!(maxIndex >= 1)) throw new DatasetError(`batches: maxIndex must be >= 1, got ${maxIndex}`);
  const shards = ds.manifest.shards.map((s) => s.index);
  if (shuffle) shuffleInPlace(deriveStream(epochRng, 'shards'), shards);

  let images = new Float32Array(batchSize * pix);
  let params = new Float64Array(batchSize * P);
  let indices = new Int32Array(batchSize);
  let descs = new Float64Array(batchSize * Q);
  let b = 0;
  const scratch = new Float32Array(pix);
  for (const k of shards) {
    const rows = shardRows(ds, k);
    const local: number[] = [];
    for (let j = 0; j < rows.index.length; j++) if (rows.ok[j] && rows.split[j] === split && rows.index[j]! < maxIndex) local.push(j);
    if (local.length === 0) continue;
    if (shuffle) shuffleInPlace(deriveStream(epochRng, 'shard', k), local);
    const frame = shardFrames(ds, k, noiseConfig || opts.kind === 'clean' ? 'clean' : 'noisy', local);
    const dCols = dNames.map((d) => rows.numbers[descriptorColumn(d)]!);
    for (const j of local) {
      const index = rows.index[j]!;
      let src: ArrayLike<number> = frame(j);
      if (noiseConfig) {
        src = addNoise(src as Float32Array, noiseConfig, randomStream(seed, 'loader', 'noise', epoch, index)).noisy;
      }
      const dst = images.subarray(b * pix, (b + 1) * pix);
      if (opts.augment) {
        const t = integer(randomStream(seed, 'loader', 'd4', epoch, index), 0, 7);
        d4Transform(src, side, t, scratch);
        dst.set(scratch);
      } else dst.set(src as Float32Array);
      params.set(rows.params.subarray(j * P, (j + 1) * P), b * P);
      for (let q = 0; q < Q; q++) descs[b * Q + q] = dCols[q]![j]!;
      indices[b] = index;
      b++;
      if (b === batchSize) {
        yield { images, params, indices, size: b, ...(Q ? { descriptors: descs } : {}) };
        images = new Float32Array(batchSize * pix);
        params = new Float64Array(batchSize * P);
        indices = new Int32Array(batchSize);
        descs = new Float64Array(batchSize * Q);
        b = 0;
      }
    }
  }
  if (b > 0 && !opts.dropRemainder) {
    yield { images: images.slice(0, b * pix), params: params.slice(0, b * P), indices: indices.slice(0, b), size: b, ...(Q ? { descriptors: descs.slice(0, b * Q) } : {}) };
  }
}

/**
 * The table part of a split, in sample-index order, without images: indices, raw parameters
 * `[n, P]` (in `paramNames` order) and every descriptor as a column. For evaluation and plots.
 */
export function readSamples(ds: Dataset, split: Split): { indices: Int32Array; params: Float64Array; descriptors: Record<string, Float64Array> } {
  const P = ds.paramNames.length;
  const idx: number[] = [];
  const par: number[] = [];
  const desc: Record<string, number[]> = {};
  for (const d of ds.manifest.descriptorNames) desc[d] = [];
  for (const s of ds.manifest.shards) {
    const rows = shardRows(ds, s.index);
    const t = readShardTable(join(ds.dir, s.files.table.name), ds.manifest.columns);
    for (let j = 0; j < rows.index.length; j++) {
      if (!rows.ok[j] || rows.split[j] !== split) continue;
      idx.push(rows.index[j]!);
      for (let p = 0; p < P; p++) par.push(rows.params[j * P + p]!);
      for (const d of ds.manifest.descriptorNames) desc[d]!.push(t.numbers[descriptorColumn(d)]![j]!);
    }
  }
  const descriptors: Record<string, Float64Array> = {};
  for (const d of ds.manifest.descriptorNames) descriptors[d] = Float64Array.from(desc[d]!);
  return { indices: Int32Array.from(idx), params: Float64Array.from(par), descriptors };
}

/**
 * Images of specific samples (e.g. the test images for evaluation), in the order asked:
 * `[indices.length, side, side]`. `kind` picks the stored noisy image or the clean intensity.
 */
export function readImages(ds: Dataset, indices: ArrayLike<number>, kind: 'noisy' | 'clean' = 'noisy'): Float32Array {
  const pix = ds.imageSize * ds.imageSize;
  const out = new Float32Array(indices.length * pix);
  const byShard = new Map<number, number[]>();
  const S = ds.manifest.shardSize;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (!Number.isInteger(index) || index < 0 || index >= ds.manifest.count) throw new DatasetError(`readImages: index ${index} is outside the dataset [0, ${ds.manifest.count})`);
    const k = Math.floor(index / S);
    let list = byShard.get(k);
    if (!list) byShard.set(k, (list = []));
    list.push(i);
  }
  for (const [k, list] of byShard) {
    const start = shardEntry(ds, k).start;
    const local = [...new Set(list.map((i) => indices[i]! - start))].sort((a, b) => a - b);
    const frame = shardFrames(ds, k, kind, local);
    for (const i of list) out.set(frame(indices[i]! - start), i * pix);
  }
  return out;
}
