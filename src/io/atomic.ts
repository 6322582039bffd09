import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, mkdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/** Temp-file name next to `path` (same directory, so rename is atomic). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/**
 * Writes `data` to `path` atomically: to a temp file in the same directory, fsync, then rename.
 * Readers never see a half-written file; on error the temp file is removed.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Streams many chunks to `path` atomically: `write` chunks, then `commit()` renames into place or
 * `abort()` removes the temp file. For outputs too large to hold in memory (JSON Lines, CSV).
 */
export interface AtomicWriter {
  write(chunk: string | Uint8Array): void;
  /** Writes bytes at an absolute offset (e.g. patching a header); does not move the append position. */
  writeAt(chunk: Uint8Array, position: number): void;
  commit(): void;
  abort(): void;
}

export function atomicWriter(path: string): AtomicWriter {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  let fd: number | null = openSync(tmp, 'w');
  return {
    write(chunk) {
      if (fd === null) throw new Error(`atomicWriter(${path}): already closed`);
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    },
    writeAt(chunk, position) {
      if (fd === null) throw new Error(`atomicWriter(${path}): already closed`);
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off, position + off);
    },
    commit() {
      if (fd === null) return;
      fsyncSync(fd);
      closeSync(fd);
      fd = null;
      renameSync(tmp, path);
    },
    abort() {
      if (fd !== null) closeSync(fd);
      fd = null;
      rmSync(tmp, { force: true });
    },
  };
}
