// The real pipeline (model → simulator → descriptors) on tiny quick-size datasets: determinism
// across worker counts, parts + merge and shard sizes; corruption detection and repair; the loader.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import { d4Transform } from '../../src/dataset/augment.js';
import { datasetConfig, type DatasetConfig } from '../../src/dataset/config.js';
import { DatasetError } from '../../src/dataset/errors.js';
import { generateDataset } from '../../src/dataset/generate.js';
import { batches, openDataset, readImages, readSamples, type Batch, type Dataset } from '../../src/dataset/loader.js';
import { readManifest, writeManifest } from '../../src/dataset/manifest.js';
import { mergeDatasets, verifyDataset } from '../../src/dataset/merge.js';
import { shardFiles } from '../../src/dataset/plan.js';
import { splitOf, type Split } from '../../src/dataset/split.js';
import { readShardTable } from '../../src/dataset/table.js';

let root: string;
let config: DatasetConfig;
let dirA: string; // 1 worker thread: the reference
const COUNT = 24;
const SHARD = 8;

/** The bytes of a typed array (which may be a view into a larger buffer). */
function bytesOf(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function shardFileNames(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('shard-')).sort();
}

function assertSameShards(a: string, b: string): void {
  const fa = shardFileNames(a);
  assert.deepEqual(shardFileNames(b), fa);
  assert.equal(fa.length, 3 * Math.ceil(COUNT / SHARD));
  for (const f of fa) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs between ${a} and ${b}`);
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'aggstem-dataset-'));
  config = datasetConfig({ preset: 'quick', count: COUNT, shardSize: SHARD, seed: 'test-pipeline' });
  dirA = join(root, 'A');
  const s = await generateDataset(config, dirA, { workers: 1 });
  assert.deepEqual(s.generated, [0, 1, 2]);
  assert.ok(s.complete);
});

after(() => rmSync(root, { recursive: true, force: true }));

test('1 and 2 worker threads (and the calling thread) write byte-identical shards', async () => {
  const dirB = join(root, 'B');
  await generateDataset(config, dirB, { workers: 2 });
  assertSameShards(dirA, dirB);
  const dirC = join(root, 'C0');
  await generateDataset(config, dirC, { workers: 0 });
  assertSameShards(dirA, dirC);
  const mA = readManifest(dirA)!, mB = readManifest(dirB)!;
  assert.equal(mA.configHash, mB.configHash);
  assert.deepEqual(mA.shards.map((s) => s.files), mB.shards.map((s) => s.files));
  assert.equal(mA.totals.samples, COUNT);
  assert.equal(mA.totals.splits.train + mA.totals.splits.val + mA.totals.splits.test + mA.totals.failures, COUNT);
});

test('three parts merged equal one run; the shard size does not change any sample', async () => {
  const parts = [0, 1, 2].map((i) => join(root, `part-${i}`));
  for (let i = 0; i < 3; i++) {
    const s = await generateDataset(config, parts[i]!, { workers: 0, part: `${i}/3` });
    assert.deepEqual(s.generated, [i]);
    assert.equal(s.complete, false);
  }
  assert.throws(() => mergeDatasets(parts.slice(0, 2), join(root, 'M-bad')), /shards 2 of 3 are in none of the inputs/);
  assert.ok(!existsSync(join(root, 'M-bad')), 'a refused merge creates nothing');
  const dirM = join(root, 'M');
  const m = mergeDatasets([parts[2]!, parts[0]!, parts[1]!, parts[0]!], dirM);
  assert.ok(m.complete);
  assert.deepEqual(m.copied, [0, 1, 2]);
  assertSameShards(dirA, dirM);
  assert.equal(verifyDataset(dirM).damaged.length, 0);
  // Re-running the merge finds everything in place.
  assert.deepEqual(mergeDatasets(parts, dirM).present, [0, 1, 2]);

  const other = join(root, 'other-seed');
  await generateDataset({ ...config, seed: 'another' }, other, { workers: 0, part: '0/3' });
  assert.throws(() => mergeDatasets([parts[0]!, other], join(root, 'M2')), /holds a different dataset than .*config hash/);

  // One shard of 24 instead of three of 8: the same images and rows.
  const dirOne = join(root, 'one-shard');
  await generateDataset({ ...config, shardSize: COUNT }, dirOne, { workers: 0 });
  for (const kind of ['clean', 'noisy'] as const) {
    const one = readNpy(join(dirOne, shardFiles(0)[kind]));
    assert.deepEqual(one.shape, [COUNT, 128, 128]);
    const three = [0, 1, 2].map((k) => readNpy(join(dirA, shardFiles(k)[kind])).data as Float32Array);
    const joined = new Float32Array(COUNT * 128 * 128);
    three.forEach((a, k) => joined.set(a, k * SHARD * 128 * 128));
    assert.ok(bytesOf(one.data as Float32Array).equals(bytesOf(joined)), `${kind} images differ`);
  }
  const rowsOne = readFileSync(join(dirOne, shardFiles(0).table), 'utf8').trim().split('\n');
  const rowsThree = [0, 1, 2].flatMap((k) => readFileSync(join(dirA, shardFiles(k).table), 'utf8').trim().split('\n').slice(k === 0 ? 0 : 1));
  assert.deepEqual(rowsOne, rowsThree);
});

test('corrupt, truncated and unlisted shards are detected and regenerated; another dataset in the directory is refused', async () => {
  const dirC = join(root, 'corrupt');
  cpSync(dirA, dirC, { recursive: true });
  const f1 = shardFiles(1), f2 = shardFiles(2), f0 = shardFiles(0);
  truncateSync(join(dirC, f1.noisy), 1000);
  const csv = readFileSync(join(dirC, f2.table));
  csv[csv.length - 3] = csv[csv.length - 3] === 0x31 ? 0x32 : 0x31; // one digit changed, same size
  writeFileSync(join(dirC, f2.table), csv);
  const report = verifyDataset(dirC);
  assert.deepEqual(report.intact, [0]);
  assert.deepEqual(report.damaged.map((d) => d.shard), [1, 2]);
  assert.match(report.damaged[0]!.problems[0]!, /shard-00001\.noisy\.npy has 1000 bytes, the manifest says \d+ \(truncated/);
  assert.match(report.damaged[1]!.problems[0]!, /shard-00002\.csv has SHA-256 .* \(corrupt\)/);
  assert.throws(() => openDataset(dirC), /shard-00001\.noisy\.npy has 1000 bytes/);

  // The loader's lazy check catches the same-size corruption when it reads the shard.
  const m = readManifest(dirC)!;
  m.shards = m.shards.filter((s) => s.index !== 1);
  writeManifest(dirC, m);
  const ds = openDataset(dirC, { allowIncomplete: true });
  assert.throws(() => {
    for (const _ of batches(ds, { split: 'train', batchSize: 4, epoch: 0 })) void _;
  }, /shard-00002\.csv: SHA-256 .* does not match the manifest/);

  // A stale temp file from a killed writer is cleaned up; shard 1 (unlisted now) and 2 are rewritten.
  writeFileSync(join(dirC, `.${f0.clean}.99999.abc.tmp`), 'junk');
  const logs: string[] = [];
  const s = await generateDataset(config, dirC, { workers: 0, log: (l) => logs.push(l) });
  assert.deepEqual(s.verified, [0]);
  assert.deepEqual(s.regenerated, [1, 2]);
  assert.deepEqual(s.generated, [1, 2]);
  assert.ok(logs.some((l) => /shard 1: files on disk but not in the manifest/.test(l)));
  assert.ok(logs.some((l) => /shard 2: shard-00002\.csv has SHA-256/.test(l)));
  assert.ok(!readdirSync(dirC).some((f) => f.endsWith('.tmp')), 'no temp files remain');
  assertSameShards(dirA, dirC);

  // A second run has nothing to do and leaves the manifest as it was.
  const manifestBefore = readFileSync(join(dirC, 'manifest.json'));
  const again = await generateDataset(config, dirC, { workers: 0 });
  assert.deepEqual(again.generated, []);
  assert.deepEqual(again.verified, [0, 1, 2]);
  assert.ok(readFileSync(join(dirC, 'manifest.json')).equals(manifestBefore));

  await assert.rejects(generateDataset({ ...config, seed: 'different' }, dirC, { workers: 0 }), (e: unknown) => e instanceof DatasetError && /already holds a different dataset/.test((e as Error).message));
});

function expectedIndices(split: Split, ds: Dataset): number[] {
  const out: number[] = [];
  for (const s of ds.manifest.shards) {
    const t = readShardTable(join(ds.dir, s.files.table.name), ds.manifest.columns);
    for (let j = 0; j < t.rows; j++) {
      const i = t.numbers.index![j]!;
      assert.equal(t.split[j], splitOf(i, config.seed, config.split), `stored split of sample ${i}`);
      if (t.status[j] === 'ok' && t.split[j] === split) out.push(i);
    }
  }
  return out.sort((a, b) => a - b);
}

function collect(it: Iterable<Batch>): { indices: number[]; images: Float32Array[]; params: Float64Array[]; sizes: number[] } {
  const r = { indices: [] as number[], images: [] as Float32Array[], params: [] as Float64Array[], sizes: [] as number[] };
  for (const b of it) {
    r.indices.push(...b.indices);
    r.images.push(b.images);
    r.params.push(b.params);
    r.sizes.push(b.size);
  }
  return r;
}

test('loader: every sample of a split exactly once per epoch, never another split; seeded order; table and images agree', () => {
  const ds = openDataset(dirA);
  assert.equal(ds.imageSize, 128);
  assert.equal(ds.pixelSizeNm, 1.6);
  assert.deepEqual(ds.paramNames, ['nParticles', 'fractionB', 'radiusMedianA', 'radiusMedianB', 'fractalDim', 'segregation', 'overlap']);
  const pix = 128 * 128;
  const P = ds.paramNames.length;
  for (const split of ['train', 'val', 'test'] as const) {
    const want = expectedIndices(split, ds);
    assert.equal(want.length, ds.splitCounts[split]);
    const got = collect(batches(ds, { split, batchSize: 5, epoch: 0 }));
    assert.deepEqual([...got.indices].sort((a, b) => a - b), want, `${split}: each sample once`);
    assert.ok(got.sizes.slice(0, -1).every((s) => s === 5));
    const dropped = collect(batches(ds, { split, batchSize: 5, epoch: 0, dropRemainder: true }));
    assert.equal(dropped.indices.length, Math.floor(want.length / 5) * 5);
  }
  const train = expectedIndices('train', ds);
  assert.ok(train.length >= 10, `train split has ${train.length} samples`);

  // Same (seed, epoch) → the same batches; another epoch → another order.
  const e0 = collect(batches(ds, { split: 'train', batchSize: 4, epoch: 0 }));
  const e0b = collect(batches(ds, { split: 'train', batchSize: 4, epoch: 0 }));
  const e1 = collect(batches(ds, { split: 'train', batchSize: 4, epoch: 1 }));
  assert.deepEqual(e0b.indices, e0.indices);
  e0.images.forEach((im, i) => assert.ok(bytesOf(im).equals(bytesOf(e0b.images[i]!))));
  assert.notDeepEqual(e1.indices, e0.indices);

  // Images and parameters belong to their index: compare with readImages and readSamples.
  const ordered = collect(batches(ds, { split: 'test', batchSize: 3, epoch: 0, shuffle: false }));
  assert.deepEqual(ordered.indices, expectedIndices('test', ds));
  const imgs = readImages(ds, ordered.indices);
  const flat = new Float32Array(ordered.indices.length * pix);
  ordered.images.reduce((off, im) => (flat.set(im, off), off + im.length), 0);
  assert.ok(bytesOf(flat).equals(bytesOf(imgs)));
  const table = readSamples(ds, 'test');
  assert.deepEqual(Array.from(table.indices), ordered.indices);
  const flatParams = Float64Array.from(ordered.params.flatMap((p) => Array.from(p)));
  assert.deepEqual(Array.from(table.params), Array.from(flatParams));
  assert.equal(table.params.length, ordered.indices.length * P);
  assert.equal(table.descriptors.cnHet!.length, ordered.indices.length);
  // The counted particles equal the parameter N.
  const n = readSamples(ds, 'train');
  for (let i = 0; i < n.indices.length; i++) assert.equal(n.descriptors.nParticles![i], n.params[i * P]);

  // Augmentation without fresh noise: one of the 8 symmetries of the stored image.
  const aug = collect(batches(ds, { split: 'train', batchSize: 64, epoch: 3, augment: true }));
  const stored = readImages(ds, aug.indices);
  let transformed = 0;
  aug.indices.forEach((_, i) => {
    const img = aug.images[0]!.subarray(i * pix, (i + 1) * pix);
    const src = stored.subarray(i * pix, (i + 1) * pix);
    const t = [0, 1, 2, 3, 4, 5, 6, 7].find((t) => bytesOf(d4Transform(src, 128, t) as Float32Array).equals(bytesOf(img)));
    assert.ok(t !== undefined, `sample ${aug.indices[i]} is not a D4 image of the stored one`);
    if (t !== 0) transformed++;
  });
  assert.ok(transformed > 0, 'some samples were transformed');
});

test('loader: fresh noise is new every epoch and centred on the clean intensity (z-test, p < 1e-5)', () => {
  const ds = openDataset(dirA);
  const pix = 128 * 128;
  const { gain: g, gainCv: c, readNoise: sr } = ds.microscope.detector;
  const N0 = ds.microscope.doseElectronsPerPx;
  const a = collect(batches(ds, { split: 'val', batchSize: 64, epoch: 0, freshNoise: true, shuffle: false }));
  const b = collect(batches(ds, { split: 'val', batchSize: 64, epoch: 1, freshNoise: true, shuffle: false }));
  assert.deepEqual(a.indices, b.indices);
  const clean = readImages(ds, a.indices, 'clean');
  const stored = readImages(ds, a.indices, 'noisy');
  assert.ok(!bytesOf(a.images[0]!).equals(bytesOf(b.images[0]!)), 'new noise in a new epoch');
  assert.ok(!bytesOf(a.images[0]!).equals(bytesOf(stored)), 'not the stored noise');
  for (let i = 0; i < a.indices.length; i++) {
    let sum = 0, variance = 0;
    for (let p = i * pix; p < (i + 1) * pix; p++) {
      const I = clean[p]!;
      sum += a.images[0]![p]! - I;
      variance += (g * g * N0 * I * (1 + c * c) + sr * sr + 1 / 12) / (g * N0) ** 2;
    }
    const z = sum / Math.sqrt(variance);
    assert.ok(Math.abs(z) < 4.4, `sample ${a.indices[i]}: z = ${z}`);
  }
});

test('loader: an incomplete directory is refused unless asked for', async () => {
  const dir = join(root, 'incomplete');
  await generateDataset(config, dir, { workers: 0, part: '1/3' });
  assert.throws(() => openDataset(dir), /is incomplete: shards 0, 2 of 3 are missing/);
  const ds = openDataset(dir, { allowIncomplete: true });
  assert.equal(ds.count, SHARD);
  const all = (['train', 'val', 'test'] as const).flatMap((split) => collect(batches(ds, { split, batchSize: 100, epoch: 0 })).indices);
  assert.deepEqual(all.sort((x, y) => x - y), Array.from({ length: SHARD }, (_, i) => SHARD + i));
});

test('loader: a corrupt image stack of the same size is caught on first read, sparse or whole', () => {
  const dir = join(root, 'flipped');
  cpSync(dirA, dir, { recursive: true });
  const path = join(dir, shardFiles(0).clean);
  const bytes = readFileSync(path);
  bytes[bytes.length - 5]! ^= 0x40;
  writeFileSync(path, bytes);
  const ds = openDataset(dir); // sizes are fine
  assert.deepEqual(Array.from(readImages(ds, [3], 'noisy').subarray(0, 4)), Array.from(readImages(openDataset(dirA), [3], 'noisy').subarray(0, 4)));
  assert.throws(() => readImages(ds, [3], 'clean'), /shard-00000\.clean\.npy: SHA-256 .* does not match the manifest/);
  assert.throws(() => {
    for (const _ of batches(openDataset(dir), { split: 'train', batchSize: 64, epoch: 0, freshNoise: true })) void _;
  }, /shard-00000\.clean\.npy: SHA-256 .* does not match the manifest/);
});
