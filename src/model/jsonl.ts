/**
 * Aggregates as JSON Lines (docs/model.md): one object per line,
 * `{"id", "seed", "params", "particles": {"x", "y", "z", "r", "material"}, "quality"}`, lengths in
 * nm, material 0 = A, 1 = B. Numbers are written by JSON.stringify, whose shortest round-trip form
 * makes every double read back bit-identical.
 */
import { UserError } from '../errors.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { atomicWriter } from '../io/atomic.js';
import { ModelParamError, validateModelParams } from './params.js';
import type { Aggregate, AggregateQuality, Particles } from './types.js';

/** A malformed aggregate record; the message names the file and line. */
export class AggregateFormatError extends UserError {
  override name = 'AggregateFormatError';
}

/**
 * One aggregate as a single JSON line (no trailing newline). The wall-clock `quality.elapsedMs` is
 * left out unless `opts.timing` is set, so the same seed always gives byte-identical files.
 */
export function aggregateToJsonLine(a: Aggregate, opts: { timing?: boolean } = {}): string {
  const p = a.particles;
  let quality = a.quality;
  if (!opts.timing && 'elapsedMs' in quality) {
    const { elapsedMs: _omit, ...rest } = quality;
    quality = rest as AggregateQuality;
  }
  return JSON.stringify({
    id: a.id,
    seed: a.seed,
    params: a.params,
    particles: {
      x: Array.from(p.x),
      y: Array.from(p.y),
      z: Array.from(p.z),
      r: Array.from(p.r),
      material: Array.from(p.material),
    },
    quality,
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numberArray(v: unknown, name: string, where: string, check?: (x: number) => string | null): Float64Array {
  if (!Array.isArray(v)) throw new AggregateFormatError(`${where}: particles.${name} must be an array of numbers, got ${typeof v === 'object' ? (v === null ? 'null' : 'an object') : typeof v}`);
  const out = new Float64Array(v.length);
  for (let k = 0; k < v.length; k++) {
    const x = v[k];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new AggregateFormatError(`${where}: particles.${name}[${k}] = ${JSON.stringify(x) ?? String(x)} is not a finite number`);
    }
    const problem = check?.(x);
    if (problem) throw new AggregateFormatError(`${where}: particles.${name}[${k}] = ${x} ${problem}`);
    out[k] = x;
  }
  return out;
}

/**
 * Parses and validates one JSON line. `where` (e.g. `"aggregates.jsonl:12"`) prefixes every error
 * message. Checks: valid JSON object; string id and seed; valid model parameters; x, y, z, r, material
 * arrays of equal length N = params.nParticles with finite numbers, r > 0 and material ∈ {0, 1};
 * a quality object.
 */
export function parseAggregateLine(line: string, where: string): Aggregate {
  const o = parseRecord(line, where);
  const id = o['id'];
  if (typeof id !== 'string' || id === '') throw new AggregateFormatError(`${where}: "id" must be a non-empty string, got ${JSON.stringify(id) ?? 'nothing'}`);
  const seedRaw = o['seed'];
  if (typeof seedRaw !== 'string' && !(typeof seedRaw === 'number' && Number.isFinite(seedRaw))) {
    throw new AggregateFormatError(`${where}: "seed" must be a string or number, got ${JSON.stringify(seedRaw) ?? 'nothing'}`);
  }
  let params;
  try {
    params = validateModelParams(o['params']);
  } catch (e) {
    if (e instanceof ModelParamError) throw new AggregateFormatError(`${where}: params: ${e.message}`);
    throw e;
  }
  const particles = parseParticles(o['particles'], where);
  const n = particles.x.length;
  if (n !== params.nParticles) throw new AggregateFormatError(`${where}: particles has ${n} entries but params.nParticles = ${params.nParticles}`);
  const q = o['quality'];
  if (!isObject(q)) throw new AggregateFormatError(`${where}: "quality" must be an object, got ${JSON.stringify(q) ?? 'nothing'}`);
  return { id, seed: String(seedRaw), params, particles, quality: q as AggregateQuality };
}

/** One line as a JSON object with only the record keys (id, seed, params, particles, quality). */
function parseRecord(line: string, where: string): Record<string, unknown> {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (e) {
    throw new AggregateFormatError(`${where}: invalid JSON (${(e as Error).message})`);
  }
  if (!isObject(o)) throw new AggregateFormatError(`${where}: expected a JSON object, got ${Array.isArray(o) ? 'an array' : JSON.stringify(o)}`);
  for (const k of Object.keys(o)) {
    if (!['id', 'seed', 'params', 'particles', 'quality'].includes(k)) {
      throw new AggregateFormatError(`${where}: unknown key "${k}"; expected id, seed, params, particles, quality`);
    }
  }
  return o;
}

/**
 * A set of spheres from any source (another generator, a tomogram, a hand-made test): what the
 * simulator and the descriptors need. `params` is kept as metadata, not validated.
 */
export interface SphereRecord {
  id: string;
  seed?: string;
  params?: unknown;
  particles: Particles;
}

/**
 * Parses one JSON line as a {@link SphereRecord}: `{"id", "particles": {x, y, z, r, material}}` with
 * optional `seed`, `params` and `quality`. Only the geometry is validated: equal-length arrays of
 * finite numbers, at least one sphere, r > 0, material 0 or 1. `id` may be a string or a number.
 *
 * @example
 * parseSphereLine('{"id": 1, "particles": {"x": [0, 9], "y": [0, 0], "z": [0, 0], "r": [5, 4], "material": [0, 1]}}', 'spheres.jsonl:1');
 */
export function parseSphereLine(line: string, where: string): SphereRecord {
  const o = parseRecord(line, where);
  const idRaw = o['id'];
  const id = typeof idRaw === 'number' && Number.isFinite(idRaw) ? String(idRaw) : idRaw;
  if (typeof id !== 'string' || id === '') throw new AggregateFormatError(`${where}: "id" must be a non-empty string or a number, got ${JSON.stringify(idRaw) ?? 'nothing'}`);
  const seedRaw = o['seed'];
  if (seedRaw !== undefined && typeof seedRaw !== 'string' && !(typeof seedRaw === 'number' && Number.isFinite(seedRaw))) {
    throw new AggregateFormatError(`${where}: "seed" must be a string or number, got ${JSON.stringify(seedRaw)}`);
  }
  const particles = parseParticles(o['particles'], where);
  if (particles.r.length === 0) throw new AggregateFormatError(`${where}: "particles" holds no sphere`);
  return { id, ...(seedRaw !== undefined ? { seed: String(seedRaw) } : {}), ...(o['params'] !== undefined ? { params: o['params'] } : {}), particles };
}

function parseParticles(ps: unknown, where: string): Particles {
  if (!isObject(ps)) throw new AggregateFormatError(`${where}: "particles" must be an object {x, y, z, r, material}`);
  const x = numberArray(ps['x'], 'x', where);
  const y = numberArray(ps['y'], 'y', where);
  const z = numberArray(ps['z'], 'z', where);
  const r = numberArray(ps['r'], 'r', where, (v) => (v > 0 ? null : 'is not a positive radius'));
  const m = numberArray(ps['material'], 'material', where, (v) => (v === 0 || v === 1 ? null : 'is not a material code (0 = A, 1 = B)'));
  const n = x.length;
  for (const [name, arr] of [['y', y], ['z', z], ['r', r], ['material', m]] as const) {
    if (arr.length !== n) throw new AggregateFormatError(`${where}: particles.${name} has ${arr.length} entries but particles.x has ${n}`);
  }
  return { x, y, z, r, material: Uint8Array.from(m) };
}

/** Streams the sphere sets of a JSON Lines file (see {@link parseSphereLine}); errors name file and line. */
export function iterateSphereRecords(path: string): Generator<SphereRecord> {
  return iterateLines(path, parseSphereLine);
}

/** All sphere sets of a JSON Lines file. */
export function readSphereRecords(path: string): SphereRecord[] {
  return Array.from(iterateSphereRecords(path));
}

/**
 * Streams the aggregates of a JSON Lines file one at a time (blank lines skipped), so files larger
 * than memory can be processed. Errors name the file and line.
 */
export function iterateAggregatesJsonl(path: string): Generator<Aggregate> {
  return iterateLines(path, parseAggregateLine);
}

function* iterateLines<T>(path: string, parse: (line: string, where: string) => T): Generator<T> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new AggregateFormatError(`cannot read aggregates file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    // Synchronous chunked reading so notebooks can use a plain for-of loop (no async iteration).
    const buf = Buffer.alloc(1 << 20);
    const decoder = new StringDecoder('utf8'); // keeps multi-byte characters split across chunks intact
    let rest = '';
    let lineNo = 0;
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      const text = got > 0 ? rest + decoder.write(buf.subarray(0, got)) : rest + decoder.end();
      const lines = text.split('\n');
      rest = got > 0 ? lines.pop()! : '';
      for (const line of lines) {
        lineNo++;
        if (line.trim() === '') continue;
        yield parse(line, `${path}:${lineNo}`);
      }
      if (got === 0) break;
    }
  } finally {
    closeSync(fd);
  }
}

/** All aggregates of a JSON Lines file. */
export function readAggregatesJsonl(path: string): Aggregate[] {
  return Array.from(iterateAggregatesJsonl(path));
}

/**
 * Writes aggregates as JSON Lines atomically (temp file + rename): on any error nothing is left at
 * `path`. Accepts any iterable, so a generator can stream aggregates without holding them all.
 */
export function writeAggregatesJsonl(path: string, aggregates: Iterable<Aggregate>): number {
  const w = atomicWriter(path);
  let n = 0;
  try {
    for (const a of aggregates) {
      w.write(aggregateToJsonLine(a) + '\n');
      n++;
    }
    w.commit();
  } catch (e) {
    w.abort();
    throw e;
  }
  return n;
}
