/** Integer binning: what the dataset stores when the simulated field is finer than the CNN input. */

/**
 * Block mean over `factor × factor` pixels of a row-major `width × height` image, in float64 then
 * rounded once to float32 (so it does not depend on summation order across machines).
 */
export function binImage(src: ArrayLike<number>, width: number, height: number, factor: number): Float32Array {
  if (factor === 1) return Float32Array.from(src);
  const w = width / factor, h = height / factor;
  const out = new Float32Array(w * h);
  const inv = 1 / (factor * factor);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = 0; dy < factor; dy++) {
        const row = (y * factor + dy) * width + x * factor;
        for (let dx = 0; dx < factor; dx++) s += src[row + dx]!;
      }
      out[y * w + x] = s * inv;
    }
  }
  return out;
}
