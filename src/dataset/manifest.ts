import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../io/atomic.js';
import type { ModelParamName } from '../model/types.js';
import type { DatasetConfig } from './config.js';
import { DatasetError } from './errors.js';
import { sha256File } from './hash.js';
import { formatRanges } from './plan.js';
import type { Split } from './split.js';
import { addRegionCounts, emptyRedrawCounts, type RedrawCounts, type RegionCounts } from './redraws.js';

/** Name of the manifest inside a dataset directory. */
export const MANIFEST_FILE = 'manifest.json';
/** Value of `manifest.format`. */
export const MANIFEST_FORMAT = 'aggstem-dataset';
/** Version of the on-disk layout; readers refuse versions they do not know. */
export const MANIFEST_FORMAT_VERSION = 1;

/** One file of a finished shard, with the size and SHA-256 it had when it was written. */
export interface ShardFileEntry {
  name: string;
  bytes: number;
  sha256: string;
}

/** A finished shard: samples [start, start + count), its three files and its generation counts. */
export interface ShardEntry {
  index: number;
  start: number;
  count: number;
  files: { clean: ShardFileEntry; noisy: ShardFileEntry; table: ShardFileEntry };
  /** Samples that found no acceptable draw within `maxRedraws` (zero images, `status = failed`). */
  failures: number;
  /** Accepted (status ok) samples per split. */
  splits: Record<Split, number>;
  /** Rejected draws in this shard, by reason. */
  redraws: RedrawCounts;
  /** Draws and rejections per parameter region (see {@link RegionCounts}). */
  regions: RegionCounts;
  /** Code version that generated the shard. */
  code: string;
}

/** Package version and git commit of the code that wrote a dataset. */
export interface CodeVersion {
  package: string;
  version: string;
  gitCommit: string | null;
  /** `version` plus the short commit, e.g. `0.1.0+c1bbb37`. */
  id: string;
}

/** One `aggstem dataset` run (or merge) that wrote into the directory. */
export interface RunRecord {
  kind: 'generate' | 'merge';
  startedAt: string;
  finishedAt: string | null;
  host: string;
  workers?: number;
  part?: string;
  code: string;
  /** Shard numbers as ranges (`"0-3, 7"`). */
  shardsGenerated: string;
  shardsVerified: string;
  /** Shards found on disk but corrupt, truncated or unlisted, and generated again. */
  shardsRegenerated: string;
  mergedFrom?: string[];
}

/**
 * `manifest.json`: everything needed to reproduce, verify and load a dataset. `shards` lists the
 * finished shards only; a directory is `complete` when every shard of the dataset is listed.
 */
export interface DatasetManifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: number;
  /** SHA-256 of the canonical JSON of `config`; resume and merge refuse a different one. */
  configHash: string;
  config: DatasetConfig;
  code: CodeVersion;
  count: number;
  shardSize: number;
  totalShards: number;
  complete: boolean;
  /** Shards not yet in this directory, as ranges (`"3-5, 9"`), empty when complete. */
  missingShards: string;
  /** Stored image stacks: `[n, heightPx, widthPx]` float32, little-endian, C order. */
  image: { heightPx: number; widthPx: number; pixelSizeNm: number; binning: number; dtype: 'float32' };
  /** Model parameters that vary in the prior (the CNN targets), canonical order. */
  paramNames: ModelParamName[];
  descriptorNames: string[];
  /** Columns of every shard table, in file order. */
  columns: string[];
  shards: ShardEntry[];
  totals: { samples: number; failures: number; splits: Record<Split, number>; redraws: RedrawCounts; attempts: number; redrawRate: number };
  /** Redraws per parameter region summed over all shards present (see {@link RegionCounts}). */
  regions: RegionCounts;
  history: RunRecord[];
}

let cachedCode: CodeVersion | undefined;

/** The running code's package version and git commit (null outside a git checkout). */
export function codeVersion(): CodeVersion {
  if (cachedCode) return cachedCode;
  // src/dataset (tsx) and dist/src/dataset (compiled) sit at different depths: walk up to package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  let pkg = { name: 'aggstem', version: '0.0.0' };
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    // Installed without its package.json: keep the placeholder.
  }
  const git = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8', timeout: 5000 });
  const commit = git.status === 0 && /^[0-9a-f]{40}$/.test(git.stdout.trim()) ? git.stdout.trim() : null;
  cachedCode = { package: pkg.name, version: pkg.version, gitCommit: commit, id: commit ? `${pkg.version}+${commit.slice(0, 7)}` : pkg.version };
  return cachedCode;
}

/** Recomputes `complete`, `missingShards`, `totals` and `regions` from `shards` (sorted in place). */
export function refreshManifest(m: DatasetManifest): DatasetManifest {
  m.shards.sort((a, b) => a.index - b.index);
  const have = new Set(m.shards.map((s) => s.index));
  const missing: number[] = [];
  for (let k = 0; k < m.totalShards; k++) if (!have.has(k)) missing.push(k);
  m.complete = missing.length === 0;
  m.missingShards = formatRanges(missing);
  const redraws = emptyRedrawCounts();
  let samples = 0;
  let failures = 0;
  const splits: Record<Split, number> = { train: 0, val: 0, test: 0 };
  let regions: RegionCounts = {};
  for (const s of m.shards) {
    samples += s.count;
    failures += s.failures;
    for (const k of ['train', 'val', 'test'] as const) splits[k] += s.splits[k];
    redraws.generation += s.redraws.generation;
    redraws.deadline += s.redraws.deadline;
    redraws.notFit += s.redraws.notFit;
    regions = addRegionCounts(regions, s.regions);
  }
  const rejected = redraws.generation + redraws.deadline + redraws.notFit;
  const attempts = samples - failures + rejected;
  m.totals = { samples, failures, splits, redraws, attempts, redrawRate: attempts > 0 ? rejected / attempts : 0 };
  m.regions = regions;
  return m;
}

/** Writes `manifest.json` atomically (after {@link refreshManifest}). */
export function writeManifest(dir: string, m: DatasetManifest): void {
  writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(refreshManifest(m), null, 2) + '\n');
}

/** Reads and checks `dir/manifest.json`; `undefined` when the directory has none. */
export function readManifest(dir: string): DatasetManifest | undefined {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return undefined;
  let m: DatasetManifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as DatasetManifest;
  } catch (e) {
    throw new DatasetError(`${path}: not valid JSON (${(e as Error).message}); the manifest is written atomically, so this file was damaged after the fact`);
  }
  if (m?.format !== MANIFEST_FORMAT) throw new DatasetError(`${path}: not an aggstem dataset manifest (format is ${JSON.stringify(m?.format)}, expected "${MANIFEST_FORMAT}")`);
  if (m.formatVersion !== MANIFEST_FORMAT_VERSION) {
    throw new DatasetError(`${path}: dataset format version ${m.formatVersion} is not supported by this aggstem (expected ${MANIFEST_FORMAT_VERSION})`);
  }
  for (const k of ['configHash', 'config', 'shards', 'count', 'shardSize', 'totalShards', 'image', 'columns'] as const) {
    if (m[k] === undefined) throw new DatasetError(`${path}: the manifest has no "${k}"`);
  }
  return m;
}

/**
 * Checks a shard's files against their manifest entry: present, of the recorded size and (unless
 * `quick`) of the recorded SHA-256. Returns the problems found (empty when the shard is intact).
 */
export function checkShardFiles(dir: string, entry: ShardEntry, quick = false): string[] {
  const problems: string[] = [];
  for (const f of [entry.files.clean, entry.files.noisy, entry.files.table]) {
    const path = join(dir, f.name);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      problems.push(`${f.name} is missing`);
      continue;
    }
    if (size !== f.bytes) {
      problems.push(`${f.name} has ${size} bytes, the manifest says ${f.bytes} (truncated or overwritten)`);
      continue;
    }
    if (quick) continue;
    const { sha256 } = sha256File(path);
    if (sha256 !== f.sha256) problems.push(`${f.name} has SHA-256 ${sha256.slice(0, 12)}…, the manifest says ${f.sha256.slice(0, 12)}… (corrupt)`);
  }
  return problems;
}
