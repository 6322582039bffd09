import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as fastPngDecode } from 'fast-png';
import { decodePng, encodePng16, encodePng8, ImageFormatError, writePng16, writePng8 } from '../../src/io/index.js';

test('16-bit PNG round-trips through a file with pixel size in pHYs and tEXt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-png-'));
  try {
    const w = 7;
    const h = 5;
    const data = Uint16Array.from({ length: w * h }, (_, i) => (i * 1931) % 65536);
    data[3] = 65535;
    const p = join(dir, 'img.png');
    writePng16(p, data, w, h, { pixelSizeNm: 1.6, text: { source: 'aggstem test' } });
    const bytes = readFileSync(p);
    const r = decodePng(bytes, p);
    assert.equal(r.width, w);
    assert.equal(r.height, h);
    assert.equal(r.bitDepth, 16);
    assert.equal(r.channels, 1);
    assert.ok(r.data instanceof Uint16Array);
    assert.deepEqual([...r.data], [...data]);
    assert.equal(r.pixelSizeNm, 1.6);
    assert.equal(r.text.source, 'aggstem test');
    // Independent check of the pHYs chunk via fast-png's own decoder: 1e9 / 1.6 = 625e6 px/m.
    const raw = fastPngDecode(bytes);
    assert.deepEqual(raw.resolution, { x: 625000000, y: 625000000, unit: 1 });
    // Without the tEXt entry the pixel size comes from pHYs.
    const bare = encodePng16(data, w, h, { pixelSizeNm: 0.5 });
    const idx = Buffer.from(bare).indexOf('tEXtpixelSizeNm');
    assert.ok(idx > 0);
    bare[idx + 4] = 0x58; // rename the key: 'XixelSizeNm' (CRC then fails, so disable check via fast-png)
    const viaPhys = fastPngDecode(bare, { checkCrc: false });
    assert.equal(1e9 / viaPhys.resolution!.x, 0.5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('8-bit PNG round-trips, pixel sizes below pHYs resolution keep the exact tEXt value', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-png-'));
  try {
    const data = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    const p = join(dir, 'mask.png');
    writePng8(p, data, 4, 3, { pixelSizeNm: 0.01 }); // 1e11 px/m overflows pHYs: omitted
    const r = decodePng(readFileSync(p));
    assert.equal(r.bitDepth, 8);
    assert.deepEqual([...r.data], [...data]);
    assert.equal(r.pixelSizeNm, 0.01);
    assert.equal(fastPngDecode(readFileSync(p)).resolution, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PNG encoders validate input and decodePng rejects corrupt bytes with ImageFormatError', () => {
  assert.throws(() => encodePng16(new Uint16Array(5), 2, 3), /data has 5 pixels but 2 x 3 = 6/);
  assert.throws(() => encodePng8(new Uint8Array(4), 2, 2, { pixelSizeNm: -1 }), /pixelSizeNm must be a positive number, got -1/);
  const good = encodePng16(new Uint16Array(64).fill(7), 8, 8);
  assert.throws(() => decodePng(good.subarray(0, 20), 'a.png'), (e: unknown) => e instanceof ImageFormatError && /a\.png/.test((e as Error).message));
  const flipped = good.slice();
  flipped[good.length - 20] ^= 0xff;
  assert.throws(() => decodePng(flipped), ImageFormatError);
});

test('PNG writer: noisy 16-bit counts and sparse 8-bit masks round-trip through two decoders and are compressed', async () => {
  const { randomStream, fastUniforms } = await import('../../src/random/index.js');
  const u = fastUniforms(randomStream('png-noise'));
  const w = 300, h = 211; // odd sizes: no row alignment assumptions
  const counts = Uint16Array.from({ length: w * h }, () => 1000 + (u.uint32() % 64));
  const mask = new Uint8Array(w * h);
  for (let y = 80; y < 130; y++) mask.fill(y % 3 === 0 ? 3 : 1, y * w + 40, y * w + 200);
  const png16 = encodePng16(counts, w, h, { pixelSizeNm: 0.25, text: { note: 'café' } });
  const png8 = encodePng8(mask, w, h);
  for (const [bytes, data, depth] of [[png16, counts, 16], [png8, mask, 8]] as const) {
    const ours = decodePng(bytes);
    const theirs = fastPngDecode(bytes); // checks every chunk CRC
    assert.equal(ours.bitDepth, depth);
    assert.deepEqual([...ours.data], [...data]);
    assert.deepEqual([...theirs.data], [...data]);
  }
  assert.equal(decodePng(png16).text.note, 'café');
  // 7 bits of entropy per 16-bit sample (a 2-valued high byte, a 64-valued low byte); one byte-wise
  // Huffman table codes them in ≈ 1 + 7 bits, so about half the raw size (stored blocks would be 100 %).
  assert.ok(png16.length < 0.6 * 2 * w * h, `16-bit PNG ${png16.length} B of ${2 * w * h} B raw`);
  assert.ok(png8.length < 0.02 * w * h, `mask PNG ${png8.length} B of ${w * h} B raw`);
  assert.throws(() => encodePng8(mask, w, h, { text: { '': 'x' } }), /tEXt keyword "" must be 1–79 printable Latin-1 characters/);
  assert.throws(() => encodePng8(mask, w, h, { text: { ' lead': 'x' } }), /tEXt keyword " lead"/);
});

test('annotatePng adds a print resolution and text after IHDR without touching the pixels; old pHYs and same-key text are replaced', async () => {
  const { annotatePng } = await import('../../src/io/png.js');
  const { decode } = await import('fast-png');
  const pixels = Uint8Array.from({ length: 6 * 4 }, (_, i) => (i * 37) % 256);
  const base = encodePng8(pixels, 6, 4, { pixelSizeNm: 2, text: { note: 'old', keep: 'yes' } });
  const out = annotatePng(base, { dotsPerInch: 300, text: { note: 'new: θ' } });
  const png = decode(out, { checkCrc: true });
  assert.deepEqual(Array.from(png.data), Array.from(pixels));
  assert.deepEqual(png.resolution, { x: Math.round(300 / 0.0254), y: Math.round(300 / 0.0254), unit: 1 });
  assert.equal(png.text.note, 'new: \\u03b8');
  assert.equal(png.text.keep, 'yes');
  const chunks: string[] = [];
  for (let o = 8; o < out.length;) { const len = new DataView(out.buffer, out.byteOffset).getUint32(o); chunks.push(String.fromCharCode(...out.subarray(o + 4, o + 8))); o += 12 + len; }
  assert.equal(chunks.filter((c) => c === 'pHYs').length, 1);
  assert.deepEqual(chunks.slice(0, 2), ['IHDR', 'pHYs']);
  assert.throws(() => annotatePng(Uint8Array.of(1, 2, 3), {}), /PNG signature/);
  assert.throws(() => annotatePng(base, { dotsPerInch: -1 }), /dotsPerInch must be in/);
});
