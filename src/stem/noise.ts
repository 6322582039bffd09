/**
 * Shot noise and detector chain (docs/stem.md):
 *
 *   N ~ Poisson(N0 · I)                               exact sampler, every λ
 *   S = round(g·N + √(g²c²N + σ_r²)·Z + offset)       Z ~ N(0, 1); clipped to [0, 65535]
 *   Î = (S − offset) / (g·N0)                         the normalised estimate the CNN sees
 *
 * The Gaussian term joins the gain noise (scintillator/PMT pulse-height spread: given N electrons,
 * a sum of N pulses with mean 1 and coefficient of variation c, variance c²N by the CLT) and the
 * read-out noise σ_r. Hence E[S] = gλ + offset and Var(S) = g²λ(1 + c²) + σ_r² (+ 1/12 from the
 * rounding to integer counts), as long as nothing is clipped.
 */
import { poissonPtrs } from '../random/poisson.js';
import { fastUniforms, type RandomStream, type UniformSource } from '../random/index.js';
import type { MicroscopeConfig } from './config.js';

/** Noisy outputs for one clean image. */
export interface StemNoisyImage {
  /** Detector counts S (16-bit, offset included). */
  counts: Uint16Array;
  /** Normalised estimate (S − offset)/(g·N0) of the HAADF fraction. */
  noisy: Float32Array;
}

// Ziggurat tables (Marsaglia & Tsang, J. Stat. Softw. 5(8), 2000; 128 layers) with the layer index,
// the sign and a 24-bit magnitude taken from disjoint bits of one uint32 (Doornik 2005 showed that
// sharing bits between layer and magnitude biases the original). Constant, built once.
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
const ZIG_M = 2 ** 24;
const ZIG = (() => {
  const k = new Uint32Array(128), w = new Float64Array(128), f = new Float64Array(128);
  let dn = ZIG_R, tn = dn;
  const q = ZIG_V / Math.exp(-0.5 * dn * dn);
  k[0] = Math.floor((dn / q) * ZIG_M);
  k[1] = 0;
  w[0] = q / ZIG_M;
  w[127] = dn / ZIG_M;
  f[0] = 1;
  f[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIG_V / dn + Math.exp(-0.5 * dn * dn)));
    k[i + 1] = Math.floor((dn / tn) * ZIG_M);
    tn = dn;
    f[i] = Math.exp(-0.5 * dn * dn);
    w[i] = dn / ZIG_M;
  }
  return { k, w, f };
})();

/**
 * Standard normal by the ziggurat method: one uint32 in ~99 % of draws; the wedges and the tail
 * are sampled exactly by rejection with `double()`. Used in the per-pixel noise loop, where the
 * polar method's log and sqrt per pair would dominate the cost.
 */
export function normalZiggurat(rng: UniformSource): number {
  return zigguratFrom(rng, rng.uint32());
}

/** The ziggurat given its first uint32 `u0` (the noise loop inlines the common layer test). */
function zigguratFrom(rng: UniformSource, u0: number): number {
  const { k, w, f } = ZIG;
  for (let first = true; ; first = false) {
    const u = first ? u0 : rng.uint32();
    const i = u & 127;
    const j = u >>> 8;
    const sign = u & 128 ? -1 : 1;
    if (j < k[i]!) return sign * j * w[i]!;
    if (i === 0) {
      let x: number, y: number;
      do {
        x = -Math.log(1 - rng.double()) / ZIG_R;
        y = -Math.log(1 - rng.double());
      } while (y + y < x * x);
      return sign * (ZIG_R + x);
    }
    const x = j * w[i]!;
    if (f[i]! + rng.double() * (f[i - 1]! - f[i]!) < Math.exp(-0.5 * x * x)) return sign * x;
  }
}

// Poisson(λ) for 0 < λ < 10, exactly, without an exp() and an unpredictable search per pixel: by
// additivity N = X + Y with X ~ Poisson(m/16) (m = ⌊16λ⌋) by inversion of a precomputed CDF table
// with a guide table (Chen & Asau 1974), and Y ~ Poisson(δ), δ = λ − m/16 < 1/16, from the same
// uniform recycled: given X = k, (u − F(k−1))/p(k) is again uniform and independent of k. Y = 0
// whenever that residual is ≤ 1 − δ ≤ e^−δ (a squeeze that holds in ≥ 15/16 of the draws).
const GRID = 16;
const LEVELS = 10 * GRID;
const KMAX = 64;
const GUIDE = 128;
// Level m's CDF F(0..KMAX−1) starts at m·ROW + 1 behind a 0, so F(k − 1) needs no k > 0 test.
const ROW = KMAX + 1;
const POISSON_TABLES = (() => {
  const cdf = new Float64Array(LEVELS * ROW), guide = new Uint8Array(LEVELS * GUIDE);
  for (let m = 0; m < LEVELS; m++) {
    const lam = m / GRID, o = m * ROW + 1;
    let p = Math.exp(-lam), c = p;
    for (let k = 0; k < KMAX; k++) {
      cdf[o + k] = c;
      p *= lam / (k + 1);
      c += p;
    }
    // Sentinel: the search always stops; landing here means u beyond the rounded CDF (redraw).
    cdf[o + KMAX - 1] = Infinity;
    let k = 0;
    for (let g = 0; g < GUIDE; g++) {
      while (cdf[o + k]! < g / GUIDE) k++;
      guide[m * GUIDE + g] = k;
    }
  }
  return { cdf, guide };
})();

/** Poisson(λ), 0 < λ < 10, given its first uniform `u0` (redraws, if any, come from `rng`). */
function poissonSmallFrom(rng: UniformSource, lambda: number, u0: number): number {
  const { cdf, guide } = POISSON_TABLES;
  const m = Math.floor(lambda * GRID);
  const delta = lambda - m / GRID;
  const o = m * ROW + 1;
  for (let first = true; ; first = false) {
    const u = first ? u0 : rng.double();
    let k = guide[m * GUIDE + Math.floor(u * GUIDE)]!;
    while (u > cdf[o + k]!) k++;
    if (k === KMAX - 1) continue;
    if (delta === 0) return k;
    const lo = cdf[o + k - 1]!;
    const r = (u - lo) / (cdf[o + k]! - lo);
    if (r <= 1 - delta) return k;
    let p = Math.exp(-delta), c = p, y = 0;
    while (r > c && y < 100) {
      y++;
      p *= delta / y;
      c += p;
    }
    return k + y;
  }
}

/**
 * Draws shot noise and detector noise for a clean HAADF-fraction image `clean` (values in [0, 1);
 * negative values count as 0) using `config.doseElectronsPerPx` and `config.detector`. The training
 * loop can call this every epoch on the stored clean image; `simulateImage` calls it with
 * `deriveStream(rng, 'noise')`, so the same stream reproduces its `counts` exactly. The per-pixel
 * numbers come from a xoshiro128** source seeded from `rng` ({@link fastUniforms}). Pass `out` to
 * reuse buffers.
 */
export function addNoise(
  clean: ArrayLike<number>,
  config: Pick<MicroscopeConfig, 'doseElectronsPerPx' | 'detector'>,
  rng: RandomStream,
  out?: Partial<StemNoisyImage>,
): StemNoisyImage {
  const n = clean.length;
  const counts = out?.counts && out.counts.length === n ? out.counts : new Uint16Array(n);
  const noisy = out?.noisy && out.noisy.length === n ? out.noisy : new Float32Array(n);
  const N0 = config.doseElectronsPerPx;
  const { gain: g, gainCv: c, offset, readNoise: sr } = config.detector;
  if (!(N0 > 0)) throw new RangeError(`addNoise: doseElectronsPerPx must be > 0, got ${N0}`);
  if (!(g > 0)) throw new RangeError(`addNoise: detector.gain must be > 0, got ${g}`);
  // Typed arrays are read directly (the simulator and the loader pass Float32Array); anything else
  // through a Float64Array copy.
  const src = clean instanceof Float32Array || clean instanceof Float64Array ? clean : Float64Array.from(clean);
  noiseLoop(src, N0, g, c, offset, sr, fastUniforms(rng), counts, noisy);
  return { counts, noisy };
}

// The common paths of poissonSmallFrom and the ziggurat are inlined below (same draws, same
// results; the rare paths call the functions above with the numbers already drawn), as is a table
// of the Gaussian scale √(g²c²N + σ_r²) for small N: this loop runs once per pixel.
function noiseLoop(
  clean: Float32Array | Float64Array, N0: number, g: number, c: number, offset: number, sr: number,
  u: UniformSource, counts: Uint16Array, noisy: Float32Array,
): void {
  const n = clean.length;
  const g2c2 = g * g * c * c, sr2 = sr * sr;
  const norm = 1 / (g * N0);
  const gaussian = g2c2 > 0 || sr2 > 0;
  const { cdf, guide } = POISSON_TABLES;
  const { k: zk, w: zw } = ZIG;
  const SD_TABLE = 256;
  const sdOf = new Float64Array(SD_TABLE);
  for (let N = 0; N < SD_TABLE; N++) sdOf[N] = Math.sqrt(g2c2 * N + sr2);
  for (let i = 0; i < n; i++) {
    const v = clean[i]!;
    // Negative intensities (e.g. from a user's filtered image) count as 0; NaN is an error.
    const lambda = v > 0 ? N0 * v : 0;
    if (!(lambda <= 2 ** 52) || v !== v) throw new RangeError(`addNoise: clean[${i}] = ${v} gives no valid Poisson mean (need a finite intensity)`);
    let N: number;
    if (lambda === 0) N = 0;
    else if (lambda < 10) {
      const x = u.double();
      const m = (lambda * GRID) | 0;
      const o = m * ROW + 1;
      let k = guide[m * GUIDE + ((x * GUIDE) | 0)]!;
      while (x > cdf[o + k]!) k++;
      const delta = lambda - m / GRID;
      // The squeeze (x − F(k−1))/p(k) ≤ 1 − δ, multiplied out (p(k) > 0).
      const lo = cdf[o + k - 1]!;
      N = x - lo <= (1 - delta) * (cdf[o + k]! - lo) && k !== KMAX - 1 ? k : poissonSmallFrom(u, lambda, x);
    } else N = poissonPtrs(u, lambda);
    let s = g * N + offset;
    if (gaussian) {
      const b = u.uint32() | 0; // the same bits as an int32, which V8 keeps unboxed
      const zi = b & 127, zj = b >>> 8;
      // Sign 1 − 2·bit7 without a (mispredicted half the time) branch.
      const z = zj < zk[zi]! ? (1 - ((b >>> 6) & 2)) * zj * zw[zi]! : zigguratFrom(u, b >>> 0);
      s += (N < SD_TABLE ? sdOf[N]! : Math.sqrt(g2c2 * N + sr2)) * z;
    }
    // Round half up as floor(s + ½): Math.round's semantics for s > 0, at a fraction of its cost in V8.
    const S = s <= 0 ? 0 : s >= 65535 ? 65535 : Math.floor(s + 0.5);
    counts[i] = S;
    noisy[i] = (S - offset) * norm;
  }
}
