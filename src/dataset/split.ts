import { randomStream, type Seed } from '../random/index.js';
import { DatasetError } from './errors.js';

/** Which part of a dataset a sample belongs to. */
export type Split = 'train' | 'val' | 'test';

/** All splits, in the order they are usually reported. */
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** Fractions of the samples held out for validation and test; the rest is training data. */
export interface SplitFractions {
  val: number;
  test: number;
}

/** 10 % validation, 10 % test. */
export const DEFAULT_SPLIT_FRACTIONS: Readonly<SplitFractions> = Object.freeze({ val: 0.1, test: 0.1 });

/** Throws a {@link DatasetError} unless both fractions are in [0, 1] and sum to at most 1. */
export function validateSplitFractions(f: SplitFractions, where = 'split fractions'): void {
  for (const k of ['val', 'test'] as const) {
    const v = f?.[k];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new DatasetError(`${where}: ${k} must be a number in [0, 1], got ${String(v)}`);
    }
  }
  if (f.val + f.test > 1) {
    throw new DatasetError(`${where}: val + test must be at most 1, got ${f.val} + ${f.test} = ${f.val + f.test}`);
  }
}

/**
 * The split of sample `index`: a pure function of (index, seed, fractions), so it never depends on
 * sharding, worker count, epoch or batch size. One uniform draw `u` from the stream
 * `(seed, "split", index)` decides: `u < test` → test, `u < test + val` → val, else train. Each
 * sample lands in test with probability `test`, independently of all others.
 */
export function splitOf(index: number, seed: Seed, fractions: SplitFractions = DEFAULT_SPLIT_FRACTIONS): Split {
  if (!Number.isInteger(index) || index < 0) {
    throw new DatasetError(`splitOf: index must be an integer >= 0, got ${index}`);
  }
  const u = randomStream(seed, 'split', index).double();
  if (u < fractions.test) return 'test';
  if (u < fractions.test + fractions.val) return 'val';
  return 'train';
}
