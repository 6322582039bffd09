import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DatasetError } from './errors.js';

/** Name of the lock file inside a dataset directory while a run writes into it. */
export const LOCK_FILE = '.aggstem-dataset.lock';

/** Holds a dataset directory for one writer; `release()` removes the lock file. */
export interface DirLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the directory's lock so that two runs never write the same dataset directory at once (their
 * shards and manifest updates would race). A lock left by a process that died on this host (e.g. a
 * killed job) is taken over; a live one, or one from another host (its process cannot be checked),
 * is an error that says how to proceed.
 */
export function lockDatasetDir(dir: string): DirLock {
  const path = join(dir, LOCK_FILE);
  const me = { pid: process.pid, host: hostname() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(me) + '\n');
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: { pid?: number; host?: string } = {};
    try {
      holder = JSON.parse(readFileSync(path, 'utf8')) as typeof holder;
    } catch {
      // A lock file cut short by a crash while it was being written: nobody holds it.
    }
    if (typeof holder.pid === 'number' && holder.host !== undefined && holder.host !== me.host) {
      throw new DatasetError(
        `${dir} is locked by process ${holder.pid} on host ${holder.host} (${path}); give each job its own --out, ` +
          `or delete the lock file if that job is no longer running`,
      );
    }
    if (typeof holder.pid === 'number' && alive(holder.pid)) {
      const who = holder.pid === me.pid ? 'this process (another call is still running)' : `process ${holder.pid}`;
      throw new DatasetError(`${dir} is being written by ${who} (lock ${path}); wait for it to finish or use another --out`);
    }
    rmSync(path, { force: true });
  }
  throw new DatasetError(`could not lock ${dir} (${path}); another run seems to be starting at the same moment`);
}
