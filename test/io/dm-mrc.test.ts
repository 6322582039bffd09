/**
 * DM3/DM4 and MRC readers on files built here byte by byte from the format descriptions, to cover
 * what the instrument fixtures do not: big-endian values, stacks, structs, strings, unit
 * conversion, every MRC mode and byte order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDm, decodeImage, decodeMrc, dmPath, ImageFormatError, parseDm } from '../../src/io/index.js';

import { buildDm, imageEntry, type Tag } from './dm-builder.js';

test('DM3 and DM4 built from the format description: stacks, both value byte orders, µm units, structs', () => {
  for (const version of [3, 4] as const) {
    for (const le of [true, false]) {
      const stack = Array.from({ length: 24 }, (_, i) => i - 12);
      const bytes = buildDm(version, le, [
        ['ImageList', { group: [imageEntry(6, 10, [2, 2], [9, 9, 9, 9]), imageEntry(1, 2, [4, 3, 2], stack, 'µm', 0.002)] }],
      ]);
      const img = decodeDm(bytes, 'synthetic');
      const what = `v${version} ${le ? 'LE' : 'BE'}`;
      assert.equal(img.format, version === 3 ? 'dm3' : 'dm4', what);
      assert.equal(img.dtype, 'int16', what);
      assert.deepEqual(img.shape, [2, 3, 4], what); // Dimensions are x, y, z
      assert.equal(img.frames, 2);
      assert.deepEqual([...img.data], stack, what);
      assert.equal(img.pixelSize.unit, 'µm');
      assert.ok(Math.abs(img.pixelSizeNm! - 2) < 1e-6, what); // float32 0.002 µm
      assert.equal(img.metadata.beamEnergyKv, 300);
      assert.equal(img.metadata.dwellTimeS, 16e-6);
      assert.equal(img.metadata.acquisitionMode, 'STEM');
      assert.equal(img.metadata.microscope, 'Test STEM');
      assert.equal(img.metadata.name, 'synthetic');
      const misc = (img.metadata.raw as Record<string, Record<string, unknown>>)['Misc']!;
      assert.deepEqual(misc['Pair'], [-5, 2.5]);
      assert.equal(misc['Old'], 'hi');
      assert.equal(misc['Flag'], true);
      // The smaller uint8 entry is still reachable by index.
      const first = decodeDm(bytes, 'synthetic', { index: 0 });
      assert.equal(first.dtype, 'uint8');
      assert.deepEqual([...first.data], [9, 9, 9, 9]);
      const tree = parseDm(bytes);
      assert.equal(dmPath(tree.root, 'ImageList', 1, 'ImageData', 'DataType'), 1);
    }
  }
});

test('DM reader refuses complex images, inconsistent sizes and runaway structures with clear messages', () => {
  const complex = buildDm(3, true, [['ImageList', { group: [imageEntry(3, 6, [1, 1], [1, 2])] }]]);
  assert.throws(() => decodeDm(complex, 'c.dm3'), (e: unknown) => e instanceof ImageFormatError && /c\.dm3: not a readable dm3 file: image DataType 3 is complex64 \(unsupported\)/.test((e as Error).message));
  const short = buildDm(4, true, [['ImageList', { group: [imageEntry(2, 6, [3, 3], [1, 2, 3])] }]]);
  assert.throws(() => decodeDm(short), /Dimensions \[3, 3\] of float32 need 36 bytes but ImageData.Data holds 12/);
  const none = buildDm(3, true, [['Other', { simple: 3, value: 1 }]]);
  assert.throws(() => decodeDm(none), /no image with ImageData\.Data/);
  // 100 nested groups exceed the depth limit.
  let deep: [string, Tag][] = [['x', { simple: 3, value: 1 }]];
  for (let i = 0; i < 100; i++) deep = [['g', { group: deep }]];
  assert.throws(() => parseDm(buildDm(3, true, deep)), (e: unknown) => e instanceof ImageFormatError && /nested deeper than 64/.test((e as Error).message));
});

/** A 1024-byte MRC2014 header followed by `ext` extended-header bytes and `payload`. */
function buildMrc(o: { nx: number; ny: number; nz: number; mode: number; le: boolean; cellA: number; payload: Uint8Array; ext?: number; stamp?: boolean }): Uint8Array {
  const ext = o.ext ?? 0;
  const b = new Uint8Array(1024 + ext + o.payload.length);
  const dv = new DataView(b.buffer);
  const i4 = (w: number, v: number): void => dv.setInt32(w * 4, v, o.le);
  i4(0, o.nx); i4(1, o.ny); i4(2, o.nz); i4(3, o.mode);
  i4(7, o.nx); i4(8, o.ny); i4(9, o.nz);
  dv.setFloat32(40, o.cellA, o.le);
  i4(16, 1); i4(17, 2); i4(18, 3);
  i4(23, ext);
  i4(27, 20140);
  b.set([0x4d, 0x41, 0x50, 0x20], 208);
  if (o.stamp !== false) b.set(o.le ? [0x44, 0x44, 0, 0] : [0x11, 0x11, 0, 0], 212);
  b.set(o.payload, 1024 + ext);
  return b;
}

test('MRC modes 0, 1, 2, 6 and 12, both byte orders, stacks, extended header and missing stamp', () => {
  const vals = [-3, 0, 7, 100, -128, 127];
  const cases: [number, string, (dv: DataView, i: number, v: number, le: boolean) => void, number][] = [
    [0, 'int8', (dv, i, v) => dv.setInt8(i, v), 1],
    [1, 'int16', (dv, i, v, le) => dv.setInt16(2 * i, v * 200, le), 2],
    [2, 'float32', (dv, i, v, le) => dv.setFloat32(4 * i, v / 4, le), 4],
    [6, 'uint16', (dv, i, v, le) => dv.setUint16(2 * i, v + 128, le), 2],
  ];
  for (const le of [true, false]) {
    for (const [mode, dtype, put, size] of cases) {
      const payload = new Uint8Array(vals.length * size);
      const dv = new DataView(payload.buffer);
      vals.forEach((v, i) => put(dv, i, v, le));
      const img = decodeMrc(buildMrc({ nx: 3, ny: 2, nz: 1, mode, le, cellA: 30, payload, ext: 100 }));
      assert.equal(img.dtype, dtype);
      const expect = vals.map((v) => (mode === 1 ? v * 200 : mode === 2 ? v / 4 : mode === 6 ? v + 128 : v));
      assert.deepEqual([...img.data], expect, `mode ${mode} ${le ? 'LE' : 'BE'}`);
      assert.ok(Math.abs(img.pixelSizeNm! - 1) < 1e-12); // 30 Å / 3 px
    }
  }
  // Mode 12 (float16): 1, -2, 0.5, 65504, smallest subnormal, Infinity.
  const halves = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00];
  const p16 = new Uint8Array(12);
  halves.forEach((h, i) => new DataView(p16.buffer).setUint16(2 * i, h, true));
  const h = decodeMrc(buildMrc({ nx: 6, ny: 1, nz: 1, mode: 12, le: true, cellA: 6, payload: p16 }));
  assert.equal(h.dtype, 'float32');
  assert.deepEqual([...h.data], [1, -2, 0.5, 65504, Math.fround(2 ** -24), Infinity]);
  // A 2-frame stack without a machine stamp (old files): byte order guessed from the mode.
  const p = new Uint8Array(2 * 2 * 2 * 2);
  for (let i = 0; i < 8; i++) new DataView(p.buffer).setInt16(2 * i, i * 10, false);
  const s = decodeImage(buildMrc({ nx: 2, ny: 2, nz: 2, mode: 1, le: false, cellA: 20, payload: p, stamp: false }), { format: 'mrc' });
  assert.deepEqual(s.shape, [2, 2, 2]);
  assert.equal(s.frames, 2);
  assert.deepEqual([...s.data], [0, 10, 20, 30, 40, 50, 60, 70]);
  const f1 = decodeImage(buildMrc({ nx: 2, ny: 2, nz: 2, mode: 1, le: false, cellA: 20, payload: p }), { format: 'mrc', index: 1 });
  assert.deepEqual([...f1.data], [40, 50, 60, 70]);
});

test('MRC reader refuses unsupported modes and data shorter than the header promises', () => {
  assert.throws(() => decodeMrc(buildMrc({ nx: 1, ny: 1, nz: 1, mode: 4, le: true, cellA: 1, payload: new Uint8Array(8) }), 'c.mrc'), /c\.mrc: not a readable mrc file: mode 4 \(complex float32\) is not supported/);
  assert.throws(() => decodeMrc(buildMrc({ nx: 4, ny: 4, nz: 1, mode: 2, le: true, cellA: 1, payload: new Uint8Array(60) })), /need 64 bytes after 1024 header bytes, but the file has 1084/);
  assert.throws(() => decodeMrc(new Uint8Array(500)), /shorter than the 1024-byte header/);
});
