/** The dataset directory lock: the generic directory lock of `src/io/lock.ts` with dataset naming. */
import { lockDir, lockDirWaiting, LOCK_FILE, type DirLock, type LockKind } from '../io/lock.js';
import { DatasetError } from './errors.js';

export { LOCK_FILE, LOCK_HEARTBEAT_MS, LOCK_STALE_MS, type DirLock } from '../io/lock.js';

const DATASET_LOCK: LockKind = { file: LOCK_FILE, error: (m) => new DatasetError(m) };

/** Takes a dataset directory's lock, or throws a {@link DatasetError} saying who holds it. */
export function lockDatasetDir(dir: string): DirLock {
  return lockDir(dir, DATASET_LOCK);
}

/** As {@link lockDatasetDir}, waiting for a lock from another host until it is released or stale. */
export function lockDatasetDirWaiting(dir: string, log: (m: string) => void = () => {}): Promise<DirLock> {
  return lockDirWaiting(dir, DATASET_LOCK, log);
}
