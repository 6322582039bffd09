import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_PRIOR, MODEL_PRESETS, ModelParamError, PARAM_LIMITS, QUICK_PRIOR, resolveModelParams, samplePrior,
  validateModelParams, validateModelPrior, varyingParams, type ModelPrior,
} from '../../src/model/params.js';
import { MODEL_PARAM_NAMES } from '../../src/model/types.js';
import { randomStream } from '../../src/random/index.js';

function paramError(fn: () => unknown, field: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelParamError, `expected ModelParamError, got ${String(e)}`);
    assert.equal(e.field, field);
    assert.match(e.message, pattern);
    return true;
  });
}

test('validateModelParams names the field, value and allowed range', () => {
  const p = MODEL_PRESETS.paper;
  paramError(() => validateModelParams({ ...p, fractalDim: 3.4 }), 'fractalDim', /^fractalDim = 3\.4 is outside the allowed range \[1, 3\]$/);
  paramError(() => validateModelParams({ ...p, radiusMedianA: 0 }), 'radiusMedianA', /radiusMedianA = 0 is outside the allowed range \(0, 1000\] nm/);
  paramError(() => validateModelParams({ ...p, nParticles: 10.5 }), 'nParticles', /nParticles = 10\.5 is not an integer; expected an integer in \[4, 100000\]/);
  paramError(() => validateModelParams({ ...p, nParticles: 3 }), 'nParticles', /nParticles = 3 is outside the allowed range integer in \[4, 100000\]/);
  paramError(() => validateModelParams({ ...p, overlap: '0.1' }), 'overlap', /overlap = "0\.1" is not a finite number; expected a number in \[0, 0\.5\]/);
  paramError(() => validateModelParams({ ...p, segregation: Number.NaN }), 'segregation', /not a finite number/);
  paramError(() => validateModelParams({ ...p, fractalDimension: 2 }), 'fractalDimension', /unknown model parameter "fractalDimension"; expected one of nParticles/);
  const { prefactor: _drop, ...partial } = p;
  paramError(() => validateModelParams(partial), 'prefactor', /model parameter prefactor is missing; expected a number in \[0\.1, 10\]/);
  assert.throws(() => validateModelParams([1, 2]), ModelParamError);
  // Every limit's bounds are accepted, just outside is rejected.
  for (const name of MODEL_PARAM_NAMES) {
    const l = PARAM_LIMITS[name];
    assert.equal(validateModelParams({ [name]: l.max }, p)[name], l.max);
    assert.throws(() => validateModelParams({ [name]: l.max + (l.integer ? 1 : 1e-9) }, p), ModelParamError);
    if (!l.minExclusive) assert.equal(validateModelParams({ [name]: l.min }, p)[name], l.min);
    assert.throws(() => validateModelParams({ [name]: l.min - (l.integer ? 1 : 1e-9) }, p), ModelParamError);
  }
});

test('validateModelParams completes a partial object from base and returns canonical order', () => {
  const v = validateModelParams({ overlap: 0.1, fractalDim: 2.2 }, MODEL_PRESETS.quick);
  assert.deepEqual(Object.keys(v), [...MODEL_PARAM_NAMES]);
  assert.equal(v.fractalDim, 2.2);
  assert.equal(v.overlap, 0.1);
  assert.equal(v.nParticles, MODEL_PRESETS.quick.nParticles);
});

test('priors: DESIGN §1 table, quick differs only in N, validation errors name the entry', () => {
  assert.deepEqual(DEFAULT_PRIOR.nParticles, { kind: 'logUniformInt', lo: 20, hi: 250 });
  assert.deepEqual(DEFAULT_PRIOR.fractalDim, { kind: 'uniform', lo: 1.6, hi: 2.5 });
  assert.deepEqual(DEFAULT_PRIOR.prefactor, { kind: 'fixed', value: 1.3 });
  assert.deepEqual(QUICK_PRIOR.nParticles, { kind: 'logUniformInt', lo: 20, hi: 80 });
  for (const n of MODEL_PARAM_NAMES) if (n !== 'nParticles') assert.deepEqual(QUICK_PRIOR[n], DEFAULT_PRIOR[n]);
  assert.deepEqual(validateModelPrior(JSON.parse(JSON.stringify(DEFAULT_PRIOR))), DEFAULT_PRIOR);
  assert.deepEqual(varyingParams(DEFAULT_PRIOR), ['nParticles', 'fractionB', 'radiusMedianA', 'radiusMedianB', 'fractalDim', 'segregation', 'overlap']);
  const bad = (patch: Partial<Record<string, unknown>>) => ({ ...DEFAULT_PRIOR, ...patch });
  paramError(() => validateModelPrior(bad({ fractalDim: { kind: 'uniform', lo: 1.6, hi: 3.4 } })), 'prior.fractalDim.hi', /prior\.fractalDim\.hi = 3\.4 is outside the allowed range \[1, 3\]/);
  paramError(() => validateModelPrior(bad({ fractalDim: { kind: 'uniform', lo: 2.5, hi: 1.6 } })), 'prior.fractalDim.lo', /greater than prior\.fractalDim\.hi/);
  paramError(() => validateModelPrior(bad({ nParticles: { kind: 'uniform', lo: 20, hi: 80 } })), 'prior.nParticles.kind', /'fixed' or 'logUniformInt'/);
  paramError(() => validateModelPrior(bad({ overlap: { kind: 'logUniformInt', lo: 0, hi: 1 } })), 'prior.overlap.kind', /'fixed' or 'uniform'/);
  paramError(() => validateModelPrior(bad({ overlap: { kind: 'fixed', value: 0.1, hi: 2 } })), 'prior.overlap.hi', /unknown key "hi"/);
  paramError(() => validateModelPrior(bad({ overlap: 0.1 })), 'prior.overlap', /must be an object/);
  paramError(() => validateModelPrior(bad({ foo: { kind: 'fixed', value: 1 } })), 'prior.foo', /unknown parameter "foo"/);
  const { overlap: _o, ...missing } = DEFAULT_PRIOR;
  paramError(() => validateModelPrior(missing), 'prior.overlap', /must be an object/);
  const degenerate: ModelPrior = { ...DEFAULT_PRIOR, fractalDim: { kind: 'uniform', lo: 2, hi: 2 } };
  assert.ok(!varyingParams(degenerate).includes('fractalDim'));
});

test('samplePrior: within bounds, fixed values exact, integer N, deterministic; log-uniform N', () => {
  const a = randomStream('prior'), b = randomStream('prior');
  const ns: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const p = samplePrior(DEFAULT_PRIOR, a);
    assert.deepEqual(p, samplePrior(DEFAULT_PRIOR, b));
    assert.deepEqual(validateModelParams(p), p);
    assert.ok(Number.isInteger(p.nParticles) && p.nParticles >= 20 && p.nParticles <= 250);
    assert.ok(p.fractalDim >= 1.6 && p.fractalDim < 2.5);
    assert.equal(p.prefactor, 1.3);
    assert.equal(p.radiusSigmaA, 1.25);
    ns.push(p.nParticles);
  }
  // Log-uniform: P(N ≤ 71) = ln(71.5/19.5)/ln(250.5/19.5) ≈ 0.508; binomial SE 0.011, 4 SE band.
  const frac = ns.filter((n) => n <= 71).length / ns.length;
  const expect = Math.log(71.5 / 19.5) / Math.log(250.5 / 19.5);
  assert.ok(Math.abs(frac - expect) < 4 * Math.sqrt(expect * (1 - expect) / ns.length), `P(N <= 71) = ${frac}, expected ${expect}`);
});

test('presets are prior centres and valid', () => {
  assert.deepEqual(validateModelParams(MODEL_PRESETS.paper), MODEL_PRESETS.paper);
  assert.equal(MODEL_PRESETS.quick.nParticles, 40);
  assert.equal(MODEL_PRESETS.paper.nParticles, 71);
  assert.equal(MODEL_PRESETS.paper.fractalDim, 2.05);
  assert.equal(MODEL_PRESETS.paper.overlap, 0.075);
});

test('resolveModelParams: preset name, object, partial file over a named preset, clear file errors', () => {
  assert.deepEqual(resolveModelParams('quick'), MODEL_PRESETS.quick);
  assert.deepEqual(resolveModelParams({ fractalDim: 2.3 }), { ...MODEL_PRESETS.paper, fractalDim: 2.3 });
  assert.deepEqual(resolveModelParams({ preset: 'quick', overlap: 0 }), { ...MODEL_PRESETS.quick, overlap: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-params-'));
  try {
    const f = join(dir, 'p.json');
    writeFileSync(f, JSON.stringify({ preset: 'quick', nParticles: 33 }));
    assert.deepEqual(resolveModelParams(f), { ...MODEL_PRESETS.quick, nParticles: 33 });
    writeFileSync(f, '{"fractalDim": ');
    assert.throws(() => resolveModelParams(f), new RegExp(`model parameter file ${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid JSON`));
    writeFileSync(f, JSON.stringify({ fractalDim: 0.5 }));
    assert.throws(() => resolveModelParams(f), (e: unknown) => e instanceof ModelParamError && e.field === 'fractalDim' && e.message.includes(f) && /0\.5 is outside the allowed range \[1, 3\]/.test(e.message));
    writeFileSync(f, JSON.stringify({ preset: 'huge' }));
    assert.throws(() => resolveModelParams(f), /unknown preset "huge"; expected one of quick, paper/);
    writeFileSync(f, '[1, 2]');
    assert.throws(() => resolveModelParams(f), /expected a JSON object of model parameters/);
    assert.throws(() => resolveModelParams(join(dir, 'missing.json')), /neither a preset \(quick, paper, dfsp\) nor a readable JSON file \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
