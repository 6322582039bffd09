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
