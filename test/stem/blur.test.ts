import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomStream } from '../../src/random/index.js';
import { simulateImage } from '../../src/stem/index.js';
import { gaussianKernel1d, gaussianBlur, defocusKernel2d, convolve2dAdd, convolveSeparable } from '../../src/stem/blur.js';
import { idealConfig, spheres, sum } from './helpers.js';

test('every Gaussian kernel sums to 1, is symmetric and has the right variance', () => {
  for (const sigma of [0, 0.05, 0.15, 0.5, 1, 2.7, 10]) {
    const k = gaussianKernel1d(sigma);
    assert.ok(Math.abs(sum(k) - 1) < 1e-15, `σ=${sigma}: sum ${sum(k)}`);
    const r = (k.length - 1) / 2;
    let v = 0;
    for (let i = 0; i < k.length; i++) {
      assert.equal(k[i], k[k.length - 1 - i]);
      assert.ok(k[i]! >= 0);
      v += k[i]! * (i - r) ** 2;
    }
    // Pixel integration adds the box variance 1/12 to σ².
    if (sigma >= 1) assert.ok(Math.abs(v - (sigma * sigma + 1 / 12)) < 1e-3 * (sigma * sigma), `σ=${sigma}: var ${v}`);
  }
  assert.throws(() => gaussianKernel1d(-1), /sigmaPx must be a finite number >= 0, got -1/);
  for (const [radius, sigma] of [[0, 0], [0.4, 0.15], [2.5, 0.3], [6, 1.2]] as const) {
    const { kernel, radius: r } = defocusKernel2d(radius, sigma);
    const side = 2 * r + 1;
    assert.ok(Math.abs(sum(kernel) - 1) < 1e-14);
    for (let v = 0; v < side; v++) for (let u = 0; u < side; u++) {
      assert.equal(kernel[v * side + u], kernel[v * side + (side - 1 - u)]);
      assert.equal(kernel[v * side + u], kernel[(side - 1 - v) * side + u]);
    }
  }
});

test('blur conserves total intensity to 1e-9, also with kernels wider than the image', () => {
  const rng = randomStream('blur-total');
  const W = 37, H = 53;
  const img = Float64Array.from({ length: W * H }, () => rng.double() ** 3);
  const total = sum(img);
  for (const sigma of [0.15, 1, 3.3, 30]) {
    const out = gaussianBlur(img, W, H, sigma);
    assert.ok(Math.abs(sum(out) / total - 1) < 1e-9, `σ=${sigma}`);
  }
  // In place (src === out) works too.
  const copy = img.slice();
  gaussianBlur(copy, W, H, 2, copy);
  assert.ok(Math.abs(sum(copy) / total - 1) < 1e-9);
  const { kernel, radius } = defocusKernel2d(4.2, 0.5);
  const out2 = convolve2dAdd(img, W, H, kernel, radius, new Float64Array(W * H));
  assert.ok(Math.abs(sum(out2) / total - 1) < 1e-9);
  // A point far from the edges spreads into exactly the kernel.
  const point = new Float64Array(W * H);
  point[26 * W + 18] = 1;
  const spread = gaussianBlur(point, W, H, 1.5);
  const k1 = gaussianKernel1d(1.5), r1 = (k1.length - 1) / 2;
  assert.ok(Math.abs(spread[(26 + 2) * W + 18 - 1]! - k1[r1 + 2]! * k1[r1 - 1]!) < 1e-16);
});

test('depth blur: a particle in focus is sharper than one 60 nm away, with the same integrated intensity', () => {
  const base = idealConfig({ widthPx: 96, heightPx: 64, pixelSizeNm: 0.5, blurSigmaNm: 0.15, defocus: { slabs: 4, focusOffsetNm: 0 } });
  // Two equal spheres: one at the focal plane (mid-height of the aggregate), one 60 nm lower.
  const p = spheres([[-12, 0, 30, 2, 1], [12, 0, -30, 2, 1]]);
  // Mid-height of the aggregate is z = 0 (extent −32…32); focus on the upper sphere.
  const focusAtTop = { ...base, defocus: { slabs: 4, focusOffsetNm: 30 } };
  const img = simulateImage(p, focusAtTop, randomStream('dof'), { center: false });
  const flat = simulateImage(p, idealConfig({ widthPx: 96, heightPx: 64, pixelSizeNm: 0.5, blurSigmaNm: 0.15 }), randomStream('dof'), { center: false });
  const halves = (im: Float32Array) => {
    let left = 0, right = 0, peakL = 0, peakR = 0;
    for (let j = 0; j < 64; j++) for (let i = 0; i < 96; i++) {
      const v = im[j * 96 + i]!;
      if (i < 48) { left += v; peakL = Math.max(peakL, v); } else { right += v; peakR = Math.max(peakR, v); }
    }
    return { left, right, peakL, peakR };
  };
  const a = halves(img.clean), b = halves(flat.clean);
  // Blur redistributes but conserves intensity (float32 sums).
  assert.ok(Math.abs(a.left / b.left - 1) < 1e-5 && Math.abs(a.right / b.right - 1) < 1e-5, JSON.stringify({ a, b }));
  // Left sphere (z = +30) is at the focal plane; the right one is 60 nm away: blur radius
  // α·60 nm = 1.2 nm = 2.4 px against a 4 px sphere radius.
  assert.ok(a.peakR < 0.9 * a.peakL, `peaks ${a.peakL} ${a.peakR}`);
  assert.ok(Math.abs(a.peakL / b.peakL - 1) < 1e-5, `in-focus peak ${a.peakL} vs ${b.peakL}`);
});

test('convolveSeparable into a Float32Array equals the float64 result rounded once (3-tap and wide kernels)', () => {
  const rng = randomStream('blur-f32');
  const W = 41, H = 29;
  const img = Float64Array.from({ length: W * H }, () => rng.double());
  for (const sigma of [0.15, 0.2, 1.3]) {
    const k = gaussianKernel1d(sigma);
    const f64 = convolveSeparable(img, W, H, k);
    const f32 = convolveSeparable(img, W, H, k, new Float32Array(W * H));
    assert.ok(f32 instanceof Float32Array);
    for (let i = 0; i < W * H; i++) assert.equal(f32[i], Math.fround(f64[i]!), `σ=${sigma}, pixel ${i}`);
  }
});
