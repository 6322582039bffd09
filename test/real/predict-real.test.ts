// `aggstem predict` on real microscope files and on simulated images saved in different forms:
// the file path must give the same prediction as the in-memory image, refusals must be clear, and
// --twins must write complete, readable outputs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/cnn/backend/index.js';
import { disposeEstimator, loadEstimator, predict, type Estimator, type ParamEstimate } from '../../src/cnn/index.js';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { readImage } from '../../src/io/read.js';
import { encodeTiffUint16 } from '../../src/io/tiff.js';
import { generateAggregate } from '../../src/model/generate.js';
import { readAggregatesJsonl } from '../../src/model/jsonl.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import { isAggstemBeamFraction, modelInputSpec, prepareImage } from '../../src/preprocess/index.js';
import { randomStream } from '../../src/random/index.js';
import { simulateImage, validateMicroscopeConfig, writeStemImage, type StemImage } from '../../src/stem/index.js';

const root = new URL('../..', import.meta.url).pathname;
const modelDir = join(root, 'datasets', 'quick-model');
const fixtures = '/work/shared/fixtures/stem-files';
const tmp = mkdtempSync(join(tmpdir(), 'aggstem-predict-real-'));
const backendArgs = process.env.AGGSTEM_TEST_BACKEND ? ['--backend', process.env.AGGSTEM_TEST_BACKEND] : [];

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'predict', ...args], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Row extends ParamEstimate {
  file: string;
  preprocessing: { notes: string[]; levels: { vacuum: number; fullBeam: number; vacuumSource: string; fullBeamSource: string } };
}

let est: Estimator;
let img: StemImage;
const simDir = join(tmp, 'sim');
const unknownTif = join(tmp, 'unknown.tif');

before(async () => {
  await initBackend((process.env.AGGSTEM_TEST_BACKEND as 'cpu' | undefined) ?? 'auto');
  est = await loadEstimator(modelDir);
  // The model's own microscope, so the image is exactly what it was trained on.
  const microscope = validateMicroscopeConfig(est.meta.microscope);
  const agg = generateAggregate({ ...MODEL_PRESETS.quick, nParticles: 45 }, randomStream('predict-real', 'agg'));
  img = simulateImage(agg.particles, microscope, randomStream('predict-real', 'img'));
  assert.ok(img.fits);
  writeStemImage(simDir, img);
  // An "unknown" file: raw counts, no pixel size, no detector levels (as from a foreign tool).
  writeFileAtomic(unknownTif, encodeTiffUint16(img.counts, img.widthPx, img.heightPx));
});
after(() => {
  if (est) disposeEstimator(est);
  rmSync(tmp, { recursive: true, force: true });
});

test('prediction from the saved float32 TIFF equals the in-memory prediction (1e-5); from counts.png within 1e-4 scaled units', async () => {
  const spec = modelInputSpec(est.meta);
  const prep = prepareImage({ data: img.noisy, width: img.widthPx, height: img.heightPx, pixelSizeNm: img.pixelSizeNm }, spec, { normalised: true });
  const mem = await predict(est, { data: prep.data, widthPx: prep.size, heightPx: prep.size, pixelSizeNm: prep.pixelSizeNm });

  // counts.png carries its detector levels; normalising its counts reproduces the beam fractions up to float32 rounding.
  const counts = readImage(join(simDir, 'counts.png'));
  assert.equal(counts.metadata.text && (counts.metadata.text as Record<string, string>).fullBeamLevel, String(1000 + 8 * 5000));
  const prepCounts = prepareImage({ data: counts.data, width: counts.width, height: counts.height, pixelSizeNm: counts.pixelSizeNm, metadata: counts.metadata }, spec);
  assert.equal(prepCounts.levels.fullBeamSource, 'metadata');
  let maxDiff = 0;
  for (let i = 0; i < prep.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(prep.data[i]! - prepCounts.data[i]!));
  assert.ok(maxDiff < 1e-8, `beam fractions from counts.png differ by ${maxDiff}`);
  assert.ok(isAggstemBeamFraction(readImage(join(simDir, 'intensity.tif'))));

  const r = cli('--model', modelDir, join(simDir, 'intensity.tif'), join(simDir, 'counts.png'), '--json', ...backendArgs);
  assert.equal(r.status, 0, r.stderr);
  const [tif, png] = JSON.parse(r.stdout) as Row[];
  assert.ok(tif!.preprocessing.notes.includes('data already in beam fractions'), tif!.preprocessing.notes.join('; '));
  assert.match(png!.preprocessing.notes.join('; '), /vacuum level 1000\.00 \(metadata\), full-beam level 41000\.0 \(metadata\)/);
  mem.names.forEach((n, j) => {
    assert.ok(Math.abs(tif!.scaledMean[j]! - mem.scaledMean[j]!) <= 1e-5, `${n}: TIFF ${tif!.scaledMean[j]} vs memory ${mem.scaledMean[j]}`);
    assert.ok(Math.abs(tif!.mean[j]! - mem.mean[j]!) <= 1e-5 * Math.max(1, Math.abs(mem.mean[j]!)), `${n} raw units`);
    assert.ok(Math.abs(tif!.scaledSd[j]! - mem.scaledSd[j]!) <= 1e-5, `${n} sd`);
    // Inputs differ by < 1e-8 beam fraction (≈ 2e-7 after the input transform): the network moves < 1e-4.
    assert.ok(Math.abs(png!.scaledMean[j]! - mem.scaledMean[j]!) <= 1e-4, `${n}: counts.png ${png!.scaledMean[j]} vs memory ${mem.scaledMean[j]}`);
  });
});

test('a real MRC scan (16×16 px of 5.7 nm): clear refusal without the full-beam level, and again with it (no aggregate in the field)', () => {
  const file = join(fixtures, 'HAADFscan.mrc');
  const a = cli('--model', modelDir, file);
  assert.equal(a.status, 2);
  assert.match(a.stderr, /^error: aggstem predict: .*HAADFscan\.mrc: the full-beam detector level is unknown: .*--full-beam LEVEL/m);
  assert.doesNotMatch(a.stderr, /\n\s+at /, 'no stack trace');
  // 16 px × 5.68 nm resample to 57 px at 1.6 nm; the scan is a smooth ramp of a crystal, with nothing above background + 4σ.
  const b = cli('--model', modelDir, file, '--full-beam', '20000');
  assert.equal(b.status, 2);
  assert.match(b.stderr, /^error: aggstem predict: .*HAADFscan\.mrc: no aggregate found: nothing stands above the background noise$/m);
});

test('an image without metadata: refused without --pixel-size / --full-beam, predicted with them (same as counts.png)', () => {
  const noPixel = cli('--model', modelDir, unknownTif, '--full-beam', '41000');
  assert.equal(noPixel.status, 2);
  assert.match(noPixel.stderr, /unknown\.tif: the pixel size is unknown: .*--pixel-size NM/);
  const noLevel = cli('--model', modelDir, unknownTif, '--pixel-size', '1.6');
  assert.equal(noLevel.status, 2);
  assert.match(noLevel.stderr, /unknown\.tif: the full-beam detector level is unknown/);

  const r = cli('--model', modelDir, unknownTif, join(simDir, 'counts.png'), '--pixel-size', '1.6', '--vacuum', '1000', '--full-beam', '41000', '--json', ...backendArgs);
  assert.equal(r.status, 0, r.stderr);
  const [given, png] = JSON.parse(r.stdout) as Row[];
  assert.equal(given!.preprocessing.levels.vacuumSource, 'user');
  assert.equal(given!.preprocessing.levels.fullBeamSource, 'user');
  given!.scaledMean.forEach((u, j) => assert.ok(Math.abs(u - png!.scaledMean[j]!) <= 1e-6, `${given!.names[j]}: ${u} vs ${png!.scaledMean[j]}`));

  // Vacuum estimated from the background: reported, and the film background mapped to the model's.
  const est2 = cli('--model', modelDir, unknownTif, '--pixel-size', '1.6', '--full-beam', '41000', ...backendArgs);
  assert.equal(est2.status, 0, est2.stderr);
  assert.match(est2.stdout, /unknown\.tif\n {2}nParticles +\S+ ± \S+\n(.*\n){6} {2}· pixel size 1\.6 nm \(given\)\n {2}· vacuum level [\d.]+ \(estimated\), full-beam level 41000\.0 \(user\)\n {2}· background set to the model's film level 0\.00096/);
});

test('--twins writes twins.jsonl (model reader, sorted by distance), PNG previews, a self-contained twins.html and summary.json', () => {
  const out = join(tmp, 'out');
  const r = cli('--model', modelDir, join(simDir, 'counts.png'), '--twins', '2', '--candidates', '6', '--seed', '4', '--out', out, ...backendArgs);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /twins .*counts\.png \[#+\] 6\/6 100\.0% .* 2 kept, \d failed done in/);
  const dir = join(out, 'counts');
  assert.deepEqual(readdirSync(dir).sort(), ['observed.png', 'summary.json', 'twin-1.png', 'twin-2.png', 'twins.html', 'twins.jsonl']);
  const twins = readAggregatesJsonl(join(dir, 'twins.jsonl'));
  assert.equal(twins.length, 2);
  const d = twins.map((t) => (t.quality as unknown as { twinDistance: number; twinRank: number }));
  assert.deepEqual(d.map((q) => q.twinRank), [1, 2]);
  assert.ok(d[0]!.twinDistance <= d[1]!.twinDistance && d[0]!.twinDistance >= 0);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary.twins.candidates, 6);
  assert.deepEqual(summary.twins.kept.map((k: { distance: number }) => k.distance), d.map((q) => q.twinDistance));
  // Twins are drawn at the prediction (clamped into the prior): N within one of the predicted median.
  assert.ok(Math.abs(twins[0]!.params.nParticles - summary.mean[0]) <= 0.5 + 1e-9);
  assert.equal(twins[0]!.particles.r.length, twins[0]!.params.nParticles);
  for (const f of ['observed.png', 'twin-1.png']) {
    const png = readImage(join(dir, f));
    assert.equal(png.width, 128);
    assert.equal(png.pixelSizeNm, 1.6);
  }
  const html = readFileSync(join(dir, 'twins.html'), 'utf8');
  assert.ok(html.length > 1e6, 'plotly.js is inlined');
  assert.doesNotMatch(html, /<script[^>]+src=/, 'no external scripts (works offline)');
  assert.match(html, /id="twin-1"/);
  assert.match(html, /id="twin-2"/);
  assert.match(html, /"type":"mesh3d"/);
  assert.equal(html.match(/<img src="data:image\/png;base64,/g)?.length, 3, 'observed + one simulated image per twin, embedded');
  assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')));
});

test('bad flags exit 2 with a clear message', () => {
  const file = join(simDir, 'counts.png');
  const cases: [string[], RegExp][] = [
    [['--twins', '2'], /--twins needs --out DIR/],
    [['--twins', '0', '--out', tmp], /--twins must be an integer >= 1, got "0"/],
    [['--twins', '3', '--candidates', '2', '--out', tmp], /--candidates \(2\) must be at least --twins \(3\)/],
    [['--candidates', '5'], /--candidates only applies with --twins K/],
    [['--vacuum', 'dark'], /--vacuum must be a number, got "dark"/],
    [['--normalised', '--full-beam', '41000'], /--normalised .* cannot be combined with --vacuum \/ --full-beam/],
    [['--vacuum', '500', '--full-beam', '400'], /--full-beam \(400\) must exceed --vacuum \(500\)/],
    [['--pixel-size=-1'], /--pixel-size must be > 0 nm, got -1/],
  ];
  for (const [args, re] of cases) {
    const r = cli('--model', modelDir, file, ...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp('^error: aggstem predict: ' + re.source, 'm'), args.join(' '));
  }
  const missing = cli('--model', modelDir, join(tmp, 'nope.dm4'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.dm4.*cannot open the file/);
  assert.ok(!existsSync(join(tmp, 'counts')), 'nothing written on a refusal');
});
