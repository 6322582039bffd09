import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateAggregate } from '../../src/model/generate.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import { normal, randomStream } from '../../src/random/index.js';
import { microscopePreset, simulateImage } from '../../src/stem/index.js';
import {
  prepareImage, resampleImage, estimateBackground, findAggregate, resolveBeamLevels, PreprocessError,
} from '../../src/preprocess/index.js';
import { projectionStats, projectionDistance, digitalTwins } from '../../src/analysis/twins.js';

const params = { ...MODEL_PRESETS.quick, nParticles: 40 };
const aggregate = generateAggregate(params, randomStream('pre', 'agg'));

test('area resampling conserves the mean exactly and equals 2×2 binning for a factor 2', () => {
  const rng = randomStream('rs');
  const w = 64, h = 48;
  const data = Float32Array.from({ length: w * h }, () => rng.double());
  const r = resampleImage(data, w, h, 1, 2);
  assert.equal(r.width, 32); assert.equal(r.height, 24);
  for (let y = 0; y < 24; y++) for (let x = 0; x < 32; x++) {
    const b = (data[2 * y * w + 2 * x]! + data[2 * y * w + 2 * x + 1]! + data[(2 * y + 1) * w + 2 * x]! + data[(2 * y + 1) * w + 2 * x + 1]!) / 4;
    assert.ok(Math.abs(r.data[y * 32 + x]! - b) < 1e-6);
  }
  const d60 = Float32Array.from({ length: 60 * 48 }, () => rng.double());
  const r3 = resampleImage(d60, 60, 48, 1, 1.5);
  assert.equal(r3.width, 40); assert.equal(r3.height, 32);
  let m0 = 0; for (const v of d60) m0 += v;
  let m1 = 0; for (const v of r3.data) m1 += v;
  assert.ok(Math.abs(m0 / d60.length - m1 / r3.data.length) < 1e-6);
});

test('background estimate ignores a minority of bright pixels', () => {
  const rng = randomStream('bg');
  const data = Float64Array.from({ length: 10000 }, (_, i) => (i < 1500 ? 500 + 100 * rng.double() : normal(rng, 100, 5)));
  const bg = estimateBackground(data);
  assert.ok(Math.abs(bg.level - 100) < 0.5, `level ${bg.level}`);
  assert.ok(Math.abs(bg.sigma - 5) < 1, `sigma ${bg.sigma}`);
});

test('preprocessing simulated detector counts with known pixel size, dose and offset recovers the clean beam fraction', () => {
  const cfg = microscopePreset('quick');
  const img = simulateImage(aggregate.particles, cfg, randomStream('pre', 'img'));
  assert.ok(img.fits);
  const { gain, offset } = cfg.detector;
  const fullBeam = offset + gain * cfg.doseElectronsPerPx;
  const prep = prepareImage(
    { data: img.counts, width: img.widthPx, height: img.heightPx, pixelSizeNm: cfg.pixelSizeNm },
    { size: cfg.widthPx, pixelSizeNm: cfg.pixelSizeNm },
    { vacuumLevel: offset, fullBeamLevel: fullBeam },
  );
  assert.equal(prep.levels.vacuumSource, 'user');
  // The aggregate is re-centred, so compare statistics that do not depend on the shift: the total
  // signal and its noise. Sum over the image of (estimate − clean) must vanish within 4 standard errors.
  let sClean = 0, sPrep = 0, varSum = 0;
  for (let i = 0; i < img.clean.length; i++) {
    sClean += img.clean[i]!;
    sPrep += prep.data[i]!;
    // Var of one normalised pixel: (g²λ(1 + c²) + σr² + 1/12 quantisation)/(g N0)², λ = N0·I.
    const lambda = cfg.doseElectronsPerPx * img.clean[i]!;
    varSum += (gain * gain * lambda * (1 + cfg.detector.gainCv ** 2) + cfg.detector.readNoise ** 2 + 1 / 12) / (gain * cfg.doseElectronsPerPx) ** 2;
  }
  assert.ok(Math.abs(sPrep - sClean) < 4 * Math.sqrt(varSum), `sum ${sPrep} vs clean ${sClean} (se ${Math.sqrt(varSum)})`);
  // Pixel-wise: inside the window, (estimate − clean)/σ_pixel has mean 0 and variance 1 (4 SE).
  const [ox, oy] = prep.windowOriginPx;
  let n = 0, sz = 0, sz2 = 0;
  for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) {
    const sx = x + ox, sy = y + oy;
    if (sx < 0 || sy < 0 || sx >= 128 || sy >= 128) continue;
    const c = img.clean[sy * 128 + sx]!;
    const sd = Math.sqrt(gain * gain * cfg.doseElectronsPerPx * c * (1 + cfg.detector.gainCv ** 2) + cfg.detector.readNoise ** 2 + 1 / 12) / (gain * cfg.doseElectronsPerPx);
    const z = (prep.data[y * 128 + x]! - c) / sd;
    n++; sz += z; sz2 += z * z;
  }
  assert.ok(n > 128 * 100);
  assert.ok(Math.abs(sz / n) < 4 / Math.sqrt(n), `mean z ${sz / n}`);
  assert.ok(Math.abs(sz2 / n - 1) < 4 * Math.sqrt(2 / n) + 0.02, `var z ${sz2 / n}`);
  const agg = findAggregate(Float32Array.from(img.noisy), img.widthPx, img.heightPx)!;
  assert.ok(agg.areaPx >= prep.aggregate.areaPx * 0.9 && agg.areaPx <= prep.aggregate.areaPx * 1.1);
  assert.match(prep.notes.join('\n'), /vacuum level 1000/);
});

test('levels: estimated vacuum, metadata, normalised data, and clear refusals', () => {
  const cfg = microscopePreset('quick');
  const img = simulateImage(aggregate.particles, cfg, randomStream('pre', 'img2'));
  const raw = { data: img.counts, width: img.widthPx, height: img.heightPx, pixelSizeNm: cfg.pixelSizeNm };
  assert.throws(() => resolveBeamLevels(raw), (e: unknown) => e instanceof PreprocessError && /full-beam detector level is unknown/.test((e as Error).message));
  const est = resolveBeamLevels(raw, { fullBeamLevel: 41000 });
  assert.equal(est.vacuumSource, 'estimated');
  // The estimated background sits at offset + g·N0·I_film, a little above the dark level.
  const film = 1 - Math.exp(-cfg.carbon.opticalDensityPerNm * cfg.carbon.thicknessNm);
  assert.ok(Math.abs(est.vacuum - (cfg.detector.offset + cfg.detector.gain * cfg.doseElectronsPerPx * film)) < 10, `vacuum ${est.vacuum}`);
  const meta = resolveBeamLevels({ ...raw, metadata: { text: { fullBeamLevel: '41000', vacuumLevel: '1000' } } });
  assert.deepEqual([meta.vacuum, meta.fullBeam, meta.vacuumSource, meta.fullBeamSource], [1000, 41000, 'metadata', 'metadata']);
  assert.equal(resolveBeamLevels(raw, { normalised: true }).vacuumSource, 'normalised');
  assert.throws(() => prepareImage({ ...raw, pixelSizeNm: null }, { size: 128, pixelSizeNm: 1.6 }, { normalised: true }), /pixel size is unknown/);
  // A model whose field is half as wide cannot take this aggregate.
  assert.throws(() => prepareImage({ data: img.noisy, width: 128, height: 128, pixelSizeNm: 1.6 }, { size: 24, pixelSizeNm: 1.6 }, { normalised: true }), /does not fit the model's 24×24 px field/);
  assert.throws(() => prepareImage({ data: new Float32Array(100), width: 10, height: 10, pixelSizeNm: 1 }, { size: 10, pixelSizeNm: 1 }, { normalised: true }), /no aggregate found/);
});

test('digital twins: closer at the true parameters than at distant ones; ranked by distance', () => {
  const cfg = microscopePreset('quick');
  const observed = simulateImage(aggregate.particles, cfg, randomStream('twin-obs')).noisy;
  const obs = projectionStats(observed, 128, cfg.pixelSizeNm)!;
  assert.equal(projectionDistance(obs, obs), 0);
  const near = digitalTwins(observed, 128, cfg.pixelSizeNm, params, cfg, { keep: 3, candidates: 12, seed: 1 });
  const far = digitalTwins(observed, 128, cfg.pixelSizeNm, { ...params, nParticles: 80, fractionB: 0.1 }, cfg, { keep: 3, candidates: 12, seed: 1 });
  assert.equal(near.twins.length, 3);
  for (let i = 1; i < near.twins.length; i++) assert.ok(near.twins[i]!.distance >= near.twins[i - 1]!.distance);
  assert.ok(near.twins[0]!.distance < far.twins[0]!.distance, `near ${near.twins[0]!.distance} vs far ${far.twins[0]!.distance}`);
  assert.equal(near.twins[0]!.aggregate.particles.r.length, 40);
});
