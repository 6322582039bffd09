import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeNpy,
  encodeNpy,
  ImageFormatError,
  openNpyStack,
  readNpy,
  readNpyFrames,
  readNpyHeader,
  writeNpy,
  type NpyTypedArray,
} from '../../src/io/index.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'aggstem-npy-'));
}

const samples: [string, NpyTypedArray, string][] = [
  ['float32', new Float32Array([1.5, -2.25, 3e-9, Infinity, -0, 7]), '<f4'],
  ['float64', new Float64Array([Math.PI, -1e300, 5e-324, 0, 1, 2]), '<f8'],
  ['uint16', new Uint16Array([0, 1, 65535, 256, 4095, 9]), '<u2'],
  ['uint8', new Uint8Array([0, 1, 255, 128, 3, 4]), '|u1'],
  ['int32', new Int32Array([-2147483648, 2147483647, 0, -1, 5, 6]), '<i4'],
  ['int16', new Int16Array([-32768, 32767, 0, -1, 5, 6]), '<i2'],
  ['uint32', new Uint32Array([0, 4294967295, 1, 2, 3, 4]), '<u4'],
  ['int8', new Int8Array([-128, 127, 0, -1, 5, 6]), '|i1'],
];

test('encodeNpy writes a v1.0 header padded to 64 bytes with the exact NumPy dict', () => {
  const b = encodeNpy(new Float32Array(6), [2, 3]);
  assert.deepEqual([...b.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const hlen = b[8]! | (b[9]! << 8);
  assert.equal((10 + hlen) % 64, 0);
  const header = Buffer.from(b.subarray(10, 10 + hlen)).toString('latin1');
  assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
  assert.equal(b.length, 10 + hlen + 24);
  const one = Buffer.from(encodeNpy(new Uint8Array(3), [3])).toString('latin1');
  assert.match(one, /'shape': \(3,\)/);
});

test('NPY round-trips every dtype bit-exactly through a real file', () => {
  const dir = tmp();
  try {
    for (const [name, data, descr] of samples) {
      const p = join(dir, `${name}.npy`);
      writeNpy(p, data, [2, 3]);
      const bytes = readFileSync(p);
      assert.ok(Buffer.from(bytes).toString('latin1').includes(`'descr': '${descr}'`), name);
      for (const r of [readNpy(p), decodeNpy(bytes)]) {
        assert.equal(r.dtype, name);
        assert.deepEqual(r.shape, [2, 3]);
        assert.equal(r.fortranOrder, false);
        assert.equal(r.data.constructor, data.constructor);
        assert.deepEqual([...r.data], [...data], name);
      }
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('encodeNpy rejects a shape that does not match the data', () => {
  assert.throws(() => encodeNpy(new Float32Array(5), [2, 3]), /shape \[2, 3\] has 6 elements but data has 5/);
  assert.throws(() => encodeNpy(new Float32Array(0), [-1]), /integers >= 0/);
});

/** Builds a .npy by hand, the way other writers (NumPy v2/v3, big-endian, Fortran) lay it out. */
function handNpy(version: number, dict: string, payload: Uint8Array): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const padTo = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const hlen = padTo - pre;
  const out = new Uint8Array(padTo + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, hlen, true);
  else dv.setUint32(8, hlen, true);
  out.set(Buffer.from(dict.padEnd(hlen - 1, ' ') + '\n', version === 3 ? 'utf8' : 'latin1'), pre);
  out.set(payload, padTo);
  return out;
}

test('decodeNpy reads v2/v3 headers, big-endian data, bool and reports Fortran order', () => {
  const be = new Uint8Array(8);
  new DataView(be.buffer).setUint16(0, 0x0102);
  new DataView(be.buffer).setUint16(2, 65000);
  new DataView(be.buffer).setInt16(4, -3);
  new DataView(be.buffer).setInt16(6, 300);
  const r1 = decodeNpy(handNpy(2, "{'descr': '>u2', 'fortran_order': False, 'shape': (2,), }", be.subarray(0, 4)));
  assert.deepEqual([...r1.data], [0x0102, 65000]);
  const r2 = decodeNpy(handNpy(3, "{'descr': '>i2', 'fortran_order': True, 'shape': (1, 2), }", be.subarray(4)));
  assert.equal(r2.dtype, 'int16');
  assert.deepEqual([...r2.data], [-3, 300]);
  assert.equal(r2.fortranOrder, true);
  const f8 = new Uint8Array(8);
  new DataView(f8.buffer).setFloat64(0, -1.25);
  assert.deepEqual([...decodeNpy(handNpy(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (), }", f8)).data], [-1.25]);
  const b = decodeNpy(handNpy(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", new Uint8Array([1, 0, 1])));
  assert.equal(b.dtype, 'bool');
  assert.deepEqual([...b.data], [1, 0, 1]);
});

test('decodeNpy throws ImageFormatError for bad magic, unknown dtype and short data', () => {
  const good = encodeNpy(new Float32Array(4), [2, 2]);
  const bad = good.slice();
  bad[1] = 0;
  assert.throws(() => decodeNpy(bad, 'x.npy'), (e: unknown) => e instanceof ImageFormatError && /x\.npy.*npy.*magic/.test(e.message));
  assert.throws(() => decodeNpy(good.subarray(0, good.length - 1)), (e: unknown) => e instanceof ImageFormatError && /needs 16 data bytes but only 15/.test((e as Error).message));
  assert.throws(
    () => decodeNpy(handNpy(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8))),
    (e: unknown) => e instanceof ImageFormatError && /unsupported dtype '<c8'/.test((e as Error).message),
  );
  // A header that claims a huge shape must be refused before allocation.
  assert.throws(
    () => decodeNpy(handNpy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }", new Uint8Array(8))),
    ImageFormatError,
  );
});

test('openNpyStack streams frames, patches the count on commit and reads back by frame range', () => {
  const dir = tmp();
  try {
    const p = join(dir, 'sub', 'stack.npy');
    const w = openNpyStack(p, 'float32', [3, 4]);
    assert.throws(() => statSync(p)); // nothing at the final path before commit
    for (let k = 0; k < 5; k++) w.append(Float32Array.from({ length: 12 }, (_, i) => k * 100 + i));
    w.append(Array.from({ length: 12 }, (_, i) => 500 + i)); // plain numbers are converted
    assert.throws(() => w.append(new Float32Array(11)), /11 elements, expected 12/);
    assert.equal(w.count, 6);
    w.commit();
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['stack.npy']);
    const r = readNpy(p);
    assert.deepEqual(r.shape, [6, 3, 4]);
    assert.equal(r.dtype, 'float32');
    for (let k = 0; k < 6; k++) for (let i = 0; i < 12; i++) assert.equal(r.data[k * 12 + i], k * 100 + i);
    const h = readNpyHeader(p);
    assert.equal(h.dataOffset % 64, 0);
    assert.deepEqual(h.shape, [6, 3, 4]);
    const f = readNpyFrames(p, 2, 3);
    assert.deepEqual(f.shape, [3, 3, 4]);
    assert.deepEqual([...f.data], [...r.data.subarray(24, 60)]);
    assert.throws(() => readNpyFrames(p, 5, 2), /frames 5\.\.6 requested, the file has 6/);

    const q = join(dir, 'aborted.npy');
    const a = openNpyStack(q, '<u2', [2]);
    a.append(new Uint16Array([1, 2]));
    a.abort();
    assert.deepEqual(readdirSync(dir).sort(), ['sub']);

    const e = join(dir, 'empty.npy');
    const z = openNpyStack(e, 'uint8', [2, 2]);
    z.commit();
    assert.deepEqual(readNpy(e).shape, [0, 2, 2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
