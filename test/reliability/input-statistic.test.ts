// Issue 16 item 6: an input unlike the training images by a simple statistic (its brightest pixels
// against the training images' 99.9th percentile, which the model file records) is flagged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inputStatisticWarnings } from '../../src/cnn/predict.js';
import type { EstimatorMeta } from '../../src/cnn/estimator.js';
import { generateAggregate } from '../../src/model/generate.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import { randomStream } from '../../src/random/index.js';
import { microscopePreset, simulateImage } from '../../src/stem/index.js';

const meta = JSON.parse(readFileSync(fileURLToPath(new URL('../../datasets/quick-model/aggstem-model.json', import.meta.url)), 'utf8')) as EstimatorMeta;

test('simulated training-like images pass; a bright blob, an empty field and a 10× dose-miscalibrated image are flagged', () => {
  for (let k = 0; k < 4; k++) {
    const agg = generateAggregate({ ...MODEL_PRESETS.quick, nParticles: 30 + 10 * k }, randomStream('input-stat', k));
    const img = simulateImage(agg.particles, microscopePreset('quick'), randomStream('input-stat', 'img', k));
    assert.deepEqual(inputStatisticWarnings(meta, img.noisy), [], `simulated image ${k}`);
    const wrongLevels = Float32Array.from(img.noisy, (v) => 10 * v);
    assert.match(inputStatisticWarnings(meta, wrongLevels)[0] ?? '', /WARNING: the image's brightest pixels .* brighter than the training images'/);
  }
  const n = 128, blob = new Float32Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) blob[y * n + x] = 0.001 + 0.5 * Math.exp(-((x - 64) ** 2 + (y - 64) ** 2) / (2 * 25 ** 2));
  assert.equal(inputStatisticWarnings(meta, blob).length, 1);
  assert.match(inputStatisticWarnings(meta, new Float32Array(n * n).fill(0.0005))[0] ?? '', /fainter than the training images'/);
});
