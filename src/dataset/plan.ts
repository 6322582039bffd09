import { DatasetError } from './errors.js';

/**
 * One machine's share of a dataset: part `index` of `count` (`--shard 2/8`). Shard k belongs to
 * part `k mod count`, so parts differ in size by at most one shard and every part gets a mix of
 * early and late indices.
 */
export interface DatasetPart {
  index: number;
  count: number;
}

/** Parses `"i/n"` (0-based i < n) into a {@link DatasetPart}, with a clear error otherwise. */
export function parsePart(text: string, where = '--shard'): DatasetPart {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new DatasetError(`${where}: expected "i/n" with 0 <= i < n (e.g. "0/4"), got "${text}"`);
  const part = { index: Number(m[1]), count: Number(m[2]) };
  validatePart(part, where);
  return part;
}

/** Throws unless `part` is `{index, count}` with integers 0 <= index < count. */
export function validatePart(part: DatasetPart, where = 'part'): void {
  const { index, count } = part;
  if (!Number.isInteger(count) || count < 1) throw new DatasetError(`${where}: the number of parts must be an integer >= 1, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new DatasetError(`${where}: part index must be an integer in [0, ${count - 1}] (parts are numbered from 0), got ${index}`);
  }
}

/** Number of shards of a dataset of `count` samples in shards of `shardSize`. */
export function shardCount(count: number, shardSize: number): number {
  return Math.ceil(count / shardSize);
}

/** Sample index range [start, end) of shard `k`. */
export function shardRange(k: number, count: number, shardSize: number): { start: number; end: number } {
  const start = k * shardSize;
  return { start, end: Math.min(count, start + shardSize) };
}

/** The shard numbers that `part` generates (all shards when `part` is omitted), ascending. */
export function shardsOfPart(count: number, shardSize: number, part?: DatasetPart): number[] {
  const n = shardCount(count, shardSize);
  const out: number[] = [];
  for (let k = 0; k < n; k++) if (!part || k % part.count === part.index) out.push(k);
  return out;
}

/** File names of shard `k` inside the dataset directory. */
export function shardFiles(k: number): { clean: string; noisy: string; table: string } {
  const base = `shard-${String(k).padStart(5, '0')}`;
  return { clean: `${base}.clean.npy`, noisy: `${base}.noisy.npy`, table: `${base}.csv` };
}

/** Formats sorted shard numbers as compact ranges for messages: `[0, 1, 2, 5]` → `"0-2, 5"`. */
export function formatRanges(ks: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ks.length; ) {
    let j = i;
    while (j + 1 < ks.length && ks[j + 1] === ks[j]! + 1) j++;
    parts.push(j > i ? `${ks[i]}-${ks[j]}` : `${ks[i]}`);
    i = j + 1;
  }
  return parts.join(', ');
}
