/**
 * Training-time augmentation: the 8 symmetries of the square (D4) and the detector settings for
 * drawing fresh noise on binned images.
 */
import type { MicroscopeConfig } from '../stem/config.js';

/**
 * Writes into `out` the D4 transform `t` (0–7) of the square image `src` of side `n`: rotation by
 * `t mod 4` quarter turns (counter-clockwise), preceded by a horizontal flip when `t ≥ 4`. `t = 0`
 * is the identity; the 8 transforms are the symmetries of the square, which are symmetries of the
 * prior (the model is isotropic), so they augment without bias.
 */
export function d4Transform(src: ArrayLike<number>, n: number, t: number, out: Float32Array | Float64Array = new Float32Array(n * n)): Float32Array | Float64Array {
  if (!Number.isInteger(t) || t < 0 || t > 7) throw new RangeError(`d4Transform: t must be an integer in [0, 7], got ${t}`);
  if (src.length !== n * n || out.length !== n * n) throw new RangeError(`d4Transform: expected ${n}×${n} = ${n * n} values, got ${src.length} → ${out.length}`);
  const rot = t & 3;
  const flip = t >= 4;
  const m = n - 1;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let sy: number, sx: number;
      if (rot === 0) (sy = y), (sx = x);
      else if (rot === 1) (sy = x), (sx = m - y);
      else if (rot === 2) (sy = m - y), (sx = m - x);
      else (sy = m - x), (sx = y);
      if (flip) sx = m - sx;
      out[y * n + x] = src[sy * n + sx]!;
    }
  }
  return out;
}

/**
 * The detector settings that give binned images the right noise: a b×b block mean of pixels with
 * dose N0, gain g and read noise σ has the distribution of one pixel with dose b²·N0, gain g/b² and
 * read noise σ/b (sums of Poisson counts are Poisson; the gain spread scales with the count), up
 * to integer rounding and 16-bit clipping of the individual pixels.
 */
export function binnedNoiseConfig(microscope: MicroscopeConfig, binning: number): MicroscopeConfig {
  if (binning === 1) return microscope;
  const b2 = binning * binning;
  return {
    ...microscope,
    widthPx: microscope.widthPx / binning,
    heightPx: microscope.heightPx / binning,
    pixelSizeNm: microscope.pixelSizeNm * binning,
    doseElectronsPerPx: microscope.doseElectronsPerPx * b2,
    detector: { ...microscope.detector, gain: microscope.detector.gain / b2, readNoise: microscope.detector.readNoise / binning },
  };
}

