/**
 * Dataset generation: plan the shards, verify what is already on disk, compute the missing samples
 * on worker threads and write each shard in index order, atomically, updating the manifest after
 * every shard. Re-running the same call resumes; `part` restricts a run to one machine's shards.
 */
import { mkdirSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import { writeFileAtomic } from '../io/atomic.js';
import { openNpyStack, type NpyStackWriter } from '../io/npy.js';
import { DESCRIPTOR_NAMES } from '../descriptors/index.js';
import { varyingParams } from '../model/params.js';
import { paramNamesOf } from '../model/types.js';
import { createStemWorkspace } from '../stem/index.js';
import { datasetConfigHash, regionAxes, storedImageSize, storedPixelSizeNm, validateDatasetConfig, type DatasetConfig } from './config.js';
import { DatasetError } from './errors.js';
import { sha256File } from './hash.js';
import { lockDatasetDirWaiting } from './lock.js';
import {
  checkShardFiles,
  codeVersion,
  MANIFEST_FORMAT,
  MANIFEST_FORMAT_VERSION,
  readManifest,
  refreshManifest,
  writeManifest,
  type DatasetManifest,
  type RunRecord,
  type ShardEntry,
} from './manifest.js';
import { formatRanges, parsePart, shardCount, shardFiles, shardRange, shardsOfPart, validatePart, type DatasetPart } from './plan.js';
import { emptyRedrawCounts, emptyRegionCounts, tallyDraw, type RedrawCounts, type RegionAxis, type RegionCounts } from './redraws.js';
import { computeSample, type SampleResult } from './sample.js';
import { splitOf, type Split } from './split.js';
import { encodeShardTable, tableColumns, type SampleRow } from './table.js';

/** Options of {@link generateDataset}. */
export interface GenerateDatasetOptions {
  /** Worker threads (default: the number of CPUs); 0 computes in the calling thread. */
  workers?: number;
  /** Generate only this part's shards (`{index, count}` or `"i/n"`); default all. */
  part?: DatasetPart | string;
  /** Called after every written sample. */
  onProgress?: (p: GenerateProgress) => void;
  /** Receives one line per notable event (verified, regenerated, finished shards). */
  log?: (message: string) => void;
}

/** Progress of a {@link generateDataset} run. */
export interface GenerateProgress {
  /** Samples written in this run. */
  done: number;
  /** Samples this run has to write. */
  total: number;
  /** Shards written in this run / to write in this run. */
  shardsDone: number;
  shardsTotal: number;
}

/** What a {@link generateDataset} run did. */
export interface GenerateSummary {
  dir: string;
  configHash: string;
  /** True when the directory now holds every shard of the dataset. */
  complete: boolean;
  /** Shards this run was responsible for. */
  planned: number[];
  /** Shards written by this run (new or regenerated). */
  generated: number[];
  /** Shards found intact on disk and skipped. */
  verified: number[];
  /** Shards found corrupt, truncated or unlisted and written again. */
  regenerated: number[];
  samplesGenerated: number;
  seconds: number;
  /** Samples written per second over the whole run (thread start-up and verification included). */
  samplesPerSecond: number;
  /** Samples written per second after the first one (the steady rate, without start-up). */
  steadySamplesPerSecond: number;
  /** Peak resident set size of the process (all threads), MiB. */
  peakRssMiB: number;
  manifest: DatasetManifest;
}

/** Source of computed samples: a thread pool or the calling thread. */
interface SampleSource {
  compute(index: number): Promise<SampleResult>;
  close(): Promise<void>;
}

function inProcessSource(config: DatasetConfig): SampleSource {
  const workspace = createStemWorkspace();
  return {
    compute: async (index) => computeSample(config, index, workspace),
    close: async () => {},
  };
}

function workerSource(config: DatasetConfig, workers: number): SampleSource {
  // Compiled, the worker is worker.js; from the TypeScript sources a small bootstrap registers tsx
  // inside the worker thread first (see worker-tsx.mjs).
  const entry = import.meta.url.endsWith('.ts') ? './worker-tsx.mjs' : './worker.js';
  const pool = new Piscina({
    filename: new URL(entry, import.meta.url).href,
    workerData: { config },
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 60_000,
  });
  return {
    compute: (index) => pool.run(index) as Promise<SampleResult>,
    close: () => pool.destroy(),
  };
}

/** Writes one shard: frames stream to two .npy stacks, rows are collected, all committed at the end. */
class ShardWriter {
  readonly files: ReturnType<typeof shardFiles>;
  private readonly clean: NpyStackWriter;
  private readonly noisy: NpyStackWriter;
  private readonly rows: SampleRow[] = [];
  private readonly redraws: RedrawCounts = emptyRedrawCounts();
  private readonly regions: RegionCounts;
  private readonly splits: Record<Split, number> = { train: 0, val: 0, test: 0 };
  private failures = 0;

  constructor(
    private readonly dir: string,
    readonly index: number,
    readonly start: number,
    readonly count: number,
    private readonly config: DatasetConfig,
    axes: RegionAxis[],
  ) {
    this.files = shardFiles(index);
    const side = storedImageSize(config);
    this.regions = emptyRegionCounts(axes);
    this.clean = openNpyStack(join(dir, this.files.clean), 'float32', [side, side]);
    try {
      this.noisy = openNpyStack(join(dir, this.files.noisy), 'float32', [side, side]);
    } catch (e) {
      this.clean.abort();
      throw e;
    }
  }

  add(r: SampleResult): void {
    const expected = this.start + this.rows.length;
    if (r.index !== expected) throw new Error(`shard ${this.index}: got sample ${r.index}, expected ${expected} (writer out of order)`);
    this.clean.append(r.clean);
    this.noisy.append(r.noisy);
    const split = splitOf(r.index, this.config.seed, this.config.split);
    let gen = 0, fit = 0;
    for (const rej of r.rejected) {
      this.redraws[rej.reason]++;
      if (rej.reason === 'notFit') fit++;
      else gen++;
      tallyDraw(this.regions, rej.params as unknown as Record<string, number>, true);
    }
    if (r.status === 'ok') {
      tallyDraw(this.regions, r.params as unknown as Record<string, number>, false);
      this.splits[split]++;
    } else this.failures++;
    this.rows.push({
      index: r.index,
      seedKey: r.seedKey,
      split,
      status: r.status,
      redrawsGeneration: gen,
      redrawsNotFit: fit,
      params: r.params as unknown as Record<string, number>,
      descriptors: r.descriptors,
    });
  }

  /** Commits the three files (each atomically) and returns the manifest entry with their checksums. */
  commit(code: string): ShardEntry {
    if (this.rows.length !== this.count) throw new Error(`shard ${this.index}: ${this.rows.length} of ${this.count} samples written`);
    writeFileAtomic(join(this.dir, this.files.table), encodeShardTable(this.rows, DESCRIPTOR_NAMES, paramNamesOf(this.config.prior)));
    this.clean.commit();
    this.noisy.commit();
    const entry = (name: string) => ({ name, ...sha256File(join(this.dir, name)) });
    return {
      index: this.index,
      start: this.start,
      count: this.count,
      files: { clean: entry(this.files.clean), noisy: entry(this.files.noisy), table: entry(this.files.table) },
      failures: this.failures,
      splits: this.splits,
      redraws: this.redraws,
      regions: this.regions,
      code,
    };
  }

  abort(): void {
    this.clean.abort();
    this.noisy.abort();
  }
}

// Temp files of our own writers (io/atomic's `.<name>.<pid>.<time>.tmp`), left behind by a killed run.
const STALE_TEMP = /^\.(shard-\d+\.(clean\.npy|noisy\.npy|csv)|manifest\.json)\.\d+\.[0-9a-z]+\.tmp$/;

/** A fresh manifest (no shards yet) for a validated config. */
export function newManifest(config: DatasetConfig): DatasetManifest {
  return refreshManifest({
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    configHash: datasetConfigHash(config),
    config,
    code: codeVersion(),
    count: config.count,
    shardSize: config.shardSize,
    totalShards: shardCount(config.count, config.shardSize),
    complete: false,
    missingShards: '',
    image: {
      heightPx: storedImageSize(config),
      widthPx: storedImageSize(config),
      pixelSizeNm: storedPixelSizeNm(config),
      binning: config.binning,
      dtype: 'float32',
    },
    paramNames: varyingParams(config.prior),
    descriptorNames: [...DESCRIPTOR_NAMES],
    columns: tableColumns(DESCRIPTOR_NAMES, paramNamesOf(config.prior)),
    shards: [],
    totals: { samples: 0, failures: 0, splits: { train: 0, val: 0, test: 0 }, redraws: emptyRedrawCounts(), attempts: 0, redrawRate: 0 },
    regions: {},
    history: [],
  });
}

function peakRssMiB(): number {
  return +(process.resourceUsage().maxRSS / 1024).toFixed(1);
}

/**
 * Generates (or completes) a dataset in `dir`.
 *
 * - The config is validated first; nothing is created when it is invalid.
 * - Shards already listed in `dir/manifest.json` are verified (size and SHA-256) and skipped;
 *   corrupt, truncated or unlisted shard files are generated again. A directory holding a dataset
 *   with a different config is refused.
 * - Samples are computed on `workers` threads; one writer assembles each shard in index order, so
 *   the bytes never depend on the worker count or scheduling. At most a few samples per worker are
 *   held in memory at any time.
 * - Each shard's files are written to temp names and renamed; the manifest (also atomic) lists a
 *   shard only after all its files are in place. A killed run leaves nothing half-written.
 */
export async function generateDataset(config: DatasetConfig, dir: string, opts: GenerateDatasetOptions = {}): Promise<GenerateSummary> {
  const t0 = performance.now();
  const cfg = validateDatasetConfig(config);
  const workers = opts.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 0 || workers > 1024) {
    throw new DatasetError(`workers must be an integer in [0, 1024] (0 = compute in this thread), got ${workers}`);
  }
  const part = typeof opts.part === 'string' ? parsePart(opts.part) : opts.part;
  if (part) validatePart(part, 'part');
  const log = opts.log ?? (() => {});
  const out = resolve(dir);
  if (existsSync(out) && !statSync(out).isDirectory()) throw new DatasetError(`--out ${dir} exists and is not a directory`);
  mkdirSync(out, { recursive: true });
  const lock = await lockDatasetDirWaiting(out, log);
  let source: SampleSource | undefined;
  let writer: ShardWriter | undefined;
  try {
    for (const f of readdirSync(out)) if (STALE_TEMP.test(f)) rmSync(join(out, f), { force: true });
    const hash = datasetConfigHash(cfg);
    const code = codeVersion();
    const existing = readManifest(out);
    if (existing && existing.configHash !== hash) {
      throw new DatasetError(
        `${dir} already holds a different dataset (config hash ${existing.configHash.slice(0, 12)}…, this run's is ${hash.slice(0, 12)}…; ` +
          `preset ${existing.config.preset}, count ${existing.count}, seed ${JSON.stringify(existing.config.seed)}); use another --out or delete it`,
      );
    }
    if (!existing) {
      // A new dataset goes into an empty directory: a user's files (even ones named like shards)
      // are never "resumed" over or mixed into a dataset.
      const foreign = readdirSync(out).filter((f) => !f.startsWith('.aggstem-'));
      if (foreign.length > 0) {
        throw new DatasetError(`--out ${dir} is not empty and holds no aggstem dataset (manifest.json missing; found ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? `, … ${foreign.length} entries` : ''}); use a new or empty directory`);
      }
    }
    const manifest = existing ?? newManifest(cfg);
    const run: RunRecord = {
      kind: 'generate',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      host: hostname(),
      workers,
      part: part ? `${part.index}/${part.count}` : 'all',
      code: code.id,
      shardsGenerated: '',
      shardsVerified: '',
      shardsRegenerated: '',
    };

    const planned = shardsOfPart(cfg.count, cfg.shardSize, part);
    const verified: number[] = [];
    const regenerated: number[] = [];
    const todo: number[] = [];
    for (const k of planned) {
      const entry = manifest.shards.find((s) => s.index === k);
      const files = shardFiles(k);
      if (entry) {
        const problems = checkShardFiles(out, entry);
        if (problems.length === 0) {
          verified.push(k);
          continue;
        }
        log(`shard ${k}: ${problems.join('; ')}; generating it again`);
        manifest.shards = manifest.shards.filter((s) => s !== entry);
        regenerated.push(k);
      } else if ([files.clean, files.noisy, files.table].some((f) => existsSync(join(out, f)))) {
        log(`shard ${k}: files on disk but not in the manifest (a run was interrupted); generating it again`);
        regenerated.push(k);
      }
      todo.push(k);
    }
    run.shardsVerified = formatRanges(verified);
    run.shardsRegenerated = formatRanges(regenerated);
    if (verified.length > 0) log(`verified ${verified.length} finished shard(s) (${formatRanges(verified)})`);
    // A run with nothing to do leaves the manifest untouched (its hash identifies the dataset).
    if (todo.length > 0 || !existing) {
      if (existing && existing.code.id !== code.id) log(`note: ${dir} was started by aggstem ${existing.code.id}, this is ${code.id}`);
      manifest.code = code;
      manifest.history.push(run);
      writeManifest(out, manifest);
    }

    const indices: number[] = [];
    for (const k of todo) {
      const { start, end } = shardRange(k, cfg.count, cfg.shardSize);
      for (let i = start; i < end; i++) indices.push(i);
    }
    const total = indices.length;
    const generated: number[] = [];
    let done = 0;
    let tFirst = 0;
    if (todo.length > 0) {
      source = workers === 0 ? inProcessSource(cfg) : workerSource(cfg, workers);
      // Bounded look-ahead: results may finish out of order but are written in order, so at most
      // `window` samples (computing or waiting) exist at once, however large the dataset.
      const window = Math.max(2, 4 * Math.max(1, workers));
      const inflight = new Map<number, Promise<SampleResult>>();
      let next = 0;
      const fill = () => {
        while (next < indices.length && inflight.size < window) {
          const i = indices[next++]!;
          const p = source!.compute(i);
          p.catch(() => {}); // awaited in order below; this only keeps an early failure from being "unhandled"
          inflight.set(i, p);
        }
      };
      const axes = regionAxes(cfg.prior);
      opts.onProgress?.({ done, total, shardsDone: 0, shardsTotal: todo.length });
      for (const k of todo) {
        const { start, end } = shardRange(k, cfg.count, cfg.shardSize);
        writer = new ShardWriter(out, k, start, end - start, cfg, axes);
        for (let i = start; i < end; i++) {
          fill();
          const r = await inflight.get(i)!;
          inflight.delete(i);
          writer.add(r);
          done++;
          if (done === 1) tFirst = performance.now();
          opts.onProgress?.({ done, total, shardsDone: generated.length, shardsTotal: todo.length });
        }
        const entry = writer.commit(code.id);
        writer = undefined;
        manifest.shards.push(entry);
        generated.push(k);
        run.shardsGenerated = formatRanges(generated);
        writeManifest(out, manifest);
        log(`shard ${k} written (samples ${start}-${end - 1}${entry.failures ? `, ${entry.failures} failed` : ''})`);
      }
    }
    if (todo.length > 0 || !existing) {
      run.finishedAt = new Date().toISOString();
      writeManifest(out, manifest);
    }
    const tEnd = performance.now();
    const seconds = (tEnd - t0) / 1000;
    const steadySeconds = (tEnd - tFirst) / 1000;
    return {
      dir: out,
      configHash: hash,
      complete: manifest.complete,
      planned,
      generated,
      verified,
      regenerated,
      samplesGenerated: done,
      seconds,
      samplesPerSecond: seconds > 0 ? done / seconds : 0,
      steadySamplesPerSecond: done > 1 && steadySeconds > 0 ? (done - 1) / steadySeconds : 0,
      peakRssMiB: peakRssMiB(),
      manifest,
    };
  } finally {
    writer?.abort();
    await source?.close();
    lock.release();
  }
}
