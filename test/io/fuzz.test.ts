/**
 * Fuzzing the readers: every fixture (instrument files and files from our own writers) is truncated
 * and bit-flipped many times with a seeded stream. Each read must either return a consistent image
 * or throw ImageFormatError — no other exception, no hang (elapsed per read < 2 s, a generous hang
 * detector, not a speed test) and no allocation beyond 64x the file size (checked on the result; the
 * readers check declared sizes before allocating).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { integer, randomStream, type RandomStream } from '../../src/random/index.js';
import {
  decodeImage,
  encodeNpy,
  encodePng16,
  encodeTiffFloat32,
  ImageFormatError,
  loadHdf5,
  readImage,
  type MicroscopeImage,
} from '../../src/io/index.js';
import { TIFFFILE_SAMPLES } from './tifffile-samples.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const FIXTURES = resolve(repoRoot, '../shared/fixtures/stem-files');
const skip = existsSync(FIXTURES) ? false : `instrument fixtures not found at ${FIXTURES}`;
const PER_FILE = 200;

/** A truncation, scattered bit flips, or a burst of flips/overwrites in the first 2 KiB (headers). */
function mutate(rng: RandomStream, src: Uint8Array): Uint8Array {
  const kind = integer(rng, 0, 3);
  // new Uint8Array(...) copies; Buffer#slice would return a view and the flips would accumulate.
  if (kind === 0) return new Uint8Array(src.subarray(0, integer(rng, 0, src.length - 1)));
  const b = new Uint8Array(src);
  const headerSpan = Math.min(b.length, 2048);
  const flips = integer(rng, 1, 8);
  for (let i = 0; i < flips; i++) {
    const at = kind === 1 ? integer(rng, 0, b.length - 1) : integer(rng, 0, headerSpan - 1);
    if (kind === 3) b[at] = [0x00, 0xff, 0x7f, 0x80][integer(rng, 0, 3)]!;
    else b[at]! ^= 1 << integer(rng, 0, 7);
  }
  return b;
}

function checkResult(img: MicroscopeImage, fileBytes: number, what: string): void {
  const n = img.shape.reduce((a, b) => a * b, 1);
  assert.equal(img.data.length, n, `${what}: data length vs shape`);
  assert.equal(img.width * img.height * (img.frames ?? 1), n, `${what}: width x height x frames vs shape`);
  assert.ok(img.data.byteLength <= 64 * Math.max(fileBytes, 1), `${what}: ${img.data.byteLength} bytes from a ${fileBytes}-byte file`);
}

function fuzzOne(name: string, src: Uint8Array, read: (bytes: Uint8Array) => MicroscopeImage): { ok: number; rejected: number } {
  const rng = randomStream('io-fuzz', name);
  let ok = 0;
  let rejected = 0;
  for (let i = 0; i < PER_FILE; i++) {
    const bytes = mutate(rng, src);
    const what = `${name} mutation ${i}`;
    const t0 = performance.now();
    try {
      checkResult(read(bytes), bytes.length, what);
      ok++;
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      if (!(e instanceof ImageFormatError)) {
        assert.fail(`${what}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      }
      rejected++;
    }
    const ms = performance.now() - t0;
    assert.ok(ms < 2000, `${what}: read took ${ms.toFixed(0)} ms`);
  }
  if (process.env.FUZZ_STATS) console.log(name, ok, rejected); // FUZZ_STATS=1 shows the ok/rejected mix
  return { ok, rejected };
}

test('fuzzed instrument files (DM3, DM4, MRC) either read consistently or throw ImageFormatError', { skip }, () => {
  const files = readdirSync(FIXTURES).filter((f) => /\.(dm3|dm4|mrc)$/.test(f));
  assert.ok(files.length >= 17);
  let rejected = 0;
  for (const f of files) {
    const src = readFileSync(join(FIXTURES, f));
    rejected += fuzzOne(f, src, (b) => decodeImage(b, { file: f })).rejected;
  }
  // The mutations must actually exercise the error paths.
  assert.ok(rejected > files.length * PER_FILE * 0.2, `only ${rejected} rejections`);
});

test('fuzzed EMD (HDF5 via h5wasm) either reads consistently or throws ImageFormatError', { skip }, async () => {
  await loadHdf5();
  const src = readFileSync(join(FIXTURES, 'example_image.emd'));
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-fuzz-'));
  try {
    const p = join(dir, 'm.emd');
    const r = fuzzOne('example_image.emd', src, (b) => {
      writeFileSync(p, b);
      return readImage(p);
    });
    assert.ok(r.rejected > 0 && r.ok > 0, JSON.stringify(r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fuzzed NPY, PNG and TIFF (ours and tifffile-written) either read consistently or throw ImageFormatError', () => {
  const img = Float32Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i / 7) * 1000);
  const samples: [string, Uint8Array][] = [
    ['ours.npy', encodeNpy(img, [2, 48, 32])],
    ['ours.png', encodePng16(Uint16Array.from(img, (v) => v + 1000), 64, 48, { pixelSizeNm: 1.6 })],
    ['ours.tif', encodeTiffFloat32(img, 64, 48, { pixelSizeNm: 1.6 })],
    ...Object.entries(TIFFFILE_SAMPLES).map(([k, v]): [string, Uint8Array] => [`${k}.tif`, Buffer.from(v, 'base64')]),
  ];
  for (const [name, src] of samples) {
    const r = fuzzOne(name, src, (b) => decodeImage(b, { file: name }));
    assert.ok(r.rejected > 0, `${name}: ${JSON.stringify(r)}`);
  }
});
