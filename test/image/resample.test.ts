// The one resampler (src/image/resample.ts): resampleImage reproduces the preprocessing resampler it
// replaced (kept here verbatim as the reference) for down- and upsampling at integer and
// non-integer ratios; resampleToGrid conserves a constant image and fills outside with the border mean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resampleImage, resampleToGrid } from '../../src/image/resample.js';
import { randomStream } from '../../src/random/index.js';

function referenceResample(data: ArrayLike<number>, width: number, height: number, fromNm: number, toNm: number): { data: Float32Array; width: number; height: number } {
  if (!(fromNm > 0 && toNm > 0)) throw new Error(`resampleImage: pixel sizes must be > 0 (got ${fromNm} → ${toNm} nm)`);
  const s = toNm / fromNm;
  const w = Math.max(1, Math.round(width / s)), h = Math.max(1, Math.round(height / s));
  const out = new Float32Array(w * h);
  if (Math.abs(s - 1) < 1e-12) {
    for (let i = 0; i < out.length; i++) out[i] = data[i]!;
    return { data: out, width, height };
  }
  if (s > 1) {
    // Separable area weights: output cell [i·s, (i+1)·s) overlaps input cells fractionally.
    const weights = (n: number, nIn: number) => {
      const idx: number[][] = [], wt: number[][] = [];
      for (let o = 0; o < n; o++) {
        const a = o * s, b = Math.min((o + 1) * s, nIn);
        const ii: number[] = [], ww: number[] = [];
        for (let k = Math.floor(a); k < Math.ceil(b); k++) {
          const ov = Math.min(b, k + 1) - Math.max(a, k);
          if (ov > 0) { ii.push(k); ww.push(ov / (b - a)); }
        }
        idx.push(ii); wt.push(ww);
      }
      return { idx, wt };
    };
    const cx = weights(w, width), cy = weights(h, height);
    const tmp = new Float64Array(w * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < w; x++) {
        let acc = 0;
        const ii = cx.idx[x]!, ww = cx.wt[x]!;
        for (let k = 0; k < ii.length; k++) acc += ww[k]! * data[y * width + ii[k]!]!;
        tmp[y * w + x] = acc;
      }
    }
    for (let y = 0; y < h; y++) {
      const ii = cy.idx[y]!, ww = cy.wt[y]!;
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let k = 0; k < ii.length; k++) acc += ww[k]! * tmp[ii[k]! * w + x]!;
        out[y * w + x] = acc;
      }
    }
    return { data: out, width: w, height: h };
  }
  for (let y = 0; y < h; y++) {
    const fy = Math.min(height - 1, Math.max(0, (y + 0.5) * s - 0.5));
    const y0 = Math.floor(fy), y1 = Math.min(height - 1, y0 + 1), ty = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(width - 1, Math.max(0, (x + 0.5) * s - 0.5));
      const x0 = Math.floor(fx), x1 = Math.min(width - 1, x0 + 1), tx = fx - x0;
      out[y * w + x] =
        (1 - ty) * ((1 - tx) * data[y0 * width + x0]! + tx * data[y0 * width + x1]!) +
        ty * ((1 - tx) * data[y1 * width + x0]! + tx * data[y1 * width + x1]!);
    }
  }
  return { data: out, width: w, height: h };
}

test('resampleImage equals the former preprocessing resampler (float32 rounding)', () => {
  const rng = randomStream('resample-ref');
  for (const [w, h] of [[64, 48], [61, 37], [9, 13]] as const) {
    const data = Float32Array.from({ length: w * h }, () => rng.double());
    for (const [from, to] of [[1, 2], [1, 1.5], [1, 1.37], [1.6, 1], [1, 0.7], [2.2, 1.6], [1, 3.1]] as const) {
      const a = resampleImage(data, w, h, from, to);
      const b = referenceResample(data, w, h, from, to);
      assert.equal(a.width, b.width);
      assert.equal(a.height, b.height);
      let worst = 0;
      for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
      assert.ok(worst <= 2e-7, `${w}×${h} ${from}→${to} nm: max difference ${worst}`);
    }
  }
});

test('resampleToGrid keeps a constant image constant and pads with the border mean', () => {
  const img = { data: new Float32Array(40 * 30).fill(0.25), widthPx: 40, heightPx: 30, pixelSizeNm: 1 };
  const out = resampleToGrid(img, 1.3, 64, 64); // 83 nm field over a 40 × 30 nm image: padded
  for (const v of out) assert.ok(Math.abs(v - 0.25) < 1e-6);
  assert.throws(() => resampleToGrid({ ...img, pixelSizeNm: 0 }, 1, 8), /pixel size 0 nm/);
});
