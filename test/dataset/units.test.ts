import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomStream } from '../../src/random/index.js';
import { addNoise, microscopePreset } from '../../src/stem/index.js';
import { DESCRIPTOR_NAMES } from '../../src/descriptors/index.js';
import { binnedNoiseConfig, d4Transform } from '../../src/dataset/augment.js';
import { datasetConfig, datasetConfigHash, validateDatasetConfig } from '../../src/dataset/config.js';
import { DatasetError } from '../../src/dataset/errors.js';
import { canonicalJson } from '../../src/dataset/hash.js';
import { LOCK_STALE_MS, lockDatasetDir, lockDatasetDirWaiting } from '../../src/dataset/lock.js';
import { formatRanges, parsePart, shardRange, shardsOfPart } from '../../src/dataset/plan.js';
import { emptyRegionCounts, tallyDraw } from '../../src/dataset/redraws.js';
import { binImage } from '../../src/dataset/sample.js';
import { splitOf } from '../../src/dataset/split.js';
import { descriptorColumn, encodeShardTable, readShardTable, tableColumns, type SampleRow } from '../../src/dataset/table.js';

test('splitOf is a pure function of (index, seed) with the requested fractions (99.9 % binomial bounds)', () => {
  const n = 20000;
  const counts = { train: 0, val: 0, test: 0 };
  for (let i = 0; i < n; i++) {
    const s = splitOf(i, 'seed-a', { val: 0.1, test: 0.2 });
    assert.equal(s, splitOf(i, 'seed-a', { val: 0.1, test: 0.2 }));
    counts[s]++;
  }
  // |X − np| < 3.29 √(np(1 − p)) with probability 99.9 % per count.
  const bound = (p: number) => 3.29 * Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(counts.val - 0.1 * n) < bound(0.1), `val ${counts.val}`);
  assert.ok(Math.abs(counts.test - 0.2 * n) < bound(0.2), `test ${counts.test}`);
  // Another seed gives another (independent) assignment; zero fractions give all-train.
  let same = 0;
  for (let i = 0; i < 2000; i++) same += splitOf(i, 'seed-a') === splitOf(i, 'seed-b') ? 1 : 0;
  assert.ok(same < 2000 * 0.75, `splits of two seeds agree on ${same} of 2000`);
  for (let i = 0; i < 100; i++) assert.equal(splitOf(i, 1, { val: 0, test: 0 }), 'train');
  assert.throws(() => splitOf(-1, 1), DatasetError);
  assert.throws(() => splitOf(1.5, 1), /index must be an integer >= 0, got 1.5/);
});

test('parts: parsing, and every shard belongs to exactly one part', () => {
  assert.deepEqual(parsePart('2/5'), { index: 2, count: 5 });
  assert.throws(() => parsePart('5/5'), /part index must be an integer in \[0, 4\].*got 5/);
  assert.throws(() => parsePart('0/0'), /number of parts must be an integer >= 1, got 0/);
  assert.throws(() => parsePart('one/two'), /expected "i\/n".*got "one\/two"/);
  const count = 103, size = 10;
  const seen = new Map<number, number>();
  for (let p = 0; p < 4; p++) for (const k of shardsOfPart(count, size, { index: p, count: 4 })) seen.set(k, (seen.get(k) ?? 0) + 1);
  assert.equal(seen.size, 11);
  for (let k = 0; k < 11; k++) assert.equal(seen.get(k), 1);
  assert.deepEqual(shardRange(10, count, size), { start: 100, end: 103 });
  assert.equal(formatRanges([0, 1, 2, 5, 7, 8]), '0-2, 5, 7-8');
});

test('d4Transform: the 8 symmetries of the square, a group with the right rotation sense', () => {
  assert.deepEqual(Array.from(d4Transform([1, 2, 3, 4], 2, 1)), [2, 4, 1, 3]); // quarter turn counter-clockwise
  assert.deepEqual(Array.from(d4Transform([1, 2, 3, 4], 2, 4)), [2, 1, 4, 3]); // horizontal flip
  const n = 5;
  const rng = randomStream('d4');
  const img = Float32Array.from({ length: n * n }, () => rng.double());
  const outs = Array.from({ length: 8 }, (_, t) => Array.from(d4Transform(img, n, t)));
  assert.deepEqual(outs[0], Array.from(img));
  assert.equal(new Set(outs.map((o) => o.join(','))).size, 8, 'all 8 transforms differ');
  const sorted = Array.from(img).sort().join(',');
  for (const o of outs) assert.equal([...o].sort().join(','), sorted, 'each transform permutes the pixels');
  // Closed under composition, and four quarter turns are the identity.
  const keys = new Set(outs.map((o) => o.join(',')));
  for (let t = 0; t < 8; t++) for (let u = 0; u < 8; u++) assert.ok(keys.has(Array.from(d4Transform(d4Transform(img, n, t), n, u)).join(',')));
  let r: ArrayLike<number> = img;
  for (let i = 0; i < 4; i++) r = d4Transform(r, n, 1);
  assert.deepEqual(Array.from(r), Array.from(img));
  assert.throws(() => d4Transform(img, n, 8), /t must be an integer in \[0, 7\]/);
});

test('binImage is the block mean', () => {
  const src = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  assert.deepEqual(Array.from(binImage(src, 4, 4, 2)), [3.5, 5.5, 11.5, 13.5]);
  assert.deepEqual(Array.from(binImage(src, 4, 4, 1)), src);
});

test('binnedNoiseConfig: fresh noise on a binned pixel matches the 2×2 mean of full-resolution noise (closed-form moments)', () => {
  const mic = microscopePreset('paper');
  const binned = binnedNoiseConfig(mic, 2);
  const I = 0.03;
  const n = 20000;
  const moments = (x: Float32Array) => {
    let m = 0;
    for (const v of x) m += v;
    m /= x.length;
    let v2 = 0;
    for (const v of x) v2 += (v - m) ** 2;
    return { mean: m, variance: v2 / (x.length - 1) };
  };
  const full = addNoise(new Float32Array(4 * n).fill(I), mic, randomStream('noise-full')).noisy;
  const meanOf4 = new Float32Array(n);
  for (let i = 0; i < n; i++) meanOf4[i] = (full[4 * i]! + full[4 * i + 1]! + full[4 * i + 2]! + full[4 * i + 3]!) / 4;
  const fresh = addNoise(new Float32Array(n).fill(I), binned, randomStream('noise-binned')).noisy;
  // Var of one pixel's estimate: (g²λ(1 + c²) + σ_r² + 1/12) / (g N0)²; the 2×2 mean has a quarter of it.
  const { gain: g, gainCv: c, readNoise: sr } = mic.detector;
  const N0 = mic.doseElectronsPerPx;
  const expected = (g * g * N0 * I * (1 + c * c) + sr * sr + 1 / 12) / (g * N0) ** 2 / 4;
  for (const [name, x] of [['2×2 mean', meanOf4], ['binned config', fresh]] as const) {
    const m = moments(x);
    // Mean: 4.4 standard errors (p < 1e-5); variance: relative SE √(2/n) = 1 %, allow 5 % (> 4.4 SE).
    assert.ok(Math.abs(m.mean - I) < 4.4 * Math.sqrt(expected / n), `${name}: mean ${m.mean}`);
    assert.ok(Math.abs(m.variance / expected - 1) < 0.05, `${name}: variance ${m.variance} vs ${expected}`);
  }
  assert.equal(binnedNoiseConfig(mic, 1), mic);
});

test('shard table: CSV round trip keeps doubles exactly, NaN and ±inf, and checks the columns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-table-'));
  try {
    const params = { nParticles: 41, fractionB: 0.1 + 0.2, radiusMedianA: 1 / 3, radiusMedianB: 5e-324, radiusSigmaA: 1.25, radiusSigmaB: 1.25, fractalDim: 2.0000000000000004, prefactor: 1.3, segregation: 0, overlap: 0.15 };
    const desc: Record<string, number> = {};
    DESCRIPTOR_NAMES.forEach((d, i) => (desc[d] = i === 0 ? NaN : i === 1 ? Infinity : i === 2 ? -Infinity : Math.PI * i));
    const rows: SampleRow[] = [
      { index: 7, seedKey: '00ab', split: 'train', status: 'ok', redrawsGeneration: 1, redrawsNotFit: 2, params, descriptors: desc },
      { index: 8, seedKey: '1e5', split: 'test', status: 'failed', redrawsGeneration: 0, redrawsNotFit: 0, params, descriptors: desc },
    ];
    const path = join(dir, 't.csv');
    writeFileSync(path, encodeShardTable(rows, DESCRIPTOR_NAMES));
    const cols = tableColumns(DESCRIPTOR_NAMES);
    const t = readShardTable(path, cols);
    assert.equal(t.rows, 2);
    assert.deepEqual(t.seedKey, ['00ab', '1e5']); // not turned into numbers
    assert.deepEqual(t.split, ['train', 'test']);
    assert.deepEqual(t.status, ['ok', 'failed']);
    assert.deepEqual(Array.from(t.numbers.redraws!), [3, 0]);
    for (const [k, v] of Object.entries(params)) assert.equal(t.numbers[k]![0], v, k);
    assert.equal(cols.length, new Set(cols).size, 'column names are unique');
    assert.ok(cols.includes('nParticlesMeasured'));
    const col = (i: number) => t.numbers[descriptorColumn(DESCRIPTOR_NAMES[i]!)]!;
    assert.ok(Number.isNaN(col(0)[0]!));
    assert.equal(col(1)[1], Infinity);
    assert.equal(col(2)[1], -Infinity);
    assert.equal(col(5)[0], Math.PI * 5);
    assert.throws(() => readShardTable(path, cols.slice(1)), /columns do not match the manifest/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config: presets, overrides, canonical hash, and clear errors for bad values', () => {
  const q = datasetConfig({ preset: 'quick' });
  assert.equal(q.count, 2000);
  assert.equal(q.microscope.widthPx, 128);
  assert.equal(q.binning, 1);
  const p = datasetConfig({ preset: 'paper' });
  assert.ok(p.count >= 50000);
  assert.equal(p.microscope.widthPx / p.binning, 256);
  const c = datasetConfig({ count: 30, seed: 'x', prior: { fractalDim: { kind: 'uniform', lo: 1.8, hi: 2.2 } } });
  assert.deepEqual(c.prior.fractalDim, { kind: 'uniform', lo: 1.8, hi: 2.2 });
  assert.deepEqual(c.prior.nParticles, q.prior.nParticles);
  // The hash ignores key order but sees every value.
  const reordered = Object.fromEntries(Object.entries(c).reverse()) as typeof c;
  assert.equal(datasetConfigHash(reordered), datasetConfigHash(c));
  assert.notEqual(datasetConfigHash({ ...c, seed: 'y' }), datasetConfigHash(c));
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
  assert.throws(() => canonicalJson({ a: NaN }), /a: NaN cannot be stored in JSON/);

  const bad: [unknown, RegExp][] = [
    [{ count: 0 }, /count must be an integer in \[1, 100000000\], got 0/],
    [{ count: 2.5 }, /count must be an integer .* got 2.5/],
    [{ shardSize: -3 }, /shardSize must be an integer in \[1, 1000000\], got -3/],
    [{ seed: '' }, /seed must be a non-empty string or a safe integer, got ""/],
    [{ seed: 0.5 }, /seed must be .* got 0.5/],
    [{ split: { val: 0.6, test: 0.5 } }, /val \+ test must be at most 1, got 0.6 \+ 0.5/],
    [{ split: { val: -0.1 } }, /val must be a number in \[0, 1\], got -0.1/],
    [{ prior: { fractalDim: { kind: 'uniform', lo: 2.4, hi: 1.7 } } }, /prior.*fractalDim\.lo = 2.4 is greater than prior\.fractalDim\.hi = 1.7/],
    [{ prior: { fractalDim: { kind: 'uniform', lo: 1.7, hi: 3.4 } } }, /prior\.fractalDim\.hi = 3.4 is outside the allowed range \[1, 3\]/],
    [{ microscope: { widthPx: 101, heightPx: 101 }, preset: 'paper' }, /binning = 2 must divide the image size 101 px/],
    [{ microscope: { widthPx: 128, heightPx: 64 } }, /images must be square.*widthPx = 128 and heightPx = 64/],
    [{ microscope: { pixelSizeNm: -1 } }, /microscope\.pixelSizeNm must be a number in \(0, 1000\], got -1/],
    [{ preset: 'huge' }, /unknown preset "huge"; expected one of quick, paper/],
    [{ cout: 5 }, /unknown field "cout"/],
    [{ maxRedraws: -1 }, /maxRedraws must be an integer in \[0, 100000\], got -1/],
  ];
  for (const [input, re] of bad) {
    assert.throws(() => datasetConfig(input as never), (e: unknown) => e instanceof DatasetError && re.test((e as Error).message), JSON.stringify(input));
  }
  const fixedAll = Object.fromEntries(Object.entries(q.prior).map(([k, v]) => [k, v.kind === 'fixed' ? v : { kind: 'fixed', value: 'lo' in v ? v.lo : 0 }]));
  assert.throws(() => validateDatasetConfig({ ...q, prior: fixedAll }), /prior varies no parameter/);
});

test('redraw regions: draws and rejections land in the right bins', () => {
  const c = emptyRegionCounts([{ name: 'nParticles', lo: 20, hi: 80, log: true }, { name: 'fractalDim', lo: 1.6, hi: 2.4, log: false }]);
  assert.deepEqual(c.nParticles!.edges, [20, 28.2842712475, 40, 56.5685424949, 80]);
  tallyDraw(c, { nParticles: 20, fractalDim: 2.4 }, false);
  tallyDraw(c, { nParticles: 40, fractalDim: 1.85 }, true);
  tallyDraw(c, { nParticles: 80, fractalDim: 1.6 }, true);
  assert.deepEqual(c.nParticles!.drawn, [1, 0, 1, 1]);
  assert.deepEqual(c.nParticles!.rejected, [0, 0, 1, 1]);
  assert.deepEqual(c.fractalDim!.drawn, [1, 1, 0, 1]);
  assert.deepEqual(c.fractalDim!.rejected, [1, 1, 0, 0]);
});

test('directory lock: one writer at a time; dead local holders and silent remote ones are taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-lock-'));
  const lockPath = join(dir, '.aggstem-dataset.lock');
  try {
    const lock = lockDatasetDir(dir);
    assert.throws(() => lockDatasetDir(dir), /is being written by this process/);
    await assert.rejects(lockDatasetDirWaiting(dir), /is being written by this process/); // a live local holder is not waited for
    lock.release();
    assert.ok(!existsSync(lockPath));
    // A lock left by a process that no longer exists (pid beyond the kernel's pid range).
    writeFileSync(lockPath, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname() }));
    lockDatasetDir(dir).release();
    // Another host: refused while its heartbeat is fresh, taken over once it is older than LOCK_STALE_MS.
    writeFileSync(lockPath, JSON.stringify({ pid: 42, host: 'other-node' }));
    assert.throws(() => lockDatasetDir(dir), /locked by process 42 on host other-node \(last heartbeat 0 s ago/);
    const old = new Date(Date.now() - LOCK_STALE_MS - 1000);
    utimesSync(lockPath, old, old);
    lockDatasetDir(dir).release();
    // Waiting for a remote holder that releases its lock.
    writeFileSync(lockPath, JSON.stringify({ pid: 42, host: 'other-node' }));
    const logs: string[] = [];
    const waiting = lockDatasetDirWaiting(dir, (m) => logs.push(m));
    setTimeout(() => rmSync(lockPath), 150);
    (await waiting).release();
    assert.match(logs[0]!, /locked by process 42 on host other-node .* waiting until it is released or stale/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
