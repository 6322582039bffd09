/**
 * Seeded, splittable random streams and the distributions aggstem needs.
 *
 * Every random choice in aggstem flows through an explicit {@link RandomStream}. A stream is a
 * seedrandom `xor4096` generator (Brent's xorgens, period 2^4096 − 2^32) whose seed is a SHA-256
 * hash of a *path*: `randomStream(seed, "sample", 17)` is a pure function of `(seed, "sample", 17)`,
 * so sample 17 of a dataset is the same on any worker count, shard split or re-run.
 *
 * Distribution helpers are plain functions taking the stream first, e.g. `normal(rng, 0, 1)`.
 */
import { createHash } from 'node:crypto';
import seedrandom from 'seedrandom';

import type { PathSegment, RandomStream, Seed, UniformSource } from './types.js';

export type { PathSegment, RandomStream, Seed, UniformSource } from './types.js';

function hashKey(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

function checkSegment(s: unknown, where: string): void {
  if (typeof s === 'number' ? !Number.isFinite(s) : typeof s !== 'string') {
    throw new TypeError(`${where}: path segments must be strings or finite numbers, got ${String(s)}`);
  }
}

/**
 * xor4096 with the state in an Int32Array and the step as a method: the same numbers as
 * seedrandom's `xor4096` (which seeds it), bit for bit, without its closures and untyped state
 * array (about 25 % faster in the per-pixel noise loop, where the generator dominates; a variant
 * buffering 128 outputs per refill measured slower).
 */
class Xor4096Stream implements RandomStream {
  readonly key: string;
  private readonly x: Int32Array;
  private i: number;
  private w: number;

  constructor(key: string) {
    this.key = key;
    // The hex key seeds xor4096 through its string mixer, so all 256 bits reach the state.
    const s = seedrandom.xor4096(key, { state: true }).state() as unknown as { i: number; w: number; X: number[] };
    this.x = Int32Array.from(s.X);
    this.i = s.i;
    this.w = s.w;
  }

  /** seedrandom's `next()`: one xorshift step combined with the Weyl sequence. */
  private next(): number {
    const X = this.x;
    const w = (this.w = (this.w + 0x61c88647) | 0);
    let v = X[(this.i + 34) & 127]!;
    const i = (this.i = (this.i + 1) & 127);
    let t = X[i]!;
    v ^= v << 13;
    t ^= t << 17;
    v ^= v >>> 15;
    t ^= t >>> 12;
    v = X[i] = v ^ t;
    return (v + (w ^ (w >>> 16))) | 0;
  }

  double(): number {
    // seedrandom's construction: 53 bits from two draws, never exactly 0.
    for (;;) {
      const top = this.next() >>> 11;
      const bot = (this.next() >>> 0) / 0x100000000;
      const result = (top + bot) / (1 << 21);
      if (result !== 0) return result;
    }
  }

  uint32(): number {
    return this.next() >>> 0;
  }
}

/**
 * xoshiro128** (Blackman & Vigna, ACM TOMS 47(4) 2021; passes BigCrush) with its 128-bit state in
 * four int32 fields: V8 inlines `next()` into a pixel loop, where it measured ~3 ns a number against
 * xor4096's ~6 ns (which reads and writes a 128-word array per step).
 */
class Xoshiro128Source implements UniformSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a | 0;
    this.b = b | 0;
    this.c = c | 0;
    this.d = d | 0;
  }

  next(): number {
    const s1 = this.b;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    const s2 = this.c ^ this.a;
    const s3 = this.d ^ s1;
    this.b = s1 ^ s2;
    this.a ^= s3;
    this.c = s2 ^ t;
    this.d = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  double(): number {
    // 52 bits, centred in their interval: (k + ½)·2⁻⁵² is exact in double for every k < 2⁵², so the
    // result is never 0 or 1 and its mean is exactly 1/2 (53 bits + ½ would round, even up to 1).
    const hi = this.next() >>> 12, lo = this.next() >>> 0;
    return (hi * 4294967296 + lo + 0.5) * 2 ** -52;
  }

  uint32(): number {
    return this.next() >>> 0;
  }
}

/**
 * A fast xoshiro128** source seeded with 128 bits drawn from `rng` (four `uint32()` calls), for
 * per-pixel loops that need millions of numbers per image (shot and detector noise). It is a pure
 * function of `rng`'s position, so the same stream gives the same numbers; it has no key of its
 * own — derive sub-streams from `rng`, not from it.
 */
export function fastUniforms(rng: RandomStream): UniformSource {
  let a = rng.uint32(), b = rng.uint32(), c = rng.uint32(), d = rng.uint32();
  // The all-zero state is xoshiro's one fixed point (probability 2^-128; handled for exactness).
  if ((a | b | c | d) === 0) a = 1;
  return new Xoshiro128Source(a, b, c, d);
}

function fromKey(key: string): RandomStream {
  return new Xor4096Stream(key);
}

/**
 * A new stream for `seed` and an optional path. `randomStream(42, "sample", 3)` always yields the
 * same numbers, independent of any other stream.
 */
export function randomStream(seed: Seed, ...path: PathSegment[]): RandomStream {
  checkSegment(seed, 'randomStream seed');
  path.forEach((s) => checkSegment(s, 'randomStream'));
  return fromKey(hashKey(['aggstem', String(seed), ...path]));
}

/**
 * A sub-stream of `parent` for a sub-task. It depends on the parent's identity (its key) and the
 * path only, never on how many numbers the parent has drawn.
 */
export function deriveStream(parent: RandomStream, ...path: PathSegment[]): RandomStream {
  path.forEach((s) => checkSegment(s, 'deriveStream'));
  return fromKey(hashKey([parent.key, ...path]));
}

/**
 * The stream with a given key (as stored, e.g., in a dataset table's seed column): rebuilds exactly
 * the stream whose `key` it was, from its first number.
 */
export function streamFromKey(key: string): RandomStream {
  if (!/^[0-9a-f]{64}$/.test(key)) throw new TypeError(`streamFromKey: expected a 64-hex-digit stream key, got ${JSON.stringify(key)}`);
  return fromKey(key);
}

/** A 32-bit non-zero integer seed drawn from the stream (for libraries such as tfjs that treat 0 as "unseeded"). */
export function int32Seed(rng: RandomStream): number {
  return (rng.uint32() % 2147483646) + 1;
}

/** Uniform on [lo, hi). */
export function uniform(rng: RandomStream, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.double();
}

/** Uniform integer on [lo, hi] (both inclusive), without modulo bias. */
export function integer(rng: RandomStream, lo: number, hi: number): number {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
    throw new RangeError(`integer: need integers lo <= hi, got [${lo}, ${hi}]`);
  }
  const span = hi - lo + 1;
  if (span <= 2 ** 32) {
    const limit = Math.floor(2 ** 32 / span) * span;
    let u = rng.uint32();
    while (u >= limit) u = rng.uint32();
    return lo + (u % span);
  }
  return lo + Math.floor(rng.double() * span);
}

/** Standard normal by the Marsaglia polar method (one value per call; no hidden cached state). */
export function normal(rng: RandomStream, mean = 0, sd = 1): number {
  let u: number, v: number, s: number;
  do {
    u = 2 * rng.double() - 1;
    v = 2 * rng.double() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s === 0);
  return mean + sd * u * Math.sqrt((-2 * Math.log(s)) / s);
}

/** Bounds for a truncated distribution (inclusive). */
export interface Truncation {
  lo: number;
  hi: number;
}

/**
 * Lognormal with the given median and *geometric* standard deviation `sigmaGeo` (≥ 1):
 * `ln X ~ N(ln median, ln sigmaGeo)`. With `truncate`, values outside [lo, hi] are redrawn
 * (exact truncation by inversion of the normal CDF, so it never loops).
 */
export function lognormal(
  rng: RandomStream,
  median: number,
  sigmaGeo: number,
  truncate?: Truncation,
): number {
  if (!(median > 0)) throw new RangeError(`lognormal: median must be > 0, got ${median}`);
  if (!(sigmaGeo >= 1)) throw new RangeError(`lognormal: sigmaGeo must be >= 1, got ${sigmaGeo}`);
  const mu = Math.log(median);
  const s = Math.log(sigmaGeo);
  if (s === 0) return median;
  if (!truncate) return Math.exp(mu + s * normal(rng));
  const { lo, hi } = truncate;
  if (!(lo > 0 && hi >= lo)) throw new RangeError(`lognormal: bad truncation [${lo}, ${hi}]`);
  const a = normalCdf((Math.log(lo) - mu) / s);
  const b = normalCdf((Math.log(hi) - mu) / s);
  if (!(b > a)) throw new RangeError(`lognormal: truncation [${lo}, ${hi}] has no probability mass`);
  const z = normalQuantile(a + (b - a) * rng.double());
  return Math.min(hi, Math.max(lo, Math.exp(mu + s * z)));
}

/** Integer log-uniform on [lo, hi]: `round(exp(U(ln(lo − 0.5), ln(hi + 0.5))))`, clamped. */
export function logUniformInt(rng: RandomStream, lo: number, hi: number): number {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo) {
    throw new RangeError(`logUniformInt: need integers 1 <= lo <= hi, got [${lo}, ${hi}]`);
  }
  const v = Math.round(Math.exp(uniform(rng, Math.log(lo - 0.5 > 0 ? lo - 0.5 : lo), Math.log(hi + 0.5))));
  return Math.min(hi, Math.max(lo, v));
}

/** Fisher–Yates shuffle in place; returns the same array. */
export function shuffleInPlace<T, A extends { length: number; [i: number]: T }>(rng: RandomStream, a: A): A {
  for (let i = a.length - 1; i > 0; i--) {
    const j = integer(rng, 0, i);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/** A uniformly distributed unit vector in 3D. */
export function unitVector(rng: RandomStream): [number, number, number] {
  const z = 2 * rng.double() - 1;
  const phi = 2 * Math.PI * rng.double();
  const rho = Math.sqrt(Math.max(0, 1 - z * z));
  return [rho * Math.cos(phi), rho * Math.sin(phi), z];
}

/**
 * A uniformly random rotation (Haar measure on SO(3)) as a row-major 3×3 matrix, from a uniform
 * unit quaternion (Shoemake 1992).
 */
export function randomRotation(rng: RandomStream): Float64Array {
  const u1 = rng.double(), u2 = rng.double(), u3 = rng.double();
  const a = Math.sqrt(1 - u1), b = Math.sqrt(u1);
  const w = a * Math.sin(2 * Math.PI * u2), x = a * Math.cos(2 * Math.PI * u2);
  const y = b * Math.sin(2 * Math.PI * u3), z = b * Math.cos(2 * Math.PI * u3);
  return new Float64Array([
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ]);
}

/** Standard normal CDF Φ(z) (via erfc, accurate to ~1e-15 relative in the tails). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Complementary error function (W. J. Cody's rational approximations, double precision). */
export function erfc(x: number): number {
  // Numerical Recipes' erfcc Chebyshev form is only 1.2e-7; Cody's is full double precision.
  const ax = Math.abs(x);
  let r: number;
  if (ax < 0.5) {
    const t = x * x;
    const p = (((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
    const q = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
    return 1 - (x * p) / q;
  } else if (ax < 4) {
    const p = ((((((((2.15311535474403846e-8 * ax + 5.64188496988670089e-1) * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax + 298.635138197400131) * ax + 881.952221241769090) * ax + 1712.04761263407058) * ax + 2051.07837782607147) * ax + 1230.33935479799725);
    const q = (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax + 3290.79923573345963) * ax + 4362.61909014324716) * ax + 3439.36767414372164) * ax + 1230.33935480374942;
    r = Math.exp(-ax * ax) * (p / q);
  } else {
    const z = 1 / (ax * ax);
    const p = ((((1.63153871373020978e-2 * z + 3.05326634961232344e-1) * z + 3.60344899949804439e-1) * z + 1.25781726111229246e-1) * z + 1.60837851487422766e-2) * z + 6.58749161529837803e-4;
    const q = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 5.27905102951428412e-1) * z + 6.05183413124413191e-2) * z + 2.33520497626869185e-3;
    r = (Math.exp(-ax * ax) / ax) * (0.564189583547756287 - (z * p) / q);
  }
  return x < 0 ? 2 - r : r;
}

/** Inverse standard normal CDF (Acklam's algorithm refined by one Halley step; ~1e-15). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    throw new RangeError(`normalQuantile: p must be in [0, 1], got ${p}`);
  }
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  let x: number;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - pl) {
    const q = p - 0.5, r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

export { poisson } from './poisson.js';
