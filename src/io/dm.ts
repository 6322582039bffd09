/**
 * Gatan DigitalMicrograph DM3 / DM4 reader (our own: there is no npm package for these).
 *
 * Format (from Chris Boothroyd's "Gatan DM3 file format" page and the readers in ncempy `io/dm.py`,
 * RosettaSciIO `digital_micrograph.py` and ImageJ's DM3_Reader, cross-checked on real files):
 *
 * - Header, big-endian: version (u4: 3 or 4), root length (DM3 u4, DM4 u8), byte order of the
 *   tag *values* (u4: 1 = little-endian, 0 = big-endian). Structure fields are always big-endian.
 * - A tag group: sorted (u1), open (u1), number of entries (DM3 u4, DM4 u8). Each entry: kind (u1:
 *   20 = group, 21 = data), label length (u2) and label (Latin-1), in DM4 an extra u8 with the entry's
 *   byte size, then a nested group or a data tag.
 * - A data tag: `%%%%`, info length n (DM3 u4, DM4 u8), n info words (same width), then the value.
 *   info[0] is the type: 2 i2, 3 i4, 4 u2, 5 u4, 6 f4, 7 f8, 8 bool, 9 char, 10 i1, 11 i8, 12 u8;
 *   18 string [18, length]; 15 struct [15, nameLen, nFields, (fieldNameLen, fieldType)×nFields];
 *   20 array [20, elemType, count] or, for arrays of structs, [20, 15, nameLen, nFields, pairs…, count].
 * - Images live in `ImageList`, one unnamed group per image (the first is usually the thumbnail):
 *   `ImageData.Data` (array), `DataType`, `Dimensions` (x first), `Calibrations.Dimension[i]`
 *   `{Origin, Scale, Units}`, and `ImageTags` with the acquisition metadata.
 *
 * Robustness: every read is bounds-checked against the file, entry counts are bounded by the bytes
 * left, nesting depth is limited, and large arrays are recorded by offset instead of decoded.
 */
import { ImageFormatError } from './errors.js';
import { copyElements, pixelSizeOf, DTYPE_SIZE, type ImageDtype, type MicroscopeImage } from './image.js';

/** A tag group: ordered (label, value) entries; image lists use empty labels. */
export interface DmGroup {
  kind: 'group';
  entries: { label: string; value: DmValue }[];
}

/** An array kept in the file: element type code, count and absolute byte offset. */
export interface DmArray {
  kind: 'array';
  elemType: number;
  /** Field types when the elements are structs. */
  fieldTypes?: number[];
  count: number;
  offset: number;
  byteLength: number;
}

/** A tag value. Structs decode to arrays of numbers; int64 values become (possibly rounded) numbers. */
export type DmValue = number | boolean | string | number[] | DmArray | DmGroup;

/** The parsed tag tree of a DM file. */
export interface DmFile {
  version: 3 | 4;
  /** Byte order of tag values and image data. */
  littleEndian: boolean;
  root: DmGroup;
  bytes: Uint8Array;
}

const SIMPLE_SIZE: Record<number, number> = { 2: 2, 3: 4, 4: 2, 5: 4, 6: 4, 7: 8, 8: 1, 9: 1, 10: 1, 11: 8, 12: 8 };
const TYPE_NAME: Record<number, string> = {
  2: 'int16', 3: 'int32', 4: 'uint16', 5: 'uint32', 6: 'float32', 7: 'float64', 8: 'bool', 9: 'char', 10: 'int8', 11: 'int64', 12: 'uint64', 15: 'struct', 18: 'string', 20: 'array',
};
const MAX_DEPTH = 64;
const MAX_INFO = 4096;

class Cursor {
  pos = 0;
  readonly dv: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
    readonly format: string,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(why: string): never {
    throw new ImageFormatError(this.file, this.format, `${why} (at byte ${this.pos})`);
  }
  get left(): number {
    return this.bytes.length - this.pos;
  }
  need(n: number, what: string): void {
    if (!(n >= 0) || n > this.left) this.fail(`${what} needs ${n} bytes but only ${this.left} are left`);
  }
  u8(): number {
    this.need(1, 'a byte');
    return this.bytes[this.pos++]!;
  }
  u16(): number {
    this.need(2, 'a u2');
    const v = this.dv.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4, 'a u4');
    const v = this.dv.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8, 'a u8');
    const hi = this.dv.getUint32(this.pos);
    const lo = this.dv.getUint32(this.pos + 4);
    this.pos += 8;
    if (hi > 0x1fffff) this.fail(`64-bit length ${hi} * 2^32 + ${lo} is out of range`);
    return hi * 0x100000000 + lo;
  }
}

function readSimple(c: Cursor, type: number, le: boolean): number | boolean {
  const size = SIMPLE_SIZE[type];
  if (size === undefined) return c.fail(`unknown element type ${type}`);
  c.need(size, `a ${TYPE_NAME[type]} value`);
  const p = c.pos;
  const dv = c.dv;
  c.pos += size;
  switch (type) {
    case 2: return dv.getInt16(p, le);
    case 3: return dv.getInt32(p, le);
    case 4: return dv.getUint16(p, le);
    case 5: return dv.getUint32(p, le);
    case 6: return dv.getFloat32(p, le);
    case 7: return dv.getFloat64(p, le);
    case 8: return dv.getUint8(p) !== 0;
    case 9: return dv.getUint8(p);
    case 10: return dv.getInt8(p);
    case 11: return Number(dv.getBigInt64(p, le));
    default: return Number(dv.getBigUint64(p, le));
  }
}

function readDataTag(c: Cursor, version: 3 | 4, le: boolean): DmValue {
  const len = (): number => (version === 4 ? c.u64() : c.u32());
  c.need(4, 'the %%%% marker');
  if (c.bytes[c.pos] !== 0x25 || c.bytes[c.pos + 1] !== 0x25 || c.bytes[c.pos + 2] !== 0x25 || c.bytes[c.pos + 3] !== 0x25) {
    c.fail('data tag without the %%%% marker');
  }
  c.pos += 4;
  const n = len();
  if (n < 1 || n > MAX_INFO || n * (version === 4 ? 8 : 4) > c.left) c.fail(`implausible tag info length ${n}`);
  const info: number[] = [];
  for (let i = 0; i < n; i++) info.push(len());
  const t = info[0]!;
  if (SIMPLE_SIZE[t] !== undefined) {
    if (n !== 1) c.fail(`simple type ${t} with ${n} info words`);
    return readSimple(c, t, le);
  }
  if (t === 18) {
    const chars = info[1] ?? c.fail('string tag without a length');
    c.need(chars * 2, `a string of ${chars} characters`);
    const s = utf16(c.bytes.subarray(c.pos, c.pos + chars * 2), le);
    c.pos += chars * 2;
    return s;
  }
  if (t === 15) {
    const fields = structFields(c, info, 1);
    return fields.map((ft) => Number(readSimple(c, ft, le)));
  }
  if (t === 20) {
    const elem = info[1] ?? c.fail('array tag without an element type');
    let fieldTypes: number[] | undefined;
    let count: number;
    let size: number;
    if (elem === 15) {
      fieldTypes = structFields(c, info, 2);
      count = info[4 + 2 * fieldTypes.length] ?? c.fail('array of structs without a count');
      size = fieldTypes.reduce((a, f) => a + SIMPLE_SIZE[f]!, 0);
    } else {
      size = SIMPLE_SIZE[elem] ?? c.fail(`array of unsupported element type ${elem}`);
      count = info[2] ?? c.fail('array tag without a count');
    }
    const byteLength = count * size;
    c.need(byteLength, `an array of ${count} ${TYPE_NAME[elem] ?? elem}`);
    const arr: DmArray = { kind: 'array', elemType: elem, count, offset: c.pos, byteLength };
    if (fieldTypes) arr.fieldTypes = fieldTypes;
    c.pos += byteLength;
    return arr;
  }
  return c.fail(`unsupported tag type ${t}`);
}

/** Field types of a struct whose definition starts at info[at] = name length. */
function structFields(c: Cursor, info: number[], at: number): number[] {
  const nFields = info[at + 1];
  if (nFields === undefined || nFields > (info.length - at - 2) / 2) c.fail('struct definition runs past its info words');
  const out: number[] = [];
  for (let i = 0; i < nFields!; i++) {
    const ft = info[at + 3 + 2 * i]!;
    if (SIMPLE_SIZE[ft] === undefined) c.fail(`struct field of unsupported type ${ft}`);
    out.push(ft);
  }
  return out;
}

function utf16(b: Uint8Array, le: boolean): string {
  let s = '';
  for (let i = 0; i + 1 < b.length; i += 2) {
    const code = le ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!;
    if (code === 0) break;
    s += String.fromCharCode(code);
  }
  return s;
}

function readGroup(c: Cursor, version: 3 | 4, le: boolean, depth: number): DmGroup {
  if (depth > MAX_DEPTH) c.fail(`tag groups nested deeper than ${MAX_DEPTH}`);
  c.u8(); // sorted
  c.u8(); // open
  const n = version === 4 ? c.u64() : c.u32();
  // Each entry takes at least 3 bytes, so a larger count cannot be genuine.
  if (n * 3 > c.left) c.fail(`tag group claims ${n} entries but only ${c.left} bytes are left`);
  const group: DmGroup = { kind: 'group', entries: [] };
  for (let i = 0; i < n; i++) {
    const kind = c.u8();
    if (kind === 0 && version === 3) break; // some writers end early with a zero byte
    const labelLen = c.u16();
    c.need(labelLen, 'a tag label');
    let label = '';
    for (let k = 0; k < labelLen; k++) label += String.fromCharCode(c.bytes[c.pos + k]!);
    c.pos += labelLen;
    if (version === 4) c.u64(); // entry size; not needed when parsing sequentially
    if (kind === 20) group.entries.push({ label, value: readGroup(c, version, le, depth + 1) });
    else if (kind === 21) group.entries.push({ label, value: readDataTag(c, version, le) });
    else c.fail(`unknown tag entry kind ${kind} (expected 20 = group or 21 = data)`);
  }
  return group;
}

/**
 * Parses the tag tree of DM3/DM4 bytes. Large arrays (image data) are returned as
 * {@link DmArray} references into `bytes`. Throws {@link ImageFormatError} on corrupt input.
 */
export function parseDm(bytes: Uint8Array, file = '<bytes>'): DmFile {
  const c = new Cursor(bytes, file, 'dm3/dm4');
  if (bytes.length < 16) c.fail(`file is only ${bytes.length} bytes`);
  const v = c.u32();
  if (v !== 3 && v !== 4) c.fail(`version ${v} in the header (expected 3 or 4)`);
  const version: 3 | 4 = v === 3 ? 3 : 4;
  const fmt = version === 3 ? 'dm3' : 'dm4';
  const c2 = new Cursor(bytes, file, fmt);
  c2.pos = 4;
  if (version === 4) c2.u64();
  else c2.u32();
  const order = c2.u32();
  if (order > 1) c2.fail(`byte-order flag ${order} (expected 0 or 1)`);
  const le = order === 1;
  const root = readGroup(c2, version, le, 0);
  return { version, littleEndian: le, root, bytes };
}

/** The value of entry `label` in `g` (first match), or undefined. */
export function dmGet(g: DmValue | undefined, label: string): DmValue | undefined {
  if (!g || typeof g !== 'object' || Array.isArray(g) || g.kind !== 'group') return undefined;
  return g.entries.find((e) => e.label === label)?.value;
}

/** Follows a path of labels (numbers index unnamed entries). */
export function dmPath(g: DmValue | undefined, ...path: (string | number)[]): DmValue | undefined {
  let v = g;
  for (const p of path) {
    if (typeof p === 'number') {
      if (!v || typeof v !== 'object' || Array.isArray(v) || v.kind !== 'group') return undefined;
      v = v.entries[p]?.value;
    } else v = dmGet(v, p);
  }
  return v;
}

function isGroup(v: DmValue | undefined): v is DmGroup {
  return !!v && typeof v === 'object' && !Array.isArray(v) && v.kind === 'group';
}
function isArray(v: DmValue | undefined): v is DmArray {
  return !!v && typeof v === 'object' && !Array.isArray(v) && v.kind === 'array';
}

/** A u2 array as text (DM stores most strings that way), or undefined when `v` is not one. */
export function dmText(dm: DmFile, v: DmValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (!isArray(v) || (v.elemType !== 4 && v.elemType !== 9 && v.elemType !== 10) || v.count > 65536) return undefined;
  const b = dm.bytes.subarray(v.offset, v.offset + v.byteLength);
  if (v.elemType === 4) return utf16(b, dm.littleEndian);
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return s.replace(/\0+$/, '');
}

function num(v: DmValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

/**
 * The tag tree as plain JSON: groups with only unnamed entries become arrays, u2 arrays of up to
 * 64 Ki characters become strings, numeric arrays of up to 64 elements become number lists, larger
 * arrays a `{ array: type, count }` summary.
 */
export function dmToPlain(dm: DmFile, v: DmValue = dm.root): unknown {
  if (isGroup(v)) {
    if (v.entries.length > 0 && v.entries.every((e) => e.label === '')) return v.entries.map((e) => dmToPlain(dm, e.value));
    const o: Record<string, unknown> = {};
    for (const e of v.entries) {
      let k = e.label === '' ? '#' : e.label;
      for (let i = 2; k in o; i++) k = `${e.label} #${i}`;
      o[k] = dmToPlain(dm, e.value);
    }
    return o;
  }
  if (isArray(v)) {
    if (v.elemType === 4 && v.count <= 65536) return dmText(dm, v);
    if (!v.fieldTypes && v.count <= 64) {
      const c = new Cursor(dm.bytes, '', '');
      c.pos = v.offset;
      const out: (number | boolean)[] = [];
      for (let i = 0; i < v.count; i++) out.push(readSimple(c, v.elemType, dm.littleEndian));
      return out;
    }
    return { array: v.fieldTypes ? `struct(${v.fieldTypes.map((f) => TYPE_NAME[f]).join(',')})` : TYPE_NAME[v.elemType], count: v.count };
  }
  return v;
}

/** DM image DataType codes → our dtypes; complex and RGB types are listed to name them in errors. */
const DATA_TYPES: Record<number, ImageDtype | string> = {
  1: 'int16',
  2: 'float32',
  3: 'complex64 (unsupported)',
  5: 'packed complex (unsupported)',
  6: 'uint8',
  7: 'int32',
  8: 'RGB (unsupported)',
  9: 'int8',
  10: 'uint16',
  11: 'uint32',
  12: 'float64',
  13: 'complex128 (unsupported)',
  14: 'uint8', // binary mask
  23: 'RGBA (unsupported)',
  27: 'packed complex (unsupported)',
};
/** RGB/RGBA entries: usually the file's thumbnail, never the data the user means. */
const COLOUR_TYPES = new Set([8, 23]);
interface DmImageEntry {
  index: number;
  data: DmArray;
  dims: number[];
  dataType: number;
  imageData: DmGroup;
  entry: DmGroup;
}

function imageEntries(dm: DmFile): DmImageEntry[] {
  const list = dmGet(dm.root, 'ImageList');
  if (!isGroup(list)) return [];
  const out: DmImageEntry[] = [];
  list.entries.forEach((e, index) => {
    const imageData = dmGet(e.value, 'ImageData');
    const data = dmGet(imageData, 'Data');
    const dimsG = dmGet(imageData, 'Dimensions');
    const dataType = num(dmGet(imageData, 'DataType'));
    if (!isGroup(e.value) || !isGroup(imageData) || !isArray(data) || !isGroup(dimsG) || dataType === undefined) return;
    const dims = dimsG.entries.map((d) => num(d.value as DmValue) ?? NaN);
    out.push({ index, data, dims, dataType, imageData, entry: e.value });
  });
  return out;
}

/** DataBar dates are written `M/D/YYYY` (US locale, as RosettaSciIO assumes); others kept as is. */
function isoDate(s: string): string {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s.trim());
  return m ? `${m[3]}-${m[1]!.padStart(2, '0')}-${m[2]!.padStart(2, '0')}` : s;
}

/** `4:26:37 PM` → `16:26:37`; other forms kept as is. */
function isoTime(s: string): string {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$/.exec(s.trim());
  if (!m) return s;
  let h = Number(m[1]);
  if (m[4]) h = (h % 12) + (/p/i.test(m[4]) ? 12 : 0);
  return `${String(h).padStart(2, '0')}:${m[2]}:${m[3] ?? '00'}`;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * Reads the main image of a DM3/DM4 file: the largest `ImageList` entry (ties: the last), or
 * entry `opts.index` of the list. See the module comment for the format.
 */
export function decodeDm(bytes: Uint8Array, file = '<bytes>', opts: { index?: number } = {}): MicroscopeImage {
  const dm = parseDm(bytes, file);
  const format = dm.version === 3 ? 'dm3' : 'dm4';
  const fail = (why: string): never => {
    throw new ImageFormatError(file, format, why);
  };
  const entries = imageEntries(dm);
  if (entries.length === 0) fail('no image with ImageData.Data, Dimensions and DataType in ImageList');
  let chosen: DmImageEntry | undefined;
  if (opts.index !== undefined) {
    chosen = entries.find((e) => e.index === opts.index);
    if (!chosen) fail(`ImageList has no image at index ${opts.index} (images at ${entries.map((e) => e.index).join(', ')})`);
  } else {
    // The thumbnail is usually an RGBA entry (often larger than a small scan), so pick the largest
    // greyscale image; ties go to the later entry.
    // Without a real-valued greyscale image, blame the main (non-thumbnail) image's own type, e.g.
    // a complex FFT, not the RGBA thumbnail.
    const usable = entries.filter((e) => (DATA_TYPES[e.dataType] ?? '') in DTYPE_SIZE);
    const notColour = entries.filter((e) => !COLOUR_TYPES.has(e.dataType));
    const pool = usable.length > 0 ? usable : notColour.length > 0 ? notColour : entries;
    for (const e of pool) if (!chosen || e.data.byteLength >= chosen.data.byteLength) chosen = e;
  }
  const img = chosen!;
  const dtype = DATA_TYPES[img.dataType];
  if (dtype === undefined) fail(`image DataType ${img.dataType} is not supported`);
  if (!(dtype! in DTYPE_SIZE)) fail(`image DataType ${img.dataType} is ${dtype}; aggstem reads real-valued greyscale images only`);
  const dt = dtype as ImageDtype;
  const dims = img.dims;
  if (dims.length < 1 || dims.length > 3 || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) fail(`image Dimensions [${dims.join(', ')}]`);
  const width = dims[0]!;
  const height = dims[1] ?? 1;
  const frames = dims[2] ?? 1;
  const n = width * height * frames;
  if (n * DTYPE_SIZE[dt] !== img.data.byteLength) {
    fail(`Dimensions [${dims.join(', ')}] of ${dt} need ${n * DTYPE_SIZE[dt]} bytes but ImageData.Data holds ${img.data.byteLength}`);
  }
  const data = copyElements(bytes, img.data.offset, n, dt, dm.littleEndian);

  const calDims = dmPath(img.imageData, 'Calibrations', 'Dimension');
  const calibration = isGroup(calDims)
    ? calDims.entries.map((d) => ({
        scale: num(dmGet(d.value, 'Scale')),
        origin: num(dmGet(d.value, 'Origin')),
        units: dmText(dm, dmGet(d.value, 'Units')) ?? '',
      }))
    : [];
  const cx = calibration[0];
  const { pixelSize, pixelSizeNm } = cx?.units ? pixelSizeOf(cx.scale, cx.units) : pixelSizeOf(null, null);

  const tags = dmGet(img.entry, 'ImageTags');
  const plainTags = (dmToPlain(dm, tags ?? { kind: 'group', entries: [] }) ?? {}) as Record<string, unknown>;
  const mi = (plainTags['Microscope Info'] ?? {}) as Record<string, unknown>;
  const bar = (plainTags['DataBar'] ?? {}) as Record<string, unknown>;
  const scan = (plainTags['DigiScan'] ?? {}) as Record<string, unknown>;
  const metadata: Record<string, unknown> = {};
  const voltage = mi['Voltage'];
  if (typeof voltage === 'number' && voltage > 0) metadata.beamEnergyKv = voltage / 1000;
  // A TEM diffraction pattern reports its camera length (mm) as the "Indicated Magnification". (STEM
  // runs the imaging lenses in diffraction mode too, but there the value is the magnification and
  // the camera length has its own tag.) A STEM camera length of 0 means "not recorded".
  const scanning = /scan/i.test(str(mi['Operation Mode']) ?? '');
  const diffraction = !scanning && [mi['Imaging Mode'], mi['Operation Mode']].some((v) => typeof v === 'string' && /diffraction/i.test(v));
  if (typeof mi['STEM Camera Length'] === 'number' && mi['STEM Camera Length'] > 0) metadata.cameraLengthMm = mi['STEM Camera Length'];
  if (typeof mi['Indicated Magnification'] === 'number') {
    if (diffraction) metadata.cameraLengthMm ??= mi['Indicated Magnification'];
    else metadata.magnification = mi['Indicated Magnification'];
  }
  const session = (plainTags['Session Info'] ?? {}) as Record<string, unknown>;
  const microscope = str(mi['Microscope']) ?? str(session['Microscope']) ?? str(mi['Name']);
  if (microscope) metadata.microscope = microscope;
  if (str(mi['Operation Mode'])) metadata.operationMode = mi['Operation Mode'];
  if (str(mi['Illumination Mode'])) metadata.illuminationMode = mi['Illumination Mode'];
  // DigiScan stores the per-pixel dwell ("Sample Time") in microseconds.
  const sample = scan['Sample Time'];
  if (typeof sample === 'number' && sample > 0) metadata.dwellTimeS = sample * 1e-6;
  // A scanned image is STEM only on a transmission microscope: at ≤ 30 kV, or when the microscope or
  // the signal (cathodoluminescence) says so, it is SEM.
  const meta = (plainTags['Meta Data'] ?? {}) as Record<string, unknown>;
  const signal = str(meta['Signal']);
  if (signal) metadata.signal = signal;
  const sem = (typeof voltage === 'number' && voltage > 0 && voltage <= 30_000) || /\bSEM\b|scanning electron/i.test(microscope ?? '') || /^CL$|cathodolum/i.test(signal ?? '');
  const mode = str(mi['Operation Mode']);
  if (sem && (mode || plainTags['DigiScan'] || signal)) metadata.acquisitionMode = 'SEM';
  else if (mode) metadata.acquisitionMode = /scan/i.test(mode) ? 'STEM' : 'TEM';
  else if (plainTags['DigiScan']) metadata.acquisitionMode = 'STEM';
  const date = str(bar['Acquisition Date']);
  const time = str(bar['Acquisition Time']);
  if (date) metadata.date = isoDate(date);
  if (time) metadata.time = isoTime(time);
  const detector = str(scan['Signal Name']) ?? str(mi['Signal Name']) ?? str(bar['Signal Name']);
  if (detector) metadata.detector = detector;
  const name = dmText(dm, dmGet(img.entry, 'Name'));
  if (name) metadata.name = name;
  metadata.calibration = calibration;
  metadata.dataType = img.dataType;
  metadata.imageListIndex = img.index;
  metadata.raw = plainTags;

  const image: MicroscopeImage = {
    data,
    width,
    height,
    shape: frames > 1 ? [frames, height, width] : [height, width],
    dtype: dt,
    pixelSize,
    pixelSizeNm,
    format,
    metadata,
  };
  if (frames > 1) image.frames = frames;
  return image;
}
