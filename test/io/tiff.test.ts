import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as decodeTiff } from 'tiff';
import { encodeTiffFloat32, toRational, writeTiffFloat32, writeTiffUint16 } from '../../src/io/index.js';

test('float32 TIFF is read back by the independent `tiff` package with ImageJ calibration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-tiff-'));
  try {
    const w = 6;
    const h = 4;
    const data = Float32Array.from({ length: w * h }, (_, i) => Math.sin(i) * 1e3 - 0.125);
    const p = join(dir, 'img.tif');
    writeTiffFloat32(p, data, w, h, { pixelSizeNm: 5.679131, description: 'source=aggstem' });
    const [ifd] = decodeTiff(readFileSync(p));
    assert.ok(ifd);
    assert.equal(ifd.width, w);
    assert.equal(ifd.height, h);
    assert.equal(ifd.bitsPerSample, 32);
    assert.equal(ifd.sampleFormat, 3);
    assert.equal(ifd.samplesPerPixel, 1);
    assert.ok(ifd.data instanceof Float32Array);
    assert.deepEqual([...ifd.data], [...data]);
    assert.match(ifd.imageDescription!, /^ImageJ=1\.11a\nimages=1\nunit=nm\nmin=-?[\d.e+-]+\nmax=[\d.e+-]+\nsource=aggstem\n$/);
    assert.equal(ifd.resolutionUnit, 1);
    // XResolution is pixels per nm: 1 / 5.679131 to ~1e-15 relative.
    assert.ok(Math.abs(1 / ifd.xResolution - 5.679131) < 5.679131 * 1e-12, `x res ${ifd.xResolution}`);
    assert.ok(Math.abs(1 / ifd.yResolution - 5.679131) < 5.679131 * 1e-12);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('uint16 TIFF round-trips through the `tiff` package; without a pixel size no resolution tags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-tiff-'));
  try {
    const data = Uint16Array.from({ length: 15 }, (_, i) => i * 4369);
    const p = join(dir, 'img16.tif');
    writeTiffUint16(p, data, 5, 3);
    const [ifd] = decodeTiff(readFileSync(p));
    assert.equal(ifd!.bitsPerSample, 16);
    assert.equal(ifd!.sampleFormat, 1);
    assert.ok(ifd!.data instanceof Uint16Array);
    assert.deepEqual([...ifd!.data], [...data]);
    assert.equal(ifd!.fields.has(282), false);
    assert.doesNotMatch(ifd!.imageDescription!, /unit=/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('toRational finds close 32-bit fractions and the writer validates input', () => {
  for (const x of [0, 1, 0.5, 1 / 3, Math.PI, 1 / 5.679131, 1e-7, 123456.789]) {
    const [p, q] = toRational(x);
    assert.ok(p <= 0xffffffff && q <= 0xffffffff && q > 0);
    assert.ok(Math.abs(p / q - x) <= Math.max(x * 1e-9, 1 / 0xffffffff), `${x} -> ${p}/${q}`);
  }
  assert.throws(() => encodeTiffFloat32(new Float32Array(3), 2, 2), /data has 3 pixels but 2 x 2 = 4/);
  assert.throws(() => encodeTiffFloat32(new Float32Array(4), 2, 2, { pixelSizeNm: 0 }), /pixelSizeNm must be a positive number, got 0/);
});
