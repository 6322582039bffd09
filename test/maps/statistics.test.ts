// Element-map statistics (src/maps): hand-computed answers on drawn label images, known answers on
// maps rendered from simple model geometries, RGB overlays with burnt-in annotations through the real
// `aggstem edx` command (same statistics as the two channels they were made from), and the model check.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode as encodePng } from 'fast-png';
import { encodePng8 } from '../../src/io/png.js';
import { classifyMaps, LABEL_A, LABEL_B, MapInputError, type MaterialLabels } from '../../src/maps/classify.js';
import { predictiveCheck } from '../../src/maps/compare.js';
import { elementMapsOf } from '../../src/maps/render.js';
import { mapStatistics } from '../../src/maps/statistics.js';
import { generateAggregate } from '../../src/model/generate.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import { randomStream } from '../../src/random/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'aggstem-edx-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

function labelsOf(w: number, h: number, draw: (x: number, y: number) => number): MaterialLabels {
  const labels = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) labels[y * w + x] = draw(x, y);
  return { labels, widthPx: w, heightPx: h, pixelSizeNm: 0.5, options: { smoothPx: 0, threshold: 0.2, normalisePercentile: 99 } };
}

test('hand-computed: a 10×10 B square against a 30×10 A bar', () => {
  // B at x 5..14, y 5..14; A at x 15..24, y 0..29 (touching B's right side along 10 rows).
  const s = mapStatistics(labelsOf(40, 40, (x, y) => (x >= 5 && x < 15 && y >= 5 && y < 15 ? LABEL_B : x >= 15 && x < 25 && y < 30 ? LABEL_A : 0)), { minDomainDiameterNm: 0 });
  assert.equal(s.bDomains, 1);
  assert.equal(s.aDomains, 1);
  assert.equal(s.bAreaShare, 100 / 400);
  assert.ok(Math.abs(s.bDomainDiametersNm[0]! - 2 * Math.sqrt(100 / Math.PI) * 0.5) < 1e-12);
  // 36 boundary pixels of the 10×10 ring; the 10 of the right column touch A.
  assert.equal(s.bBoundaryContactShare, 10 / 36);
  assert.equal(s.solidityA, 1);
  assert.equal(s.solidityB, 1);
});

test('hand-computed: an L of three pixels has solidity 3/3.5; domains below the minimum size are ignored', () => {
  const s = mapStatistics(labelsOf(8, 8, (x, y) => ((x === 2 && y === 2) || (x === 3 && y === 2) || (x === 2 && y === 3) ? LABEL_B : x === 6 && y === 6 ? LABEL_B : 0)), { minDomainDiameterNm: 0 });
  assert.equal(s.bDomains, 2);
  // Area-weighted over the L (3 px, 3/3.5) and the single pixel (1 px, solidity 1).
  assert.ok(Math.abs(s.solidityB - (3 * (3 / 3.5) + 1) / 4) < 1e-12, `solidity ${s.solidityB}`);
  const big = mapStatistics(labelsOf(8, 8, (x, y) => ((x === 2 && y === 2) || (x === 3 && y === 2) || (x === 2 && y === 3) ? LABEL_B : x === 6 && y === 6 ? LABEL_B : 0)), { minDomainDiameterNm: 0.7 });
  assert.equal(big.bDomains, 1, 'the 1 px speck (0.56 nm across) is below 0.7 nm');
  assert.ok(Number.isNaN(big.bBoundaryContactShare) === false && big.bBoundaryContactShare === 0);
});

test('maps of two spheres: apart → no contact, near-disc solidity, area share from the radii; sintered → contact', () => {
  const two = (gapNm: number) => ({
    x: Float64Array.from([0, 8 + 6 + gapNm]), y: new Float64Array(2), z: new Float64Array(2), r: Float64Array.from([8, 6]), material: Uint8Array.from([0, 1]),
  });
  const apart = mapStatistics(elementMapsOf(two(20), { pixelSizeNm: 0.25 }), { smoothPx: 0 });
  assert.equal(apart.bDomains, 1);
  assert.equal(apart.aDomains, 1);
  assert.equal(apart.bBoundaryContactShare, 0);
  assert.ok(apart.solidityA > 0.97 && apart.solidityB > 0.97, `disc solidity ${apart.solidityA}, ${apart.solidityB}`);
  // Thresholded at 20 % of the p99 thickness: a disc of radius r√(1 − 0.2²) is kept.
  const share = 36 / (36 + 64);
  assert.ok(Math.abs(apart.bAreaShare - share) < 0.03, `B share ${apart.bAreaShare} vs ${share}`);
  const touching = mapStatistics(elementMapsOf(two(-3), { pixelSizeNm: 0.25 }), { smoothPx: 0 }); // a sintered neck
  assert.ok(touching.bBoundaryContactShare > 0.02 && touching.bBoundaryContactShare < 0.3, `contact ${touching.bBoundaryContactShare}`);
});

test('classifyMaps: bad input is refused with the field named', () => {
  assert.throws(() => classifyMaps({ a: new Float32Array(4), b: new Float32Array(3), widthPx: 2, heightPx: 2, pixelSizeNm: 1 }), (e: unknown) => e instanceof MapInputError && /maps\.b has 3 values; expected 2×2 = 4/.test((e as Error).message));
  assert.throws(() => classifyMaps({ a: new Float32Array(4), b: new Float32Array(4), widthPx: 2, heightPx: 2, pixelSizeNm: 1 }, { threshold: 1.5 }), /threshold = 1.5; expected a fraction in \(0, 1\)/);
});

/** A model aggregate's maps quantised to 8 bits (what a saved EDX map holds). */
function quantisedMaps() {
  const agg = generateAggregate({ ...MODEL_PRESETS.dfsp, nParticles: 300 }, randomStream('edx-overlay'));
  const m = elementMapsOf(agg.particles, { pixelSizeNm: 0.625, marginNm: 60 });
  let max = 0;
  for (let i = 0; i < m.a.length; i++) max = Math.max(max, m.a[i]!, m.b[i]!);
  const q = (v: ArrayLike<number>) => Uint8Array.from(v, (x) => Math.round((255 * x) / max));
  return { a: q(m.a), b: q(m.b), w: m.widthPx, h: m.heightPx };
}

test('aggstem edx: an RGB overlay with a burnt-in scale bar and labels gives the statistics of its two channels', () => {
  const { a, b, w, h } = quantisedMaps();
  writeFileSync(join(tmp, 'ti.png'), encodePng8(a, w, h));
  writeFileSync(join(tmp, 'w.png'), encodePng8(b, w, h));
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) (rgb[3 * i] = a[i]!), (rgb[3 * i + 1] = b[i]!);
  // Burnt-in annotations in the empty margin: a white scale bar, grey-white block letters "Ti W".
  const paint = (x0: number, y0: number, cw: number, ch: number, v: number) => {
    for (let y = y0; y < y0 + ch; y++) for (let x = x0; x < x0 + cw; x++) for (let c = 0; c < 3; c++) rgb[3 * (y * w + x) + c] = v;
  };
  paint(w - 90, h - 20, 80, 6, 255);
  paint(10, 10, 12, 3, 240); paint(14, 10, 4, 16, 240); paint(24, 14, 3, 12, 200); paint(36, 10, 3, 16, 255); paint(36, 23, 14, 3, 255); paint(47, 10, 3, 16, 255);
  writeFileSync(join(tmp, 'overlay.png'), encodePng({ width: w, height: h, data: rgb, channels: 3, depth: 8 }));

  const channels = cli('edx', '--a', join(tmp, 'ti.png'), '--b', join(tmp, 'w.png'), '--pixel-size', '0.625', '--json');
  assert.equal(channels.status, 0, channels.stderr);
  const overlay = cli('edx', join(tmp, 'overlay.png'), '--a', 'red', '--b', 'green', '--pixel-size', '0.625', '--json');
  assert.equal(overlay.status, 0, overlay.stderr);
  const sc = JSON.parse(channels.stdout).statistics, so = JSON.parse(overlay.stdout);
  assert.ok(so.maskedPixels >= 80 * 6, `masked ${so.maskedPixels} px`);
  for (const k of ['bAreaShare', 'bDomains', 'bBoundaryContactShare', 'solidityA', 'solidityB']) assert.equal(so.statistics[k], sc[k], k);
  assert.deepEqual(so.statistics.bDomainDiametersNm, sc.bDomainDiametersNm);
  // Without the annotation mask the white bar and letters count as material: the answer changes.
  const raw = cli('edx', join(tmp, 'overlay.png'), '--pixel-size', '0.625', '--json', '--no-auto-mask');
  assert.equal(raw.status, 0, raw.stderr);
  assert.notEqual(JSON.parse(raw.stdout).statistics.bDomains, sc.bDomains);
  // Human-readable output and clear errors.
  const text = cli('edx', join(tmp, 'overlay.png'), '--pixel-size', '0.625');
  assert.match(text.stdout, /solidity A \/ B +0\.\d{3} \/ 0\.\d{3}/);
  const noPx = cli('edx', join(tmp, 'overlay.png'));
  assert.equal(noPx.status, 2);
  assert.match(noPx.stderr, /has no pixel size; give --pixel-size NM/);
  const grey = cli('edx', join(tmp, 'ti.png'), '--pixel-size', '0.625');
  assert.match(grey.stderr, /1 channel\(s\); an overlay needs colour/);
  assert.doesNotMatch(grey.stderr + noPx.stderr, /\n\s+at /, 'no stack trace');
});

test('model check: a map from the model sits inside the model\'s distribution; an all-WO3 map does not', () => {
  const agg = generateAggregate({ ...MODEL_PRESETS.dfsp, nParticles: 350 }, randomStream('edx-check', 'real'));
  const real = mapStatistics(elementMapsOf(agg.particles, { pixelSizeNm: 1 }));
  const check = predictiveCheck(real, { params: { ...MODEL_PRESETS.dfsp, nParticles: 350 } }, { count: 12, seed: 'edx-check' });
  assert.equal(check.draws, 12);
  const share = check.rows.find((r) => r.statistic === 'bAreaShare')!;
  assert.ok(share.percentile > 0 && share.percentile < 1, `bAreaShare percentile ${share.percentile}`);
  assert.ok(share.modelLow5 <= share.modelMedian && share.modelMedian <= share.modelHigh95);
  const allB = { ...real, bAreaShare: 1 };
  const off = predictiveCheck(allB, { params: { ...MODEL_PRESETS.dfsp, nParticles: 350 } }, { count: 12, seed: 'edx-check' });
  assert.equal(off.rows.find((r) => r.statistic === 'bAreaShare')!.percentile, 1);
});
