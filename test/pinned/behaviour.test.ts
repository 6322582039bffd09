// Behaviour pins: the same seed must give the same dataset bytes, the same prediction from the
// shipped model and the same trained weights across refactors (values computed by pin-values.ts on
// the code before the architecture change, and checked identical to commit 9c40ab3). A deliberate
// change of behaviour updates these values in the same commit and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, type BackendPreference } from '../../src/cnn/backend/index.js';
import { pinnedValues } from './pin-values.js';

const PINNED_SHAS = [
  "shard-00000.clean.npy 59abca67741bc27864d8c409802fe82cbd02922627c4131a93954ad2c5c8cfb3",
  "shard-00000.csv ef98b7e101872e5dec4c80c0e7cee18f05788f5ebcfa9046475bd100c450fdd8",
  "shard-00000.noisy.npy 50728f132c98d2518ebf93b5c1f8f4dece021c9a3e790fcb7ebd3ae8f407d9df",
  "shard-00001.clean.npy bece07a7fb4c35f06dba65ef50235c6278793674369b5b00bba0def6829f6211",
  "shard-00001.csv 98a880af9281a8ea43ddc67691a172e95fdc99c766d013dafe347ec7e28dc60f",
  "shard-00001.noisy.npy 660943f63d6b40ff8810a6417300616d8846d3f3bdb772dd45faf224f602ca5c"
];
// The shipped model was replaced by the study-grade one (22 475 images, binned head; datasets/README.md):
// its prediction on the pinned image, taken with the new model.
const SHIPPED_MEAN = [30.399807813093837, 0.34085224792320407, 6.992231901116464, 6.420352418225918, 2.3401820060084124, 0.36550233483185823, 0.07562801641165112];
const TRAINED_SUM_SQ = 251.8330591897528;
const TRAINED_FIRST = [-0.5026971697807312, -0.6439089179039001, 0.40184485912323, 0.39028066396713257, -0.49616843461990356, -0.7122937440872192, 0.7105947136878967, 0.08918749541044235];

await initBackend((process.env.AGGSTEM_TEST_BACKEND ?? 'auto') as BackendPreference);

test('pinned: dataset bytes, shipped-model prediction and tiny-network training are unchanged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-pinned-'));
  try {
    const v = await pinnedValues(dir);
    assert.deepEqual(v.shas, PINNED_SHAS, 'dataset bytes changed');
    // Float32 network outputs through the unscaling: 1e-5 relative allows a different BLAS path only.
    v.shippedMean.forEach((m, j) => assert.ok(Math.abs(m - SHIPPED_MEAN[j]!) <= 1e-5 * Math.abs(SHIPPED_MEAN[j]!), `shipped prediction ${j}: ${m} vs ${SHIPPED_MEAN[j]}`));
    assert.ok(Math.abs(v.trainedSumSq - TRAINED_SUM_SQ) <= 1e-4 * TRAINED_SUM_SQ, `trained weights Σw² ${v.trainedSumSq} vs ${TRAINED_SUM_SQ}`);
    v.trainedFirst.forEach((w, j) => assert.ok(Math.abs(w - TRAINED_FIRST[j]!) <= 1e-4, `weight ${j}: ${w} vs ${TRAINED_FIRST[j]}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
