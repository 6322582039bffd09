/** The common result of every image reader, and unit handling shared by them. */

/** Element types of image data. */
export type ImageDtype = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

/** File formats `readImage` understands. */
export type ImageFormat = 'dm3' | 'dm4' | 'mrc' | 'emd' | 'emd-velox' | 'tiff' | 'png' | 'npy';

/** Typed arrays image data come in. */
export type ImageArray = Float32Array | Float64Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/** A pixel size as stored in the file (unit as written there), or unknown. */
export type PixelSize = { value: number; unit: string } | { value: null; unit: 'unknown' };

/** An image read from a microscope or aggstem file. */
export interface MicroscopeImage {
  /** Pixels, row-major: `data[(frame * height + row) * width + col]`. */
  data: ImageArray;
  width: number;
  height: number;
  /** Number of frames for stacks (shape then is `[frames, height, width]`). */
  frames?: number;
  /** Row-major shape: `[height, width]` or `[frames, height, width]`. */
  shape: number[];
  dtype: ImageDtype;
  /** Pixel size along x, in the file's own unit. */
  pixelSize: PixelSize;
  /** Pixel size along x in nm, when the file's unit is a length; otherwise null. */
  pixelSizeNm: number | null;
  format: ImageFormat;
  /**
   * Key facts when the file records them (`beamEnergyKv`, `dwellTimeS`, `cameraLengthMm`,
   * `magnification`, `microscope`, `date`, `time`, `detector`, `acquisitionMode`, …), plus `raw`:
   * the tag tree / header where useful.
   */
  metadata: Record<string, unknown>;
}

const NM_PER_UNIT: Record<string, number> = {
  nm: 1,
  nanometer: 1,
  nanometre: 1,
  pm: 1e-3,
  '\u00C5': 0.1, // LATIN CAPITAL A WITH RING
  '\u212B': 0.1, // ANGSTROM SIGN
  A: 0.1,
  angstrom: 0.1,
  Angstrom: 0.1,
  '\u00B5m': 1e3, // MICRO SIGN
  '\u03BCm': 1e3, // GREEK SMALL LETTER MU
  um: 1e3,
  micron: 1e3,
  microns: 1e3,
  micrometer: 1e3,
  micrometre: 1e3,
  mm: 1e6,
  cm: 1e7,
  m: 1e9,
  meter: 1e9,
  metre: 1e9,
  inch: 2.54e7,
  in: 2.54e7,
};

/**
 * Nanometres per one `unit` for length units as microscope files write them (`nm`, `Å`, `A`, `µm`,
 * `um`, `pm`, `mm`, `m`, EMD-style `[n_m]`, …); null when `unit` is not a length.
 */
export function nmPerUnit(unit: string): number | null {
  let u = unit.trim();
  const emd = /^\[(.*)\]$/.exec(u); // EMD/Prismatic write units as e.g. "[n_m]"
  if (emd) u = emd[1]!.replace(/_/g, '');
  return NM_PER_UNIT[u] ?? NM_PER_UNIT[u.toLowerCase()] ?? null;
}

/** Builds the `pixelSize` / `pixelSizeNm` pair from a value and unit (unknown when the value is not positive and finite or the unit is empty). */
export function pixelSizeOf(value: number | null | undefined, unit: string | null | undefined): { pixelSize: PixelSize; pixelSizeNm: number | null } {
  if (value === null || value === undefined || !Number.isFinite(value) || value <= 0) {
    return { pixelSize: { value: null, unit: 'unknown' }, pixelSizeNm: null };
  }
  const u = (unit ?? '').trim();
  if (u === '') return { pixelSize: { value: null, unit: 'unknown' }, pixelSizeNm: null };
  const f = nmPerUnit(u);
  return { pixelSize: { value, unit: u }, pixelSizeNm: f === null ? null : value * f };
}

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Record<ImageDtype, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  float64: 8,
};

/** Typed-array constructor for each dtype. */
export const DTYPE_ARRAY: Record<ImageDtype, { new (buffer: ArrayBuffer, byteOffset?: number, length?: number): ImageArray; new (length: number): ImageArray }> = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Copies `count` elements of `dtype` starting at `offset` in `bytes` into a fresh typed array,
 * converting from the given byte order to the host's. The caller has checked the bounds.
 */
export function copyElements(bytes: Uint8Array, offset: number, count: number, dtype: ImageDtype, littleEndian: boolean): ImageArray {
  const size = DTYPE_SIZE[dtype];
  const buf = new ArrayBuffer(count * size);
  const out = new Uint8Array(buf);
  out.set(bytes.subarray(offset, offset + count * size));
  if (littleEndian !== HOST_LE && size > 1) {
    for (let i = 0; i < out.length; i += size) {
      for (let a = i, z = i + size - 1; a < z; a++, z--) {
        const t = out[a]!;
        out[a] = out[z]!;
        out[z] = t;
      }
    }
  }
  return new DTYPE_ARRAY[dtype](buf, 0, count);
}

/** Minimum, maximum and mean of finite values (NaN when there are none). */
export function imageStats(data: ArrayLike<number>): { min: number; max: number; mean: number; nonFinite: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    n++;
  }
  return n === 0 ? { min: NaN, max: NaN, mean: NaN, nonFinite: data.length } : { min, max, mean: sum / n, nonFinite: data.length - n };
}
