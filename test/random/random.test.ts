import { test } from 'node:test';
import assert from 'node:assert/strict';
import seedrandom from 'seedrandom';
import {
  randomStream, deriveStream, uniform, integer, normal, lognormal, logUniformInt, shuffleInPlace,
  unitVector, randomRotation, normalCdf, normalQuantile, erfc, int32Seed, streamFromKey, fastUniforms,
  type RandomStream,
} from '../../src/random/index.js';

test('streams reproduce seedrandom xor4096 bit for bit (doubles and uint32s interleaved)', () => {
  for (let s = 0; s < 5; s++) {
    const key = randomStream('reference', s).key;
    const ref = seedrandom.xor4096(key), r = streamFromKey(key);
    for (let j = 0; j < 2000; j++) {
      if (j % 3 === 0) assert.equal(r.double(), ref.double(), `key ${s}, draw ${j}`);
      else assert.equal(r.uint32(), ref.int32() >>> 0, `key ${s}, draw ${j}`);
    }
  }
});

test('same seed and path give identical streams; different paths differ', () => {
  const a = randomStream(42, 'sample', 3), b = randomStream(42, 'sample', 3), c = randomStream(42, 'sample', 4);
  const xa = Array.from({ length: 100 }, () => a.double());
  const xb = Array.from({ length: 100 }, () => b.double());
  const xc = Array.from({ length: 100 }, () => c.double());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
  assert.notEqual(randomStream('42').key, randomStream(42, 0).key);
});

test('derived streams depend on the parent identity, not its consumed state', () => {
  const p1 = randomStream(7), p2 = randomStream(7);
  for (let i = 0; i < 1000; i++) p1.double();
  const d1 = deriveStream(p1, 'x', 5), d2 = deriveStream(p2, 'x', 5);
  assert.equal(d1.double(), d2.double());
  assert.notEqual(deriveStream(p1, 'x', 6).key, d1.key);
});

test('bad seeds are rejected with a clear error', () => {
  assert.throws(() => randomStream(Number.NaN), /finite/);
  assert.throws(() => randomStream(1, {} as unknown as string), /strings or finite numbers/);
});

test('double is uniform on [0,1): mean, variance and a KS test at alpha = 0.001', () => {
  const rng = randomStream('uniform');
  const n = 20000;
  const xs = Float64Array.from({ length: n }, () => rng.double()).sort();
  let mean = 0; for (const x of xs) mean += x; mean /= n;
  let v = 0; for (const x of xs) v += (x - mean) ** 2; v /= n - 1;
  assert.ok(Math.abs(mean - 0.5) < 4 * Math.sqrt(1 / 12 / n));
  assert.ok(Math.abs(v - 1 / 12) < 0.004);
  let d = 0; xs.forEach((x, i) => { d = Math.max(d, Math.abs((i + 1) / n - x), Math.abs(x - i / n)); });
  assert.ok(d < 1.95 / Math.sqrt(n), `KS D = ${d}`);
  assert.ok(xs[0]! >= 0 && xs[n - 1]! < 1);
});

test('integer covers [lo, hi] uniformly (chi-square, 9 dof, p > 0.001)', () => {
  const rng = randomStream('int');
  const counts = new Array(10).fill(0);
  const n = 50000;
  for (let i = 0; i < n; i++) counts[integer(rng, 3, 12) - 3]++;
  const e = n / 10;
  const chi2 = counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
  assert.ok(chi2 < 27.88, `chi2 = ${chi2}`);
  assert.throws(() => integer(rng, 5, 4), /lo <= hi/);
});

test('normal has mean 0 and variance 1 within 4 standard errors', () => {
  const rng = randomStream('normal');
  const n = 40000; let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) { const z = normal(rng); s += z; s2 += z * z; }
  const m = s / n, v = s2 / n - m * m;
  assert.ok(Math.abs(m) < 4 / Math.sqrt(n));
  assert.ok(Math.abs(v - 1) < 4 * Math.sqrt(2 / n));
});

test('normalCdf, erfc and normalQuantile agree with reference values and invert each other', () => {
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-15);
  assert.ok(Math.abs(normalCdf(1.959963984540054) - 0.975) < 1e-13);
  assert.ok(Math.abs(erfc(1) - 0.15729920705028513) < 1e-15);
  assert.ok(Math.abs(erfc(5) / 1.5374597944280349e-12 - 1) < 1e-12);
  for (const p of [1e-10, 0.001, 0.02, 0.3, 0.5, 0.9, 0.999]) {
    assert.ok(Math.abs(normalCdf(normalQuantile(p)) / p - 1) < 1e-12, `p = ${p}`);
  }
});

test('lognormal: median and geometric sd recovered; truncation respected with exact KS fit', () => {
  const rng = randomStream('lognormal');
  const n = 20000;
  const xs = Float64Array.from({ length: n }, () => lognormal(rng, 5, 1.25)).sort();
  const med = xs[n / 2]!;
  assert.ok(Math.abs(Math.log(med / 5)) < 0.01, `median ${med}`);
  let s = 0, s2 = 0; for (const x of xs) { const l = Math.log(x); s += l; s2 += l * l; }
  const sd = Math.sqrt(s2 / n - (s / n) ** 2);
  assert.ok(Math.abs(sd - Math.log(1.25)) < 0.005, `log sd ${sd}`);
  const lo = 5 / 1.25 ** 2, hi = 5 * 1.25 ** 2;
  const t = Float64Array.from({ length: n }, () => lognormal(rng, 5, 1.25, { lo, hi })).sort();
  assert.ok(t[0]! >= lo && t[n - 1]! <= hi);
  const mu = Math.log(5), sg = Math.log(1.25);
  const a = normalCdf((Math.log(lo) - mu) / sg), b = normalCdf((Math.log(hi) - mu) / sg);
  let d = 0;
  t.forEach((x, i) => { const F = (normalCdf((Math.log(x) - mu) / sg) - a) / (b - a); d = Math.max(d, Math.abs((i + 1) / n - F), Math.abs(F - i / n)); });
  assert.ok(d < 1.63 / Math.sqrt(n), `KS D = ${d}`);
  assert.throws(() => lognormal(rng, -1, 1.2), /median/);
});

test('logUniformInt stays in range and is log-uniform (equal mass per decade)', () => {
  const rng = randomStream('lu');
  let low = 0, high = 0; const n = 20000;
  for (let i = 0; i < n; i++) {
    const v = logUniformInt(rng, 10, 1000);
    assert.ok(v >= 10 && v <= 1000 && Number.isInteger(v));
    if (v < 100) low++; else high++;
  }
  assert.ok(Math.abs(low / n - 0.5) < 0.02, `fraction below 100: ${low / n}`);
});

test('shuffleInPlace is a permutation and reproducible', () => {
  const a = shuffleInPlace(randomStream(1), Array.from({ length: 50 }, (_, i) => i));
  const b = shuffleInPlace(randomStream(1), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(a, b);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
});

test('unitVector and randomRotation: unit norm, orthonormal, isotropic mean', () => {
  const rng = randomStream('rot');
  let mz = 0; const n = 20000;
  for (let i = 0; i < n; i++) { const [x, y, z] = unitVector(rng); assert.ok(Math.abs(x * x + y * y + z * z - 1) < 1e-12); mz += z; }
  assert.ok(Math.abs(mz / n) < 4 * Math.sqrt(1 / 3 / n));
  const acc = new Float64Array(9);
  for (let k = 0; k < 5000; k++) {
    const R = randomRotation(rng);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let dot = 0; for (let m = 0; m < 3; m++) dot += R[3 * i + m]! * R[3 * j + m]!;
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-12);
    }
    const det = R[0]! * (R[4]! * R[8]! - R[5]! * R[7]!) - R[1]! * (R[3]! * R[8]! - R[5]! * R[6]!) + R[2]! * (R[3]! * R[7]! - R[4]! * R[6]!);
    assert.ok(Math.abs(det - 1) < 1e-12);
    for (let i = 0; i < 9; i++) acc[i]! += R[i]!;
  }
  // Haar measure: E[R] = 0; each entry has variance 1/3.
  for (let i = 0; i < 9; i++) assert.ok(Math.abs(acc[i]! / 5000) < 4 * Math.sqrt(1 / 3 / 5000));
});

test('int32Seed is never zero', () => {
  const rng = randomStream('s');
  for (let i = 0; i < 10000; i++) { const s = int32Seed(rng); assert.ok(s >= 1 && s <= 2147483646); }
});

test('streamFromKey rebuilds a stream from its key; junk keys are rejected', async () => {
  const { streamFromKey } = await import('../../src/random/index.js');
  const a = randomStream(9, 'x');
  const b = streamFromKey(a.key);
  assert.equal(b.key, a.key);
  assert.equal(a.double(), b.double());
  assert.throws(() => streamFromKey('nope'), /64-hex-digit/);
});

/** xoshiro128** written out with BigInt-free 32-bit arithmetic from the reference C (Blackman & Vigna). */
function xoshiroReference(seed: number[], count: number): number[] {
  const s = Uint32Array.from(seed);
  const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number((BigInt(rotl(Number((BigInt(s[1]!) * 5n) & 0xffffffffn), 7)) * 9n) & 0xffffffffn));
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!; s[3]! ^= s[1]!; s[1]! ^= s[2]!; s[0]! ^= s[3]!; s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
  }
  return out;
}

test('fastUniforms is xoshiro128** seeded with the next four uint32s of the stream', () => {
  const rng = randomStream('fast', 1);
  const seed = (() => { const r = streamFromKey(rng.key); return [r.uint32(), r.uint32(), r.uint32(), r.uint32()]; })();
  const u = fastUniforms(rng);
  const ref = xoshiroReference(seed, 1000);
  for (let i = 0; i < 1000; i++) assert.equal(u.uint32(), ref[i], `output ${i}`);
  // Reproducible from the same stream position; a different stream differs.
  const a = fastUniforms(randomStream('fast', 2)), b = fastUniforms(randomStream('fast', 2)), c = fastUniforms(randomStream('fast', 3));
  const xa = Array.from({ length: 50 }, () => a.double()), xb = Array.from({ length: 50 }, () => b.double());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, Array.from({ length: 50 }, () => c.double()));
  // The all-zero state (xoshiro's fixed point) is never used.
  const zeros: RandomStream = { key: '0'.repeat(64), double: () => 0.5, uint32: () => 0 };
  const z = fastUniforms(zeros);
  assert.ok(Array.from({ length: 8 }, () => z.uint32()).some((v) => v !== 0));
});

test('fastUniforms.double is uniform on (0, 1): mean, KS at alpha = 0.001, and 16-bin chi-square of the low bits', () => {
  const u = fastUniforms(randomStream('fast-uniform'));
  const n = 50000;
  const xs = Float64Array.from({ length: n }, () => u.double());
  const low = new Array(16).fill(0);
  for (const x of xs) low[Math.floor(x * 2 ** 52) & 15]++;
  xs.sort();
  assert.ok(xs[0]! > 0 && xs[n - 1]! < 1);
  // The extremes of the construction stay strictly inside (0, 1).
  assert.ok((0 + 0.5) * 2 ** -52 > 0 && (2 ** 52 - 1 + 0.5) * 2 ** -52 < 1);
  let mean = 0; for (const x of xs) mean += x; mean /= n;
  assert.ok(Math.abs(mean - 0.5) < 4 * Math.sqrt(1 / 12 / n), `mean ${mean}`);
  let d = 0; xs.forEach((x, i) => { d = Math.max(d, Math.abs((i + 1) / n - x), Math.abs(x - i / n)); });
  assert.ok(d < 1.95 / Math.sqrt(n), `KS D = ${d}`);
  // The lowest 4 of the 52 bits come from the second 32-bit word: chi-square, 15 dof, p > 0.001 (37.70).
  const e = n / 16;
  const chi2 = low.reduce((acc, c) => acc + (c - e) ** 2 / e, 0);
  assert.ok(chi2 < 37.7, `chi2 = ${chi2}`);
});
