import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomStream } from '../../src/random/index.js';
import {
  simulateImage, tiltSeries, axisRotation, resolveMicroscopeConfig, createStemWorkspace, microscopePreset,
} from '../../src/stem/index.js';
import { resampleBilinear, scanDisplacement } from '../../src/stem/distort.js';
import { idealConfig, smallAggregate, spheres, sum } from './helpers.js';

test('rotating the aggregate by 90° about z rotates the image (clean to float32 rounding; labels exactly)', () => {
  const cfg = idealConfig({ widthPx: 72, heightPx: 72, pixelSizeNm: 0.8, blurSigmaNm: 0.6, kappaSigma: 0.15 });
  const p = smallAggregate();
  const a = simulateImage(p, cfg, randomStream('rot'));
  const b = simulateImage(p, cfg, randomStream('rot'), { rotation: axisRotation(90, 'z') });
  const W = 72;
  let maxI = 0, maxDiff = 0;
  for (let j = 0; j < W; j++) {
    for (let i = 0; i < W; i++) {
      // (x, y) → (−y, x): pixel (i, j) moves to (W − 1 − j, i).
      const src = j * W + i, dst = i * W + (W - 1 - j);
      assert.equal(b.materialMask[dst], a.materialMask[src]);
      assert.equal(b.thicknessANm[dst], a.thicknessANm[src]);
      assert.equal(b.thicknessBNm[dst], a.thicknessBNm[src]);
      maxI = Math.max(maxI, a.clean[src]!);
      maxDiff = Math.max(maxDiff, Math.abs(b.clean[dst]! - a.clean[src]!));
    }
  }
  assert.ok(maxDiff <= 2 ** -23 * maxI, `max difference ${maxDiff} at max intensity ${maxI}`);
  assert.ok(sum(a.materialMask) > 100);
  assert.deepEqual(Array.from(b.kappa), Array.from(a.kappa));
});

test('same seed gives identical bytes, a different seed differs; workspace reuse changes nothing', () => {
  const cfg = { ...microscopePreset('quick'), widthPx: 64, heightPx: 64, distortion: { rmsPx: 0.5, correlationPx: 16, lineJitterPx: 0.3, driftShear: 0.01 } };
  const p = smallAggregate();
  const ws = createStemWorkspace();
  const a = simulateImage(p, cfg, randomStream(7, 'image', 0), { rotation: axisRotation(33, 'x') });
  const b = simulateImage(p, cfg, randomStream(7, 'image', 0), { rotation: axisRotation(33, 'x'), workspace: ws });
  simulateImage(spheres([[0, 0, 0, 20, 1]]), cfg, randomStream(1), { workspace: ws });
  const c = simulateImage(p, cfg, randomStream(7, 'image', 0), { rotation: axisRotation(33, 'x'), workspace: ws });
  for (const im of [b, c]) {
    assert.deepEqual(Buffer.from(im.counts.buffer), Buffer.from(a.counts.buffer));
    assert.deepEqual(Buffer.from(im.noisy.buffer), Buffer.from(a.noisy.buffer));
    assert.deepEqual(Buffer.from(im.clean.buffer), Buffer.from(a.clean.buffer));
    assert.deepEqual(im.materialMask, a.materialMask);
  }
  const d = simulateImage(p, cfg, randomStream(7, 'image', 1), { rotation: axisRotation(33, 'x') });
  assert.notDeepEqual(Buffer.from(d.counts.buffer), Buffer.from(a.counts.buffer));
});

test('zero distortion is the identity bit for bit; resampling with a zero field changes nothing', () => {
  const rng = randomStream('identity');
  const W = 40, H = 30;
  const src = Float64Array.from({ length: W * H }, () => rng.double());
  const zero = { widthPx: W, heightPx: H, dx: new Float64Array(W * H), dy: new Float64Array(W * H) };
  assert.deepEqual(resampleBilinear(src, zero, new Float64Array(W * H)), src);
  // The simulator skips resampling when every amplitude is 0; a vanishing amplitude takes the
  // resampling path and must give the same bytes.
  const cfg = idealConfig({ blurSigmaNm: 0.3 });
  const off = simulateImage(smallAggregate(), cfg, randomStream('id'));
  const tiny = simulateImage(smallAggregate(), { ...cfg, distortion: { ...cfg.distortion, rmsPx: 1e-300 } }, randomStream('id'));
  assert.deepEqual(Buffer.from(tiny.clean.buffer), Buffer.from(off.clean.buffer));
  assert.deepEqual(tiny.materialMask, off.materialMask);
});

test('line jitter only shifts rows: row sums kept, each row a shifted copy of the undistorted row', () => {
  const cfg = idealConfig({ blurSigmaNm: 0.8 });
  const jit = { ...cfg, distortion: { ...cfg.distortion, lineJitterPx: 0.7 } };
  const p = smallAggregate();
  const a = simulateImage(p, cfg, randomStream('jitter'));
  const b = simulateImage(p, jit, randomStream('jitter'));
  const W = cfg.widthPx;
  let shiftedRows = 0;
  for (let j = 0; j < cfg.heightPx; j++) {
    const ra = a.clean.subarray(j * W, (j + 1) * W), rb = b.clean.subarray(j * W, (j + 1) * W);
    const sa = sum(ra), sb = sum(rb);
    assert.ok(Math.abs(sa - sb) <= 1e-6 * Math.max(sa, 1e-30), `row ${j}: ${sa} vs ${sb}`);
    if (sa === 0) continue;
    // Recover the shift from the centroids and check the whole row against the interpolation.
    let ca = 0, cb = 0;
    for (let i = 0; i < W; i++) { ca += i * ra[i]!; cb += i * rb[i]!; }
    const s = (cb - ca) / sa;
    if (Math.abs(s) > 1e-3) shiftedRows++;
    for (let i = 0; i < W; i++) {
      const x = i - s, x0 = Math.floor(x), f = x - x0;
      const v = (1 - f) * (ra[x0] ?? 0) + f * (ra[x0 + 1] ?? 0);
      assert.ok(Math.abs(rb[i]! - v) < 1e-6 * sa, `row ${j} col ${i}`);
    }
  }
  assert.ok(shiftedRows > 5);
  // Columns do change (the image is not just translated as a whole).
  assert.notDeepEqual(a.clean, b.clean);
});

test('scan displacement field has exactly the requested RMS; drift is a linear shear', () => {
  const d = scanDisplacement({ rmsPx: 1.3, correlationPx: 12, lineJitterPx: 0, driftShear: 0 }, 80, 60, randomStream('disp'));
  for (const f of [d.dx, d.dy]) assert.ok(Math.abs(Math.sqrt(sum(f.map((v) => v * v)) / f.length) - 1.3) < 1e-9);
  const s = scanDisplacement({ rmsPx: 0, correlationPx: 12, lineJitterPx: 0, driftShear: 0.02 }, 10, 20, randomStream('drift'));
  assert.ok(Math.abs(s.dx[19 * 10 + 3]! - 0.02 * 9.5) < 1e-12 && s.dy.every((v) => v === 0));
});

test('centring, fits and margin; center=false keeps the rotated origin at the image centre', () => {
  const cfg = idealConfig({ widthPx: 64, heightPx: 48, pixelSizeNm: 0.5, fitMarginPx: 2 });
  const one = simulateImage(spheres([[100, -40, 7, 5, 0]]), cfg, randomStream('fit'));
  assert.equal(one.marginPx, Math.min(32, 24) - 10);
  assert.ok(one.fits);
  assert.deepEqual(one.centerNm, [100, -40]);
  const big = simulateImage(spheres([[0, 0, 0, 11.5, 1]]), cfg, randomStream('fit'));
  assert.ok(!big.fits && big.marginPx === 1);
  const far = simulateImage(spheres([[5, 0, 0, 2, 0]]), cfg, randomStream('fit'), { center: false });
  // Sphere centre 5 nm = 10 px right of the centre: columns 32 + 10 ± 4.
  let lo = Infinity, hi = -Infinity;
  far.materialMask.forEach((m, k) => { if (m) { lo = Math.min(lo, k % 64); hi = Math.max(hi, k % 64); } });
  assert.deepEqual([lo, hi], [38, 45]);
  assert.equal(far.marginPx, 32 - 14);
});

test('tilt series: shared film tilts with the specimen (t/cos θ), particle volume is invariant', () => {
  const cfg = resolveMicroscopeConfig({ widthPx: 64, heightPx: 64, pixelSizeNm: 1 });
  const p = smallAggregate();
  const series = tiltSeries(p, cfg, randomStream('tilt'), [-60, 0, 30, 60]);
  assert.deepEqual(series.map((s) => s.tiltDeg), [-60, 0, 30, 60]);
  const flat = series[1]!.thicknessCarbonNm, steep = series[3]!.thicknessCarbonNm;
  for (let i = 0; i < flat.length; i += 97) assert.ok(Math.abs(steep[i]! - 2 * flat[i]!) <= 1e-5 * flat[i]! + 1e-6);
  const vol = (s: (typeof series)[number]) => sum(s.thicknessANm) + sum(s.thicknessBNm);
  for (const s of series) assert.ok(Math.abs(vol(s) / vol(series[1]!) - 1) < 2e-3, `tilt ${s.tiltDeg}`);
  assert.deepEqual(Array.from(series[0]!.kappa), Array.from(series[3]!.kappa));
  assert.notDeepEqual(series[0]!.counts, series[3]!.counts);
  assert.throws(() => tiltSeries(p, cfg, randomStream(1), [90]), /anglesDeg\[0\] must be a number in \(-90, 90\), got 90/);
});

test('bad particles and rotations are rejected with clear errors', () => {
  const cfg = idealConfig();
  assert.throws(() => simulateImage(spheres([[0, 0, 0, -1, 0]]), cfg, randomStream(1)), /particles\.r\[0\] must be a finite number > 0, got -1/);
  assert.throws(() => simulateImage(spheres([[0, 0, 0, 1, 2]]), cfg, randomStream(1)), /particles\.material\[0\] must be 0 \(A\) or 1 \(B\), got 2/);
  assert.throws(() => simulateImage(smallAggregate(), cfg, randomStream(1), { rotation: [1, 0, 0, 0, 1, 0, 0, 0, 2] }), /not orthonormal/);
  assert.throws(() => simulateImage(smallAggregate(), cfg, randomStream(1), { rotation: [1, 0, 0, 0, 1, 0, 0, 0, -1] }), /determinant \+1/);
  const empty = simulateImage(spheres([]), cfg, randomStream(1));
  assert.equal(sum(empty.clean), 0);
});
