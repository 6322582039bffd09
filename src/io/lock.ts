import { closeSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Directory locks: one writer per output directory (dataset generation, training), with a
 * heartbeat so a lock left by a dead process — on this host or another — is taken over.
 */

/** Name of the lock file inside a dataset directory while a run writes into it. */
export const LOCK_FILE = '.aggstem-dataset.lock';

/** How a lock names itself and what it throws. */
export interface LockKind {
  /** Lock file name inside the directory. */
  file: string;
  /** Builds the error thrown when the lock is held (a stage's UserError subclass). */
  error: (message: string) => Error;
}
/** The holder touches its lock this often, so that other hosts can tell a live lock from a dead one. */
export const LOCK_HEARTBEAT_MS = 15_000;
/** A lock from another host whose heartbeat is older than this is taken over. */
export const LOCK_STALE_MS = 120_000;

/** Holds a dataset directory for one writer; `release()` removes the lock file. */
export interface DirLock {
  release(): void;
}

interface Holder {
  pid?: number;
  host?: string;
}

type Attempt =
  | { ok: true; lock: DirLock }
  | { ok: false; kind: 'local' | 'remote'; holder: Holder; ageMs: number; path: string };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryLock(dir: string, kind: LockKind): Attempt {
  const path = join(dir, kind.file);
  const me = { pid: process.pid, host: hostname() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(me) + '\n');
      closeSync(fd);
      const beat = setInterval(() => {
        try {
          const now = new Date();
          utimesSync(path, now, now);
        } catch {
          // The file is gone (released, or taken over after we stalled): nothing to refresh.
        }
      }, LOCK_HEARTBEAT_MS);
      beat.unref();
      let released = false;
      return {
        ok: true,
        lock: {
          release() {
            if (released) return;
            released = true;
            clearInterval(beat);
            rmSync(path, { force: true });
          },
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: Holder = {};
    let ageMs = 0;
    try {
      ageMs = Math.max(0, Date.now() - statSync(path).mtimeMs);
      holder = JSON.parse(readFileSync(path, 'utf8')) as Holder;
    } catch {
      // Gone in between, or cut short by a crash while it was being written: nobody holds it.
    }
    if (typeof holder.pid === 'number' && holder.host !== undefined && holder.host !== me.host) {
      // Another machine (a requeued Slurm task, a restarted pod): its process cannot be checked, its heartbeat can.
      if (ageMs < LOCK_STALE_MS) return { ok: false, kind: 'remote', holder, ageMs, path };
    } else if (typeof holder.pid === 'number' && alive(holder.pid)) {
      return { ok: false, kind: 'local', holder, ageMs, path };
    }
    rmSync(path, { force: true });
  }
  throw kind.error(`could not lock ${dir} (${join(dir, kind.file)}); another run seems to be starting at the same moment`);
}

function refusal(dir: string, a: Extract<Attempt, { ok: false }>, kind: LockKind): Error {
  if (a.kind === 'local') {
    const who = a.holder.pid === process.pid ? 'this process (another call is still running)' : `process ${a.holder.pid}`;
    return kind.error(`${dir} is being written by ${who} (lock ${a.path}); wait for it to finish or use another --out`);
  }
  return kind.error(
    `${dir} is locked by process ${a.holder.pid} on host ${a.holder.host} (last heartbeat ${(a.ageMs / 1000).toFixed(0)} s ago, lock ${a.path}); ` +
      `give each job its own --out, or wait: a lock without heartbeat for ${LOCK_STALE_MS / 1000} s is taken over`,
  );
}

/**
 * Takes the directory's lock so that two runs never write the same directory at once (their
 * files would race). The holder refreshes the lock's time stamp every
 * {@link LOCK_HEARTBEAT_MS}. A lock left by a dead process on this host is taken over at once; one
 * from another host once its heartbeat is older than {@link LOCK_STALE_MS}. Otherwise: an error
 * that says how to proceed.
 */
export function lockDir(dir: string, kind: LockKind): DirLock {
  const a = tryLock(dir, kind);
  if (a.ok) return a.lock;
  throw refusal(dir, a, kind);
}

/**
 * As {@link lockDatasetDir}, but a lock from another host whose heartbeat is still fresh is waited
 * for (until it goes stale or is released) instead of refused: after a batch job is requeued on
 * another node, the dead job's lock would otherwise block it for {@link LOCK_STALE_MS}.
 */
export async function lockDirWaiting(dir: string, kind: LockKind, log: (m: string) => void = () => {}): Promise<DirLock> {
  const deadline = Date.now() + LOCK_STALE_MS + 2 * LOCK_HEARTBEAT_MS;
  let said = false;
  for (;;) {
    const a = tryLock(dir, kind);
    if (a.ok) return a.lock;
    if (a.kind === 'local' || Date.now() > deadline) throw refusal(dir, a, kind);
    if (!said) {
      log(`${dir} is locked by process ${a.holder.pid} on host ${a.holder.host} (heartbeat ${(a.ageMs / 1000).toFixed(0)} s ago); waiting until it is released or stale`);
      said = true;
    }
    await sleep(Math.min(1000, Math.max(100, LOCK_STALE_MS - a.ageMs + 50)));
  }
}
