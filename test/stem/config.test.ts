import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomStream } from '../../src/random/index.js';
import {
  DEFAULT_MICROSCOPE, MicroscopeConfigError, electronWavelengthPm, loadIntensityCurve, loadMicroscopeConfig,
  materialIntensity, microscopePreset, resolveMicroscopeConfig, simulateImage, validateMicroscopeConfig,
} from '../../src/stem/index.js';
import { idealConfig, smallAggregate } from './helpers.js';

test('presets and defaults follow DESIGN §3', () => {
  const q = microscopePreset('quick'), p = microscopePreset('paper');
  assert.deepEqual([q.widthPx, q.heightPx, q.pixelSizeNm], [128, 128, 1.6]);
  assert.deepEqual([p.widthPx, p.heightPx, p.pixelSizeNm], [512, 512, 1.0]);
  assert.equal(p.materialA.opticalDensityPerNm, 0.5e-3);
  assert.equal(p.materialB.opticalDensityPerNm, 1.69e-3);
  assert.equal(p.carbon.opticalDensityPerNm, 0.12e-3);
  assert.equal(p.carbon.thicknessNm, 8);
  assert.deepEqual([p.beamEnergyKeV, p.convergenceMrad, p.detectorInnerMrad, p.detectorOuterMrad], [300, 20, 60, 230]);
  assert.deepEqual([p.blurSigmaNm, p.doseElectronsPerPx, p.kappaSigma], [0.15, 5e3, 0.15]);
  // Presets are copies: changing one does not change the defaults.
  q.materialA.opticalDensityPerNm = 9;
  assert.equal(microscopePreset('quick').materialA.opticalDensityPerNm, 0.5e-3);
  assert.equal(validateMicroscopeConfig(DEFAULT_MICROSCOPE).widthPx, 512);
});

test('config validation errors name the field, the value and the allowed range', () => {
  const bad = (input: object, re: RegExp) => assert.throws(() => resolveMicroscopeConfig(input), (e: unknown) => e instanceof MicroscopeConfigError && re.test((e as Error).message));
  bad({ pixelSizeNm: -1 }, /^microscope\.pixelSizeNm must be a number in \(0, 1000\], got -1$/);
  bad({ widthPx: 100.5 }, /^microscope\.widthPx must be an integer in \[4, 16384\], got 100\.5$/);
  bad({ doseElectronsPerPx: 'lots' }, /doseElectronsPerPx must be a number in \(0, 1000000000000\], got "lots"/);
  bad({ detectorInnerMrad: 15 }, /detectorInnerMrad must be a number in \(20, 1000\], got 15/);
  bad({ carbon: { holeFraction: 1 } }, /carbon\.holeFraction must be a number in \[0, 1\), got 1/);
  bad({ detector: { gain: 0 } }, /detector\.gain must be a number in \(0, 65535\], got 0/);
  bad({ defocus: { slabs: 2.5 } }, /defocus\.slabs must be an integer in \[0, 64\], got 2\.5/);
  bad({ pixelsize: 1 }, /unknown field "pixelsize"/);
  bad({ carbon: { thickness: 3 } }, /microscope\.carbon: unknown field "thickness"/);
  bad({ preset: 'huge' }, /unknown microscope preset "huge"; expected one of: paper, quick/);
  bad({ materialB: { intensityCurve: { thicknessNm: [0, 1], intensity: [0, 1.2] } } }, /materialB\.intensityCurve\.intensity\[1\] must be < 1/);
  const ok = resolveMicroscopeConfig({ preset: 'quick', doseElectronsPerPx: 1e4, carbon: { thicknessNm: 0 } });
  assert.deepEqual([ok.widthPx, ok.doseElectronsPerPx, ok.carbon.thicknessNm, ok.carbon.opticalDensityPerNm], [128, 1e4, 0, 0.12e-3]);
  assert.throws(() => simulateImage(smallAggregate(), { ...ok, blurSigmaNm: Number.NaN }, randomStream(1)), /blurSigmaNm must be a number in \[0, 1000\], got NaN/);
});

test('electron wavelength: 300 kV → 1.9688 pm, 200 kV → 2.5079 pm', () => {
  assert.ok(Math.abs(electronWavelengthPm(300) - 1.9688) < 1e-4);
  assert.ok(Math.abs(electronWavelengthPm(200) - 2.5079) < 1e-4);
});

test('tabulated I(t) JSON loads, validates, and reproduces the exponential when tabulated from it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-curve-'));
  try {
    const R = 1.69e-3;
    const thicknessNm = Array.from({ length: 41 }, (_, k) => k * 2.5);
    const curveFile = join(dir, 'wo3.json');
    writeFileSync(curveFile, JSON.stringify({
      format: 'aggstem-intensity-curve', version: 1, material: 'WO3', source: 'test: 1 - exp(-R t)',
      thicknessNm, intensity: thicknessNm.map((t) => -Math.expm1(-R * t)),
    }));
    const curve = loadIntensityCurve(curveFile);
    assert.equal(curve.thicknessNm.length, 41);
    const withCurve = { ...microscopePreset('paper').materialB, intensityCurve: curve };
    const plain = microscopePreset('paper').materialB;
    for (const t of [0, 0.3, 2.5, 7.77, 99.9, 100, 180]) {
      const a = materialIntensity(withCurve, t), b = materialIntensity(plain, t);
      assert.ok(Math.abs(a - b) <= 1e-12 * b, `t=${t}: ${a} vs ${b}`);
    }
    // Through a config file that points at the curve (relative path), the whole image matches.
    const cfgFile = join(dir, 'microscope.json');
    writeFileSync(cfgFile, JSON.stringify({ preset: 'quick', widthPx: 64, heightPx: 64, materialB: { intensityCurve: 'wo3.json' } }));
    const cfg = loadMicroscopeConfig(cfgFile);
    assert.deepEqual(cfg.materialB.intensityCurve?.thicknessNm, thicknessNm);
    const base = { ...cfg, materialB: plain };
    const a = simulateImage(smallAggregate(), cfg, randomStream('curve'));
    const b = simulateImage(smallAggregate(), base, randomStream('curve'));
    let maxRel = 0;
    for (let i = 0; i < a.clean.length; i++) maxRel = Math.max(maxRel, Math.abs(a.clean[i]! - b.clean[i]!) / Math.max(b.clean[i]!, 1e-12));
    assert.ok(maxRel < 1e-6, `max relative difference ${maxRel}`);

    // A non-linear curve is interpolated linearly in −ln(1 − I) and extrapolated with the last slope.
    const sat = idealConfig({ materialA: { intensityCurve: { thicknessNm: [0, 10, 20], intensity: [0, 0.1, 0.15] } } });
    const dAt = (t: number) => -Math.log1p(-materialIntensity(sat.materialA, t));
    assert.ok(Math.abs(dAt(5) - -Math.log(0.9) / 2) < 1e-12);
    assert.ok(Math.abs(dAt(30) - (-Math.log(0.85) + (Math.log(0.9) - Math.log(0.85)))) < 1e-12);

    const bad = (content: object, re: RegExp) => {
      writeFileSync(join(dir, 'bad.json'), JSON.stringify(content));
      assert.throws(() => loadIntensityCurve(join(dir, 'bad.json')), re);
    };
    bad({ thicknessNm: [0, 5, 4], intensity: [0, 0.1, 0.2] }, /thicknessNm must be strictly increasing, but \[1\] = 5 and \[2\] = 4/);
    bad({ thicknessNm: [0, 5, 10], intensity: [0, 0.2, 0.1] }, /intensity must be non-decreasing \(monotone\), but \[1\] = 0.2 and \[2\] = 0.1/);
    bad({ thicknessNm: [1, 5], intensity: [0, 0.1] }, /thicknessNm\[0\] must be 0, got 1/);
    bad({ thicknessNm: [0, 5], intensity: [0.01, 0.1] }, /intensity\[0\] must be 0/);
    bad({ thicknessNm: [0, 5, 6], intensity: [0, 0.1] }, /same length >= 2, got 3 and 2/);
    bad({ thicknessNm: [0, 5], intensity: [0, 1] }, /intensity\[1\] must be < 1/);
    bad({ format: 'other', thicknessNm: [0, 5], intensity: [0, 0.1] }, /"format" must be "aggstem-intensity-curve"/);
    bad({ thicknessNm: [0, 5], intensity: [0, 0.1], extra: 1 }, /unknown field "extra"/);
    assert.throws(() => loadMicroscopeConfig(join(dir, 'missing.json')), /neither a preset \(paper, quick, dfsp\) nor an existing file/);
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ dose: 5 }));
    assert.throws(() => loadMicroscopeConfig(join(dir, 'typo.json')), /typo\.json: microscope: unknown field "dose"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
