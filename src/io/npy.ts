/**
 * NumPy `.npy` files (format spec: numpy.lib.format, "NEP 1"). Hand-written because the format is a
 * 10-byte preamble plus a Python-literal header; the npm readers we looked at either lack writing,
 * streaming appends, or big-endian / Fortran-order reporting.
 *
 * Layout: magic `\x93NUMPY`, major, minor, header length (u16 in v1, u32 in v2/v3), then an ASCII
 * (v3: UTF-8) dict `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces
 * and ending in `\n` so that the data start is a multiple of 64 bytes; then the raw array bytes.
 */
import { closeSync, openSync, readSync, fstatSync, readFileSync } from 'node:fs';
import { atomicWriter, writeFileAtomic } from './atomic.js';
import { ImageFormatError } from './errors.js';

/** Typed arrays that `.npy` files are written from and decoded to. */
export type NpyTypedArray =
  | Float32Array
  | Float64Array
  | Uint16Array
  | Uint8Array
  | Int32Array
  | Int16Array
  | Uint32Array
  | Int8Array;

/** Element types aggstem reads and writes in `.npy` files (`bool` decodes to a Uint8Array of 0/1). */
export type NpyDtype = 'bool' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

interface DtypeInfo {
  name: NpyDtype;
  /** NumPy type code without the byte-order character, e.g. `f4`. */
  code: string;
  size: number;
  ctor: { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): NpyTypedArray; new (length: number): NpyTypedArray };
}

const DTYPES: DtypeInfo[] = [
  { name: 'bool', code: 'b1', size: 1, ctor: Uint8Array },
  { name: 'uint8', code: 'u1', size: 1, ctor: Uint8Array },
  { name: 'int8', code: 'i1', size: 1, ctor: Int8Array },
  { name: 'uint16', code: 'u2', size: 2, ctor: Uint16Array },
  { name: 'int16', code: 'i2', size: 2, ctor: Int16Array },
  { name: 'uint32', code: 'u4', size: 4, ctor: Uint32Array },
  { name: 'int32', code: 'i4', size: 4, ctor: Int32Array },
  { name: 'float32', code: 'f4', size: 4, ctor: Float32Array },
  { name: 'float64', code: 'f8', size: 8, ctor: Float64Array },
];

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function dtypeOfArray(data: NpyTypedArray): DtypeInfo {
  const info = DTYPES.find((d) => d.name !== 'bool' && data instanceof d.ctor);
  if (!info) throw new TypeError(`npy: unsupported array type ${Object.prototype.toString.call(data)}`);
  return info;
}

function dtypeByName(dtype: string): DtypeInfo {
  const clean = dtype.replace(/^[<>|=]/, '');
  const info = DTYPES.find((d) => d.name === dtype || d.code === clean);
  if (!info) {
    throw new TypeError(`npy: unsupported dtype "${dtype}"; expected one of ${DTYPES.map((d) => d.name).join(', ')}`);
  }
  return info;
}

function descrOf(info: DtypeInfo): string {
  return (info.size === 1 ? '|' : '<') + info.code;
}

function checkShape(shape: readonly number[], what: string): number {
  if (!Array.isArray(shape)) throw new TypeError(`${what}: shape must be an array of integers, got ${String(shape)}`);
  let n = 1;
  for (const s of shape) {
    if (!Number.isSafeInteger(s) || s < 0) throw new RangeError(`${what}: shape entries must be integers >= 0, got [${shape.join(', ')}]`);
    n *= s;
  }
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what}: shape [${shape.join(', ')}] has too many elements`);
  return n;
}

function shapeLiteral(shape: readonly (number | string)[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Preamble + header padded (with spaces, then `\n`) to `total` bytes, or to the next multiple of 64. */
function encodeHeader(descr: string, shape: readonly (number | string)[], total?: number): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeLiteral(shape)}, }`;
  let version = 1;
  let pre = 10;
  if (dict.length + 1 + pre > 65535) {
    version = 2;
    pre = 12;
  }
  const len = total ?? Math.ceil((pre + dict.length + 1) / 64) * 64;
  const hlen = len - pre;
  if (hlen < dict.length + 1) throw new RangeError(`npy: header does not fit in ${len} bytes`);
  const out = new Uint8Array(len);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, hlen, true);
  else dv.setUint32(8, hlen, true);
  for (let i = 0; i < hlen - 1; i++) out[pre + i] = i < dict.length ? dict.charCodeAt(i) : 0x20;
  out[len - 1] = 0x0a;
  return out;
}

/** The array's bytes in little-endian order (a view when the host is little-endian). */
function littleEndianBytes(data: NpyTypedArray): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return bytes;
  const copy = bytes.slice();
  swapBytes(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i + size <= b.length; i += size) {
    for (let a = i, z = i + size - 1; a < z; a++, z--) {
      const t = b[a]!;
      b[a] = b[z]!;
      b[z] = t;
    }
  }
}

/**
 * Encodes a typed array as an `.npy` file (format v1.0, little-endian, C order, header padded to a
 * multiple of 64 bytes). `shape` is row-major (`[height, width]` for an image, `[frames, h, w]` for a
 * stack) and its product must equal `data.length`. NumPy reads it with `np.load(path)`.
 */
export function encodeNpy(data: NpyTypedArray, shape: number[]): Uint8Array {
  const info = dtypeOfArray(data);
  const n = checkShape(shape, 'encodeNpy');
  if (n !== data.length) {
    throw new RangeError(`encodeNpy: shape [${shape.join(', ')}] has ${n} elements but data has ${data.length}`);
  }
  const header = encodeHeader(descrOf(info), shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(littleEndianBytes(data), header.length);
  return out;
}

/** Writes an `.npy` file atomically (temp file + rename). See {@link encodeNpy}. */
export function writeNpy(path: string, data: NpyTypedArray, shape: number[]): void {
  writeFileAtomic(path, encodeNpy(data, shape));
}

/** The header facts of an `.npy` file. */
export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  fortranOrder: boolean;
  littleEndian: boolean;
  /** Byte offset of the first element. */
  dataOffset: number;
  /** Bytes per element. */
  itemSize: number;
}

/** Parses the preamble + header dict; `available` is the byte count of the whole file (for the size check). */
function parseHeader(bytes: Uint8Array, available: number, file: string): NpyHeader {
  const fail = (why: string): never => {
    throw new ImageFormatError(file, 'npy', why);
  };
  if (bytes.length < 10) fail(`file is ${bytes.length} bytes, shorter than the 10-byte preamble`);
  for (let i = 0; i < 6; i++) if (bytes[i] !== MAGIC[i]) fail('missing the \\x93NUMPY magic bytes');
  const major = bytes[6]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pre: number;
  let hlen: number;
  if (major === 1) {
    pre = 10;
    hlen = dv.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated v2/v3 preamble');
    pre = 12;
    hlen = dv.getUint32(8, true);
  } else {
    return fail(`unsupported format version ${major}.${bytes[7]} (expected 1, 2 or 3)`);
  }
  if (pre + hlen > bytes.length) fail(`header length ${hlen} runs past the end of the file (${available} bytes)`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(pre, pre + hlen));
  const descrM = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  const fortranM = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descrM || !fortranM || !shapeM) return fail(`header is not a dict with descr, fortran_order and shape: ${JSON.stringify(text.slice(0, 120))}`);
  const descr = descrM[1]!;
  const order = descr[0];
  const code = /^[<>|=]/.test(descr) ? descr.slice(1) : descr;
  const info = DTYPES.find((d) => d.code === code);
  if (!info) return fail(`unsupported dtype '${descr}' (supported: b1, u1, i1, u2, i2, u4, i4, f4, f8)`);
  const littleEndian = order === '>' ? false : order === '<' || info.size === 1 ? true : HOST_LITTLE_ENDIAN;
  const parts = shapeM[1]!.split(',').map((s) => s.trim().replace(/L$/, '')).filter((s) => s.length > 0);
  const shape = parts.map((s) => (/^\d{1,15}$/.test(s) ? Number(s) : NaN));
  if (shape.some((s) => !Number.isSafeInteger(s))) fail(`bad shape (${shapeM[1]})`);
  let n = 1;
  for (const s of shape) n *= s;
  if (!Number.isSafeInteger(n)) fail(`shape (${shape.join(', ')}) has too many elements`);
  const need = n * info.size;
  const dataOffset = pre + hlen;
  if (dataOffset + need > available) {
    fail(`shape (${shape.join(', ')}) of ${info.name} needs ${need} data bytes but only ${available - dataOffset} follow the header`);
  }
  return { dtype: info.name, shape, fortranOrder: fortranM[1] === 'True', littleEndian, dataOffset, itemSize: info.size };
}

function toTypedArray(raw: Uint8Array, header: NpyHeader, n: number, mayShare: boolean): NpyTypedArray {
  const info = dtypeByName(header.dtype);
  const nbytes = n * info.size;
  const swap = header.littleEndian !== HOST_LITTLE_ENDIAN && info.size > 1;
  if (mayShare && !swap && raw.byteOffset % info.size === 0) {
    return new info.ctor(raw.buffer, raw.byteOffset, n);
  }
  // Not raw.slice(): on a Node Buffer that is a view, not a copy.
  const copy = new Uint8Array(nbytes);
  copy.set(raw.subarray(0, nbytes));
  if (swap) swapBytes(copy, info.size);
  return new info.ctor(copy.buffer, 0, n);
}

/** A decoded `.npy` array. */
export interface NpyArray {
  /** Elements in file order (row-major unless `fortranOrder`); `bool` arrays come as Uint8Array. */
  data: NpyTypedArray;
  shape: number[];
  dtype: NpyDtype;
  /** True when the file stores the array column-major; `data` is then NOT transposed. */
  fortranOrder: boolean;
}

/**
 * Decodes `.npy` bytes: format versions 1, 2 and 3, little- and big-endian (converted to host order),
 * dtypes bool/u1/i1/u2/i2/u4/i4/f4/f8. Fortran-ordered arrays are reported, not transposed. The data
 * are copied, so the result never aliases `bytes`. Throws {@link ImageFormatError} for corrupt input.
 */
export function decodeNpy(bytes: Uint8Array, file = '<bytes>'): NpyArray {
  const h = parseHeader(bytes, bytes.length, file);
  const n = h.shape.reduce((a, b) => a * b, 1);
  const data = toTypedArray(bytes.subarray(h.dataOffset, h.dataOffset + n * h.itemSize), h, n, false);
  return { data, shape: h.shape, dtype: h.dtype, fortranOrder: h.fortranOrder };
}

/** Reads an `.npy` file (see {@link decodeNpy}). */
export function readNpy(path: string): NpyArray {
  const buf = readFileOrThrow(path, 'npy');
  const h = parseHeader(buf, buf.length, path);
  const n = h.shape.reduce((a, b) => a * b, 1);
  // The file buffer is ours alone, so an aligned little-endian payload is used without copying.
  const data = toTypedArray(buf.subarray(h.dataOffset, h.dataOffset + n * h.itemSize), h, n, true);
  return { data, shape: h.shape, dtype: h.dtype, fortranOrder: h.fortranOrder };
}

/** Reads a file, turning "missing / unreadable" into an {@link ImageFormatError} that names it. */
export function readFileOrThrow(path: string, format: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ImageFormatError(path, format, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Reads only the header of an `.npy` file (shape, dtype, data offset), e.g. to size a stack. */
export function readNpyHeader(path: string): NpyHeader {
  const fd = openOrThrow(path);
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, 4096));
    readSync(fd, head, 0, head.length, 0);
    let h: NpyHeader;
    try {
      h = parseHeader(head, size, path);
    } catch (e) {
      // A header longer than 4 KiB (v2/v3 with huge shapes): read it whole.
      if (size <= 4096) throw e;
      const v1 = head[6] === 1;
      const hlen = v1 ? new DataView(head.buffer).getUint16(8, true) : new DataView(head.buffer).getUint32(8, true);
      const full = new Uint8Array(Math.min(size, (v1 ? 10 : 12) + hlen));
      readSync(fd, full, 0, full.length, 0);
      h = parseHeader(full, size, path);
    }
    return h;
  } finally {
    closeSync(fd);
  }
}

function openOrThrow(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw new ImageFormatError(path, 'npy', `cannot open the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/**
 * Reads `count` consecutive frames starting at frame `start` from a C-ordered `.npy` stack of shape
 * `[frames, ...frameShape]`, without loading the rest of the file. Returns shape `[count, ...frameShape]`.
 */
export function readNpyFrames(path: string, start: number, count: number): NpyArray {
  const h = readNpyHeader(path);
  if (h.fortranOrder) throw new ImageFormatError(path, 'npy', 'frames cannot be read from a Fortran-ordered array');
  if (h.shape.length < 1) throw new ImageFormatError(path, 'npy', 'a 0-d array has no frames');
  const frames = h.shape[0]!;
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > frames) {
    throw new RangeError(`readNpyFrames(${path}): frames ${start}..${start + count - 1} requested, the file has ${frames}`);
  }
  const per = h.shape.slice(1).reduce((a, b) => a * b, 1);
  const n = per * count;
  const raw = new Uint8Array(n * h.itemSize);
  const fd = openOrThrow(path);
  try {
    let off = 0;
    const pos = h.dataOffset + start * per * h.itemSize;
    while (off < raw.length) {
      const got = readSync(fd, raw, off, raw.length - off, pos + off);
      if (got === 0) throw new ImageFormatError(path, 'npy', 'file ended while reading frames');
      off += got;
    }
  } finally {
    closeSync(fd);
  }
  return { data: toTypedArray(raw, h, n, true), shape: [count, ...h.shape.slice(1)], dtype: h.dtype, fortranOrder: false };
}

/**
 * Streams equally-shaped frames into an `.npy` stack of shape `[count, ...frameShape]` without
 * holding them in memory. Frames go to a temp file behind a fixed-size header; `commit()` patches
 * the final count into the header, fsyncs and renames into place; `abort()` removes the temp file.
 */
export interface NpyStackWriter {
  /** Final path of the stack. */
  readonly path: string;
  readonly dtype: NpyDtype;
  readonly frameShape: readonly number[];
  /** Frames appended so far. */
  readonly count: number;
  /** Appends one frame (a typed array of the stack's dtype, or any numbers, converted). */
  append(frame: ArrayLike<number>): void;
  /** Writes the header with the final count, fsyncs and atomically renames into place. */
  commit(): void;
  /** Discards everything written so far. */
  abort(): void;
}

/**
 * Opens an appendable `.npy` stack for frames of `frameShape` (e.g. `[256, 256]`) and element type
 * `dtype` (`'float32'`, `'uint16'`, … or a NumPy code such as `'<f4'`). See {@link NpyStackWriter}.
 */
export function openNpyStack(path: string, dtype: NpyDtype | string, frameShape: number[]): NpyStackWriter {
  const info = dtypeByName(dtype);
  const perFrame = checkShape(frameShape, 'openNpyStack');
  const descr = descrOf(info);
  // Reserve room for a 20-digit count so that the final header has the same length.
  const headerLen = encodeHeader(descr, ['9'.repeat(20), ...frameShape]).length;
  const out = atomicWriter(path);
  let open = true;
  let count = 0;
  let pos = headerLen;
  const scratch = new info.ctor(perFrame);
  try {
    out.writeAt(encodeHeader(descr, [0, ...frameShape], headerLen), 0);
  } catch (e) {
    out.abort();
    throw e;
  }
  const self: NpyStackWriter = {
    path,
    dtype: info.name,
    frameShape: [...frameShape],
    get count() {
      return count;
    },
    append(frame) {
      if (!open) throw new Error(`NpyStackWriter(${path}): already committed or aborted`);
      if (frame.length !== perFrame) {
        throw new RangeError(`NpyStackWriter(${path}): frame has ${frame.length} elements, expected ${perFrame} ([${frameShape.join(', ')}])`);
      }
      let arr: NpyTypedArray;
      if (frame instanceof info.ctor && !(info.name === 'bool')) arr = frame as NpyTypedArray;
      else {
        for (let i = 0; i < perFrame; i++) scratch[i] = info.name === 'bool' ? (frame[i] ? 1 : 0) : frame[i]!;
        arr = scratch;
      }
      const b = littleEndianBytes(arr);
      out.writeAt(b, pos);
      pos += b.length;
      count++;
    },
    commit() {
      if (!open) throw new Error(`NpyStackWriter(${path}): already committed or aborted`);
      out.writeAt(encodeHeader(descr, [count, ...frameShape], headerLen), 0);
      out.commit();
      open = false;
    },
    abort() {
      out.abort();
      open = false;
    },
  };
  return self;
}
