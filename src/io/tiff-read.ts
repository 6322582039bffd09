/**
 * TIFF reader for greyscale microscope images.
 *
 * The IFD chain and tags are parsed here first (cycle- and bounds-checked), so that a corrupt file
 * cannot make a decoder loop over IFDs or allocate from an absurd declared size. Uncompressed
 * greyscale data (8/16/32-bit integers, 32/64-bit floats, strips or tiles) are then copied directly;
 * compressed (LZW, Deflate) and RGB data go through the `tiff` package (image-js), which does not
 * handle 32-bit integers or signed types itself (we reinterpret its unsigned output for those).
 *
 * Calibration, in this order: ImageJ ImageDescription (`ImageJ=…\nunit=nm`) with XResolution in
 * pixels per unit; FEI/Thermo SEM/FIB tags 34680/34682 (ini text, `[Scan] PixelWidth` in m); the
 * X/YResolution + ResolutionUnit tags (inch/cm) unless they hold a typical screen/print default
 * (72, 96, 150, 300, 600 dpi), which says nothing about the specimen.
 * RGB(A) images are converted to luminance (Rec. 601 weights) as float32 and flagged in the metadata.
 */
import { decode as tiffDecode } from 'tiff';
import { ImageFormatError } from './errors.js';
import { copyElements, pixelSizeOf, DTYPE_SIZE, type ImageArray, type ImageDtype, type MicroscopeImage } from './image.js';

type TagValue = number[] | string;

interface Ifd {
  offset: number;
  tags: Map<number, TagValue>;
}

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8 };
const MAX_PAGES = 100000;

function parseIfds(bytes: Uint8Array, file: string): { le: boolean; ifds: Ifd[] } {
  const fail = (why: string): never => {
    throw new ImageFormatError(file, 'tiff', why);
  };
  if (bytes.length < 8) fail(`file is only ${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const order = dv.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) fail('missing the II/MM byte-order mark');
  const le = order === 0x4949;
  const magic = dv.getUint16(2, le);
  if (magic === 43) fail('BigTIFF is not supported');
  if (magic !== 42) fail(`magic number ${magic} (expected 42)`);
  const ifds: Ifd[] = [];
  const seen = new Set<number>();
  let next = dv.getUint32(4, le);
  while (next !== 0) {
    if (seen.has(next)) fail(`IFD chain loops back to byte ${next}`);
    if (ifds.length >= MAX_PAGES) fail(`more than ${MAX_PAGES} IFDs`);
    seen.add(next);
    if (next + 2 > bytes.length) fail(`IFD offset ${next} is past the end of the file (${bytes.length} bytes)`);
    const n = dv.getUint16(next, le);
    const end = next + 2 + n * 12;
    if (end + 4 > bytes.length) fail(`IFD at ${next} with ${n} entries runs past the end of the file`);
    const tags = new Map<number, TagValue>();
    for (let i = 0; i < n; i++) {
      const p = next + 2 + i * 12;
      const tag = dv.getUint16(p, le);
      const type = dv.getUint16(p + 2, le);
      const count = dv.getUint32(p + 4, le);
      const size = TYPE_SIZE[type];
      if (size === undefined) continue; // unknown types are skipped, as the spec asks
      const len = size * count;
      const at = len <= 4 ? p + 8 : dv.getUint32(p + 8, le);
      if (at + len > bytes.length) fail(`tag ${tag} (${count} values) points past the end of the file`);
      if (type === 2) {
        let s = '';
        for (let k = 0; k < count; k++) {
          const c = bytes[at + k]!;
          if (c === 0 && k === count - 1) break;
          s += String.fromCharCode(c);
        }
        tags.set(tag, s);
      } else if (type === 1 || type === 7 || type === 6) {
        // Bytes (and UNDEFINED blobs such as ImageJ metadata) are kept only when short.
        if (count <= 4096) tags.set(tag, Array.from(type === 6 ? new Int8Array(bytes.buffer, bytes.byteOffset + at, count) : bytes.subarray(at, at + count)));
      } else {
        const vals: number[] = [];
        for (let k = 0; k < count; k++) {
          const q = at + k * size;
          switch (type) {
            case 3: vals.push(dv.getUint16(q, le)); break;
            case 4: vals.push(dv.getUint32(q, le)); break;
            case 5: vals.push(dv.getUint32(q, le) / dv.getUint32(q + 4, le)); break;
            case 8: vals.push(dv.getInt16(q, le)); break;
            case 9: vals.push(dv.getInt32(q, le)); break;
            case 10: vals.push(dv.getInt32(q, le) / dv.getInt32(q + 4, le)); break;
            case 11: vals.push(dv.getFloat32(q, le)); break;
            case 12: vals.push(dv.getFloat64(q, le)); break;
            case 16: vals.push(Number(dv.getBigUint64(q, le))); break;
          }
        }
        tags.set(tag, vals);
      }
    }
    ifds.push({ offset: next, tags });
    next = dv.getUint32(end, le);
  }
  if (ifds.length === 0) fail('no image file directory');
  return { le, ifds };
}

function nums(ifd: Ifd, tag: number): number[] | undefined {
  const v = ifd.tags.get(tag);
  return Array.isArray(v) ? v : undefined;
}
function first(ifd: Ifd, tag: number, fallback: number): number {
  return nums(ifd, tag)?.[0] ?? fallback;
}
function text(ifd: Ifd, tag: number): string | undefined {
  const v = ifd.tags.get(tag);
  return typeof v === 'string' ? v : undefined;
}

/** `key=value` lines of an ImageJ ImageDescription (with `\uXXXX` escapes undone). */
function parseImageJ(desc: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of desc.split('\n')) {
    const m = /^([^=]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!.trim()] = m[2]!.trim().replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return out;
}

/** FEI/Thermo ini text: `[Section]` headers and `Key=Value` lines. */
function parseIni(s: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let sec = '';
  for (const raw of s.split(/\r?\n/)) {
    const line = raw.trim();
    const h = /^\[(.+)\]$/.exec(line);
    if (h) {
      sec = h[1]!;
      out[sec] ??= {};
      continue;
    }
    const kv = /^([^=]+)=(.*)$/.exec(line);
    if (kv) (out[sec] ??= {})[kv[1]!.trim()] = kv[2]!.trim();
  }
  return out;
}

function positive(s: string | undefined): number | undefined {
  const v = s === undefined ? NaN : Number(s);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

const DEFAULT_DPI = new Set([72, 96, 150, 300, 600]);

function dtypeOf(bits: number, sampleFormat: number): ImageDtype | undefined {
  if (sampleFormat === 3) return bits === 32 ? 'float32' : bits === 64 ? 'float64' : undefined;
  const signed = sampleFormat === 2;
  if (bits === 8) return signed ? 'int8' : 'uint8';
  if (bits === 16) return signed ? 'int16' : 'uint16';
  if (bits === 32) return signed ? 'int32' : 'uint32';
  return undefined;
}

/**
 * Reads page `opts.index` (default 0) of a TIFF as a greyscale image with its calibration. See the
 * module comment. Throws {@link ImageFormatError} for corrupt or unsupported files.
 */
export function decodeTiff(bytes: Uint8Array, file = '<bytes>', opts: { index?: number } = {}): MicroscopeImage {
  const fail = (why: string): never => {
    throw new ImageFormatError(file, 'tiff', why);
  };
  const { le, ifds } = parseIfds(bytes, file);
  const index = opts.index ?? 0;
  const ifd = ifds[index] ?? fail(`no page ${index}; the file has ${ifds.length}`);
  const width = first(ifd, 256, 0);
  const height = first(ifd, 257, 0);
  const spp = first(ifd, 277, 1);
  const bits = first(ifd, 258, 1);
  const sampleFormat = first(ifd, 339, 1);
  const compression = first(ifd, 259, 1);
  const photometric = first(ifd, 262, 1);
  const planar = first(ifd, 284, 1);
  if (width < 1 || height < 1) fail(`image size ${width} x ${height}`);
  if (spp < 1 || spp > 4) fail(`${spp} samples per pixel (expected 1 for greyscale, 3 or 4 for RGB)`);
  const dtype = dtypeOf(bits, sampleFormat) ?? fail(`${bits}-bit samples of SampleFormat ${sampleFormat} are not supported`);
  const size = DTYPE_SIZE[dtype];
  const n = width * height;
  const rawBytes = n * spp * size;
  const tiled = ifd.tags.has(322);
  const offsets = nums(ifd, tiled ? 324 : 273) ?? fail(`no ${tiled ? 'TileOffsets' : 'StripOffsets'} tag`);
  const counts = nums(ifd, tiled ? 325 : 279);
  if (counts && counts.length !== offsets.length) fail('offset and byte-count tags differ in length');
  let stored = 0;
  for (let i = 0; i < offsets.length; i++) {
    const c = counts?.[i] ?? 0;
    if (offsets[i]! + c > bytes.length) fail(`${tiled ? 'tile' : 'strip'} ${i} lies past the end of the file`);
    stored += c;
  }
  // Compressed data can legitimately expand, but not beyond what Deflate/LZW can produce from the
  // stored bytes; uncompressed data must be all there.
  if (compression === 1 ? counts !== undefined && stored < rawBytes : rawBytes > 1100 * Math.max(stored, 1)) {
    fail(`${width} x ${height} x ${spp} ${dtype} needs ${rawBytes} bytes but the file stores ${stored}`);
  }
  if (photometric === 3) fail('palette-colour images are not supported');
  if (photometric !== 0 && photometric !== 1 && photometric !== 2) fail(`photometric interpretation ${photometric} is not supported`);

  let data: ImageArray;
  let outType: ImageDtype = dtype;
  const meta: Record<string, unknown> = {};
  if (compression === 1 && spp === 1) {
    data = readUncompressed(bytes, ifd, le, dtype, width, height, tiled, offsets, fail);
    if (photometric === 0 && dtype.startsWith('uint')) {
      const max = 2 ** bits - 1;
      for (let i = 0; i < data.length; i++) data[i] = max - data[i]!;
    }
  } else {
    if (planar !== 1 && spp > 1) fail('planar (non-interleaved) RGB is not supported');
    let decoded;
    try {
      decoded = tiffDecode(bytes, { pages: [index] })[0];
    } catch (e) {
      return fail((e as Error).message);
    }
    if (!decoded || !decoded.data || decoded.data.length !== n * spp) fail(`decoder returned ${decoded?.data?.length ?? 0} samples for ${width} x ${height} x ${spp}`);
    let d = decoded!.data as ImageArray;
    // The decoder returns unsigned arrays for integer data; reinterpret the bits for signed types.
    if (dtype === 'int8') d = new Int8Array(d.buffer, d.byteOffset, d.length);
    else if (dtype === 'int16') d = new Int16Array(d.buffer, d.byteOffset, d.length);
    if (spp === 1) data = d;
    else {
      const lum = new Float32Array(n);
      for (let i = 0; i < n; i++) lum[i] = 0.299 * d[i * spp]! + 0.587 * d[i * spp + 1]! + 0.114 * d[i * spp + 2]!;
      data = lum;
      outType = 'float32';
      meta.convertedFromRgb = true;
      meta.note = `RGB image converted to luminance (0.299 R + 0.587 G + 0.114 B); burnt-in annotations are part of the data`;
    }
  }

  // Calibration.
  const desc = text(ifd, 270);
  const xres = nums(ifd, 282)?.[0];
  const resUnit = first(ifd, 296, 2);
  let ps = pixelSizeOf(null, null);
  let source: string | undefined;
  if (desc?.startsWith('ImageJ=')) {
    const ij = parseImageJ(desc);
    meta.imagej = ij;
    if (ij.unit && xres && xres > 0 && Number.isFinite(xres)) {
      ps = pixelSizeOf(1 / xres, ij.unit === 'micron' ? 'µm' : ij.unit);
      source = 'imagej';
    }
  }
  const feiText = text(ifd, 34682) ?? text(ifd, 34680);
  if (feiText) {
    const fei = parseIni(feiText);
    meta.fei = fei;
    const pw = positive(fei['Scan']?.['PixelWidth']) ?? positive(fei['EScan']?.['PixelWidth']);
    if (pw && !source) {
      ps = pixelSizeOf(pw, 'm');
      source = 'fei';
    }
    const hv = positive(fei['Beam']?.['HV']) ?? positive(fei['EBeam']?.['HV']);
    if (hv) meta.beamEnergyKv = hv / 1000;
    const dwell = positive(fei['Scan']?.['Dwelltime']) ?? positive(fei['EScan']?.['Dwell']);
    if (dwell) meta.dwellTimeS = dwell;
    const sys = fei['System']?.['SystemType'] ?? fei['System']?.['Type'];
    if (sys) meta.microscope = sys;
    const det = fei['Detectors']?.['Name'] ?? fei['Detectors']?.['Mode'];
    if (det) meta.detector = det;
    const date = fei['User']?.['Date'];
    const time = fei['User']?.['Time'];
    if (date) meta.date = date;
    if (time) meta.time = time;
  }
  if (!source && xres && xres > 0 && Number.isFinite(xres) && (resUnit === 2 || resUnit === 3)) {
    const dpi = resUnit === 2 ? xres : xres * 2.54;
    if (!DEFAULT_DPI.has(Math.round(dpi * 1000) / 1000)) {
      ps = pixelSizeOf(1 / xres, resUnit === 2 ? 'inch' : 'cm');
      source = 'resolution-tags';
    }
  }
  if (source) meta.pixelSizeSource = source;
  if (desc && !desc.startsWith('ImageJ=')) meta.description = desc;
  meta.pages = ifds.length;
  meta.page = index;
  meta.raw = {
    bitsPerSample: bits, sampleFormat, samplesPerPixel: spp, compression, photometric, tiled,
    xResolution: xres, yResolution: nums(ifd, 283)?.[0], resolutionUnit: resUnit, software: text(ifd, 305), dateTime: text(ifd, 306),
  };
  return { data, width, height, shape: [height, width], dtype: outType, pixelSize: ps.pixelSize, pixelSizeNm: ps.pixelSizeNm, format: 'tiff', metadata: meta };
}

function readUncompressed(
  bytes: Uint8Array,
  ifd: Ifd,
  le: boolean,
  dtype: ImageDtype,
  width: number,
  height: number,
  tiled: boolean,
  offsets: number[],
  fail: (why: string) => never,
): ImageArray {
  const size = DTYPE_SIZE[dtype];
  if (!tiled) {
    const rowsPerStrip = Math.min(first(ifd, 278, height), height) || height;
    const rowBytes = width * size;
    const out = new Uint8Array(width * height * size);
    let row = 0;
    for (let s = 0; s < offsets.length && row < height; s++) {
      const rows = Math.min(rowsPerStrip, height - row);
      const len = rows * rowBytes;
      if (offsets[s]! + len > bytes.length) fail(`strip ${s} lies past the end of the file`);
      out.set(bytes.subarray(offsets[s]!, offsets[s]! + len), row * rowBytes);
      row += rows;
    }
    if (row < height) fail(`strips hold ${row} of ${height} rows`);
    return copyElements(out, 0, width * height, dtype, le);
  }
  const tw = first(ifd, 322, 0);
  const th = first(ifd, 323, 0);
  if (tw < 1 || th < 1) fail(`tile size ${tw} x ${th}`);
  const across = Math.ceil(width / tw);
  const down = Math.ceil(height / th);
  if (offsets.length < across * down) fail(`${offsets.length} tiles for a ${across} x ${down} grid`);
  const out = new Uint8Array(width * height * size);
  for (let ty = 0; ty < down; ty++) {
    for (let tx = 0; tx < across; tx++) {
      const base = offsets[ty * across + tx]!;
      if (base + tw * th * size > bytes.length) fail(`tile ${ty * across + tx} lies past the end of the file`);
      const cols = Math.min(tw, width - tx * tw);
      for (let r = 0; r < th && ty * th + r < height; r++) {
        const src = base + r * tw * size;
        out.set(bytes.subarray(src, src + cols * size), ((ty * th + r) * width + tx * tw) * size);
      }
    }
  }
  return copyElements(out, 0, width * height, dtype, le);
}
