import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * JSON with object keys sorted recursively, so equal values always give equal text (and hashes).
 * Rejects values JSON cannot carry faithfully (NaN, ±Infinity, undefined inside arrays, functions),
 * because a config that does not survive a JSON round trip cannot be reproduced from its manifest.
 */
export function canonicalJson(value: unknown, where = 'value'): string {
  return JSON.stringify(canonicalise(value, where));
}

function canonicalise(v: unknown, where: string): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`${where}: ${v} cannot be stored in JSON`);
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => canonicalise(x, `${where}[${i}]`));
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, (x, i) => canonicalise(x, `${where}[${i}]`));
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined) continue;
      out[k] = canonicalise(x, `${where}.${k}`);
    }
    return out;
  }
  throw new TypeError(`${where}: a ${typeof v} cannot be stored in JSON`);
}

/** SHA-256 of a string or bytes, as lower-case hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 and size of a file, read in 4 MiB chunks so large shards need no large buffer. */
export function sha256File(path: string): { sha256: string; bytes: number } {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(4 << 20);
  const fd = openSync(path, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: h.digest('hex'), bytes };
}
