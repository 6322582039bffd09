// Multi-channel inputs: the thickness-map oracle of the accuracy study (docs/accuracy.md) trains the
// same network on two per-material thickness maps. Tested here: the maps themselves (volume
// conservation), channel-aware D4 augmentation, training and prediction on 2-channel arrays, and
// the refusal to feed such a model a microscope image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, type BackendPreference } from '../../src/cnn/backend/index.js';
import { arraySource, disposeEstimator, EstimatorInputError, predictArrays, predictBatch, trainEstimator } from '../../src/cnn/index.js';
import { r2Score } from '../../src/analysis/metrics.js';
import { datasetConfig } from '../../src/dataset/index.js';
import { computeSample } from '../../src/dataset/sample.js';
import { generateAggregate } from '../../src/model/generate.js';
import { deriveStream, normal, randomStream } from '../../src/random/index.js';
import { FIXTURE_NAMES, FIXTURE_SCALING } from './estimator-fixture.js';

const { name: backend } = await initBackend((process.env.AGGSTEM_TEST_BACKEND ?? 'auto') as BackendPreference);

test('computeSample({ thickness }) returns per-material maps whose integral is the union volume of the spheres, and changes nothing else', () => {
  const config = datasetConfig({ preset: 'quick', count: 8, seed: 'channels-test' });
  const side = config.microscope.widthPx / config.binning;
  const px2 = (config.microscope.pixelSizeNm * config.binning) ** 2;
  let checked = 0;
  for (let i = 0; i < 4; i++) {
    const plain = computeSample(config, i);
    const r = computeSample(config, i, undefined, { thickness: true });
    assert.deepEqual(r.params, plain.params);
    assert.deepEqual(r.noisy, plain.noisy);
    assert.equal(r.thicknessNm!.length, 2 * side * side);
    if (r.status !== 'ok' || r.rejected.length) continue;
    // The accepted draw is attempt 0: rebuild its aggregate and compare volumes per material.
    const agg = generateAggregate(r.params, deriveStream(randomStream(config.seed, 'sample', i), 'aggregate'), { deadlineMs: config.generatorDeadlineMs });
    const vol = [0, 0];
    const p = agg.particles;
    for (let k = 0; k < p.r.length; k++) vol[p.material[k]!]! += (4 / 3) * Math.PI * p.r[k]! ** 3;
    const sum = [0, 0];
    for (let j = 0; j < side * side; j++) (sum[0] += r.thicknessNm![2 * j]!), (sum[1] += r.thicknessNm![2 * j + 1]!);
    // Sintering lenses are split between the two spheres (radical plane), so each material gets at
    // most its spheres' volume and both together the union's volume.
    for (const m of [0, 1]) {
      const v = sum[m]! * px2;
      assert.ok(v <= vol[m]! * 1.001 && v >= vol[m]! * 0.9, `sample ${i} material ${m}: ∫thickness = ${v.toFixed(1)} nm³, spheres ${vol[m]!.toFixed(1)} nm³`);
    }
    const union = r.descriptors.particleVolumeNm3!;
    const total = (sum[0]! + sum[1]!) * px2;
    assert.ok(Math.abs(total - union) <= 0.01 * union, `sample ${i}: ∫(tA + tB) = ${total.toFixed(1)} nm³, union of spheres ${union.toFixed(1)} nm³`);
    checked++;
  }
  assert.ok(checked >= 2, `only ${checked} samples were accepted at the first draw`);
});

test('arraySource D4-augments all channels of an image with the same transform', () => {
  const side = 8;
  const n = 4;
  const images = new Float32Array(n * side * side * 2);
  for (let i = 0; i < n * side * side; i++) (images[2 * i] = (i % 61) + 1), (images[2 * i + 1] = 2 * ((i % 61) + 1));
  const src = arraySource({
    paramNames: FIXTURE_NAMES, scaling: FIXTURE_SCALING, imageSize: side, pixelSizeNm: 1, channels: 2, augment: true,
    train: { images, params: new Float64Array(n * 2).fill(0.5) },
  });
  assert.equal(src.channels, 2);
  const seen = new Set<string>();
  for (let epoch = 0; epoch < 6; epoch++) {
    for (const b of src.batches('train', { batchSize: n, epoch, seed: 3 }) as Iterable<{ images: Float32Array }>) {
      assert.equal(b.images.length, n * side * side * 2);
      for (let j = 0; j < b.images.length / 2; j++) assert.equal(b.images[2 * j + 1], 2 * b.images[2 * j]!, `pixel ${j}: channels moved differently`);
      // Every image keeps its values (a permutation of pixels).
      for (let k = 0; k < n; k++) {
        const ch0 = Array.from({ length: side * side }, (_, j) => b.images[(k * side * side + j) * 2]!).sort((x, y) => x - y);
        const any = Array.from({ length: n }, (_, i) => Array.from({ length: side * side }, (_, j) => images[(i * side * side + j) * 2]!).sort((x, y) => x - y).join());
        assert.ok(any.includes(ch0.join()), 'an augmented image is not a pixel permutation of a training image');
        seen.add(Array.from({ length: side * side }, (_, j) => b.images[(k * side * side + j) * 2]!).join());
      }
    }
  }
  assert.ok(seen.size > n, `only ${seen.size} distinct augmented images over 6 epochs`);
});

/** Two parameters, each readable from one channel only: channel 0's mean ∝ a, channel 1's ∝ b. */
function twoChannelData(n: number, side: number, seed: string) {
  const rng = randomStream(seed, 'two-channel');
  const images = new Float32Array(n * side * side * 2);
  const params = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const a = rng.double(), b = rng.double();
    params[2 * i] = a;
    params[2 * i + 1] = b;
    for (let j = 0; j < side * side; j++) {
      images[(i * side * side + j) * 2] = 1 + 4 * a + normal(rng, 0, 0.05);
      images[(i * side * side + j) * 2 + 1] = 1 + 4 * b + normal(rng, 0, 0.05);
    }
  }
  return { images, params };
}

test(`a 2-channel network learns a parameter each channel carries alone (held-out R² ≥ 0.8), and refuses microscope images (backend ${backend})`, async () => {
  const side = 16;
  const train = twoChannelData(192, side, 'train');
  const held = twoChannelData(48, side, 'held-out');
  const src = arraySource({ paramNames: FIXTURE_NAMES, scaling: FIXTURE_SCALING, imageSize: side, pixelSizeNm: 1, channels: 2, train });
  const r = await trainEstimator(src, { network: 'tiny', epochs: 25, batchSize: 16, seed: 5, learningRate: 3e-3, lrDecay: 1, patience: 25 });
  try {
    assert.equal(r.estimator.meta.network.inputChannels, 2);
    const est = await predictArrays(r.estimator, held.images, 48);
    for (let j = 0; j < 2; j++) {
      const truth = Float64Array.from({ length: 48 }, (_, i) => held.params[2 * i + j]!);
      const pred = Float64Array.from(est, (e) => e.median[j]!);
      const r2 = r2Score(truth, pred);
      assert.ok(r2 >= 0.8, `${FIXTURE_NAMES[j]}: held-out R² = ${r2.toFixed(3)}`);
    }
    await assert.rejects(
      predictBatch(r.estimator, [{ data: new Float32Array(side * side), widthPx: side, heightPx: side, pixelSizeNm: 1 }]),
      (e: unknown) => e instanceof EstimatorInputError && /2-channel input/.test((e as Error).message),
    );
    await assert.rejects(predictArrays(r.estimator, new Float32Array(side * side), 1), (e: unknown) => e instanceof EstimatorInputError && /× 2/.test((e as Error).message));
  } finally {
    disposeEstimator(r.estimator);
  }
});
