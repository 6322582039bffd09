// Computes the values pinned by behaviour.test.ts (run: node --import tsx test/pinned/pin-values.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/cnn/backend/index.js';
import { datasetSource, disposeEstimator, loadEstimator, networkSpec, predict, trainEstimator } from '../../src/cnn/index.js';
import { datasetConfig, generateDataset, openDataset, readImages } from '../../src/dataset/index.js';

export const PIN_CONFIG = { preset: 'quick' as const, count: 6, shardSize: 3, seed: 'pinned-2026' };

export async function pinnedValues(dir: string) {
  await generateDataset(datasetConfig(PIN_CONFIG), dir, { workers: 0 });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const shas = manifest.shards.flatMap((s: { files: Record<string, { name: string; sha256: string }> }) => Object.values(s.files).map((f) => `${f.name} ${f.sha256}`)).sort();
  const ds = openDataset(dir);
  const img = readImages(ds, [0], 'noisy');
  const est = await loadEstimator(join(new URL('../..', import.meta.url).pathname, 'datasets', 'quick-model'));
  const e = await predict(est, { data: img, widthPx: 128, heightPx: 128, pixelSizeNm: ds.pixelSizeNm });
  disposeEstimator(est);
  const r = await trainEstimator(datasetSource(ds, { prefetch: false, descriptors: [] }), { network: networkSpec('tiny', 128, ds.paramNames.length), epochs: 2, batchSize: 2, seed: 4 });
  const w = r.estimator.model.getWeights().map((t) => Array.from(t.dataSync()));
  disposeEstimator(r.estimator);
  const sumSq = w.flat().reduce((s, x) => s + x * x, 0);
  const first = w.flat().slice(0, 8);
  return { shas, shippedMean: e.mean, trainedSumSq: sumSq, trainedFirst: first };
}

if (process.argv[1]?.endsWith('pin-values.ts')) {
  await initBackend('auto');
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-pin-'));
  console.log(JSON.stringify(await pinnedValues(dir), null, 1));
  rmSync(dir, { recursive: true, force: true });
}
