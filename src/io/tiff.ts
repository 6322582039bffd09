/**
 * TIFF images: a hand-written baseline writer (float32 and uint16 greyscale with ImageJ-style
 * calibration) and, in `tiff-read.ts`, a reader built on the `tiff` npm package.
 *
 * Why hand-written: the `tiff` package (image-js, 7.x) only decodes — it has no encoder at all — and
 * the common JS encoders (utif, geotiff's writer) neither write SampleFormat=3 float data with
 * X/YResolution rationals nor an ImageJ ImageDescription. An uncompressed single-strip TIFF is small.
 *
 * Calibration is written the way ImageJ itself does it (ij.io.TiffEncoder): ImageDescription
 * `ImageJ=1.11a\nunit=nm\n…`, XResolution = YResolution = pixels per unit (1 / pixel size in nm) and
 * ResolutionUnit = 1 (none; the unit lives in the description). Fiji and tifffile read this back.
 */
import { writeFileAtomic } from './atomic.js';

/** Optional calibration and text for TIFF output. */
export interface TiffMeta {
  /** Physical pixel size in nm (both axes). */
  pixelSizeNm?: number;
  /** Free text appended after the ImageJ lines of ImageDescription (ASCII; NUL not allowed). */
  description?: string;
}

const T_SHORT = 3;
const T_LONG = 4;
const T_RATIONAL = 5;
const T_ASCII = 2;

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** Inline value (SHORT/LONG, count 1) or bytes stored out of line. */
  value?: number;
  bytes?: Uint8Array;
}

/** Best rational approximation p/q of x with p, q < 2^32 (continued fractions). */
export function toRational(x: number): [number, number] {
  if (!(Number.isFinite(x) && x >= 0)) throw new RangeError(`toRational: expected a finite number >= 0, got ${x}`);
  const MAX = 0xffffffff;
  if (x >= MAX) return [MAX, 1];
  let [p0, q0, p1, q1] = [0, 1, 1, 0];
  let v = x;
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(v);
    const p2 = a * p1 + p0;
    const q2 = a * q1 + q0;
    if (p2 > MAX || q2 > MAX) break;
    [p0, q0, p1, q1] = [p1, q1, p2, q2];
    const frac = v - a;
    if (frac < 1e-15 || Math.abs(p1 / q1 - x) <= Math.abs(x) * 1e-16) break;
    v = 1 / frac;
  }
  if (q1 === 0) return [MAX, 1];
  return [p1, q1];
}

function rationalBytes(x: number): Uint8Array {
  const [p, q] = toRational(x);
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, p, true);
  dv.setUint32(4, q, true);
  return b;
}

function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length + 1);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    b[i] = c === 0 || c > 0x7e ? 0x3f : c; // '?' for NUL and non-ASCII (TIFF ASCII is 7-bit)
  }
  return b;
}

function encodeTiff(
  fn: string,
  pixels: Uint8Array,
  bits: 8 | 16 | 32 | 64,
  sampleFormat: 1 | 2 | 3,
  width: number,
  height: number,
  min: number,
  max: number,
  meta?: TiffMeta,
): Uint8Array {
  const lines = ['ImageJ=1.11a', 'images=1'];
  if (meta?.pixelSizeNm !== undefined) {
    if (!(Number.isFinite(meta.pixelSizeNm) && meta.pixelSizeNm > 0)) {
      throw new RangeError(`${fn}: pixelSizeNm must be a positive number, got ${meta.pixelSizeNm}`);
    }
    lines.push('unit=nm');
  }
  if (Number.isFinite(min) && Number.isFinite(max)) lines.push(`min=${min}`, `max=${max}`);
  let desc = lines.join('\n') + '\n';
  if (meta?.description) desc += meta.description.endsWith('\n') ? meta.description : meta.description + '\n';

  const entries: Entry[] = [
    { tag: 256, type: T_LONG, count: 1, value: width },
    { tag: 257, type: T_LONG, count: 1, value: height },
    { tag: 258, type: T_SHORT, count: 1, value: bits },
    { tag: 259, type: T_SHORT, count: 1, value: 1 }, // no compression
    { tag: 262, type: T_SHORT, count: 1, value: 1 }, // BlackIsZero
    { tag: 270, type: T_ASCII, count: desc.length + 1, bytes: asciiBytes(desc) },
    { tag: 273, type: T_LONG, count: 1, value: 0 }, // StripOffsets, patched below
    { tag: 277, type: T_SHORT, count: 1, value: 1 },
    { tag: 278, type: T_LONG, count: 1, value: height },
    { tag: 279, type: T_LONG, count: 1, value: pixels.length },
  ];
  if (meta?.pixelSizeNm !== undefined) {
    const perNm = 1 / meta.pixelSizeNm;
    entries.push({ tag: 282, type: T_RATIONAL, count: 1, bytes: rationalBytes(perNm) });
    entries.push({ tag: 283, type: T_RATIONAL, count: 1, bytes: rationalBytes(perNm) });
  }
  entries.push({ tag: 284, type: T_SHORT, count: 1, value: 1 }); // chunky
  if (meta?.pixelSizeNm !== undefined) entries.push({ tag: 296, type: T_SHORT, count: 1, value: 1 }); // unit in description
  entries.push({ tag: 339, type: T_SHORT, count: 1, value: sampleFormat });

  const ifdOffset = 8;
  const ifdSize = 2 + entries.length * 12 + 4;
  let extra = ifdOffset + ifdSize;
  const outOfLine: { at: number; bytes: Uint8Array }[] = [];
  for (const e of entries) {
    if (e.bytes && e.bytes.length > 4) {
      outOfLine.push({ at: extra, bytes: e.bytes });
      e.value = extra;
      extra += e.bytes.length + (e.bytes.length & 1); // word alignment
    }
  }
  const dataOffset = Math.ceil(extra / 16) * 16;
  const total = dataOffset + pixels.length;
  if (total > 0xffffffff) throw new RangeError(`${fn}: ${width} x ${height} image exceeds the 4 GiB classic TIFF limit`);
  entries.find((e) => e.tag === 273)!.value = dataOffset;

  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0], 0); // "II", 42
  dv.setUint32(4, ifdOffset, true);
  dv.setUint16(ifdOffset, entries.length, true);
  entries.forEach((e, i) => {
    const p = ifdOffset + 2 + i * 12;
    dv.setUint16(p, e.tag, true);
    dv.setUint16(p + 2, e.type, true);
    dv.setUint32(p + 4, e.count, true);
    if (e.bytes && e.bytes.length <= 4) out.set(e.bytes, p + 8);
    else if (e.type === T_SHORT) dv.setUint16(p + 8, e.value!, true);
    else dv.setUint32(p + 8, e.value!, true);
  });
  dv.setUint32(ifdOffset + 2 + entries.length * 12, 0, true); // no next IFD
  for (const o of outOfLine) out.set(o.bytes, o.at);
  out.set(pixels, dataOffset);
  return out;
}

function leBytes(data: TiffGreyArray): Uint8Array {
  const host = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return host;
  const b = host.slice();
  const s = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < b.length; i += s) b.subarray(i, i + s).reverse();
  return b;
}

function checkImage(fn: string, n: number, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${fn}: width and height must be positive integers, got ${width} x ${height}`);
  }
  if (n !== width * height) throw new RangeError(`${fn}: data has ${n} pixels but ${width} x ${height} = ${width * height}`);
}

function finiteRange(data: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * Encodes a 32-bit float greyscale TIFF (baseline, uncompressed, little-endian, one strip,
 * SampleFormat = 3). With `meta.pixelSizeNm` the pixel size is stored ImageJ-style (ImageDescription
 * `unit=nm` + X/YResolution in pixels per nm), which ImageJ/Fiji and Python's tifffile read.
 */
export function encodeTiffFloat32(data: Float32Array, width: number, height: number, meta?: TiffMeta): Uint8Array {
  checkImage('encodeTiffFloat32', data.length, width, height);
  const [lo, hi] = finiteRange(data);
  return encodeTiff('encodeTiffFloat32', leBytes(data), 32, 3, width, height, lo, hi, meta);
}

/** Encodes a 16-bit unsigned greyscale TIFF; calibration as in {@link encodeTiffFloat32}. */
export function encodeTiffUint16(data: Uint16Array, width: number, height: number, meta?: TiffMeta): Uint8Array {
  checkImage('encodeTiffUint16', data.length, width, height);
  const [lo, hi] = finiteRange(data);
  return encodeTiff('encodeTiffUint16', leBytes(data), 16, 1, width, height, lo, hi, meta);
}

/** Typed arrays {@link encodeTiffGrey} accepts. */
export type TiffGreyArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/**
 * Encodes any single-channel typed array as a greyscale TIFF (8/16/32-bit integers, signed or not,
 * 32/64-bit floats); calibration as in {@link encodeTiffFloat32}.
 */
export function encodeTiffGrey(data: TiffGreyArray, width: number, height: number, meta?: TiffMeta): Uint8Array {
  checkImage('encodeTiffGrey', data.length, width, height);
  const [lo, hi] = finiteRange(data);
  const float = data instanceof Float32Array || data instanceof Float64Array;
  const signed = data instanceof Int8Array || data instanceof Int16Array || data instanceof Int32Array;
  const bits = (data.BYTES_PER_ELEMENT * 8) as 8 | 16 | 32 | 64;
  return encodeTiff('encodeTiffGrey', leBytes(data), bits, float ? 3 : signed ? 2 : 1, width, height, lo, hi, meta);
}

/** Writes a float32 TIFF atomically. See {@link encodeTiffFloat32}. */
export function writeTiffFloat32(path: string, data: Float32Array, width: number, height: number, meta?: TiffMeta): void {
  writeFileAtomic(path, encodeTiffFloat32(data, width, height, meta));
}

/** Writes a uint16 TIFF atomically. See {@link encodeTiffUint16}. */
export function writeTiffUint16(path: string, data: Uint16Array, width: number, height: number, meta?: TiffMeta): void {
  writeFileAtomic(path, encodeTiffUint16(data, width, height, meta));
}
