// Doubtful predictions are flagged (issue 16 item 6): estimates at the prior bounds, in the library
// and in `aggstem predict` (notes and the JSON `warnings`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outOfDistributionWarnings, type EstimatorMeta, type ParamEstimate } from '../../src/cnn/index.js';
import { writeNpy } from '../../src/io/npy.js';

const root = new URL('../..', import.meta.url).pathname;

test('outOfDistributionWarnings names exactly the parameters whose median sits in the outer 2 % of the prior', () => {
  const meta = { scaling: [
    { name: 'nParticles', kind: 'log', lo: 20, hi: 80 },
    { name: 'fractionB', kind: 'linear', lo: 0.1, hi: 0.7 },
    { name: 'fractalDim', kind: 'linear', lo: 1.8, hi: 2.5 },
  ] } as unknown as EstimatorMeta;
  const e = { median: [79.9, 0.4, 1.805] } as unknown as ParamEstimate;
  const w = outOfDistributionWarnings(meta, e);
  assert.equal(w.length, 2);
  assert.match(w[0]!, /nParticles = 79\.9 sits at the prior's upper bound \[20, 80\]/);
  assert.match(w[1]!, /fractalDim = 1\.805 sits at the prior's lower bound/);
  assert.deepEqual(outOfDistributionWarnings(meta, { median: [40, 0.4, 2.1] } as unknown as ParamEstimate), []);
});

test('aggstem predict --json reports warnings consistent with the estimates (a Gaussian blob is no aggregate)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-blob-'));
  try {
    const n = 128, img = new Float32Array(n * n);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) img[y * n + x] = 0.001 + 0.5 * Math.exp(-((x - 64) ** 2 + (y - 64) ** 2) / (2 * 25 ** 2));
    writeNpy(join(dir, 'blob.npy'), img, [n, n]);
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'predict', '--model', 'quick', join(dir, 'blob.npy'), '--pixel-size', '1.6', '--json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const [row] = JSON.parse(r.stdout) as { names: string[]; median: number[]; warnings: string[] }[];
    assert.ok(Array.isArray(row!.warnings));
    const flagged = row!.names.filter((name) => row!.warnings.some((w) => w.startsWith(`WARNING: ${name} =`)));
    const meta = JSON.parse(spawnSync('cat', [join(root, 'datasets/quick-model/aggstem-model.json')], { encoding: 'utf8' }).stdout) as EstimatorMeta;
    const expected = outOfDistributionWarnings(meta, row as unknown as ParamEstimate).map((w) => w.split(' =')[0]!.replace('WARNING: ', ''));
    assert.deepEqual(flagged, expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
