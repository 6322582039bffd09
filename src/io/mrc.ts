/**
 * MRC / MRC2014 reader (ours: no npm package reads MRC without a large wasm toolkit).
 *
 * Layout (MRC2014, Cheng et al. 2015, J. Struct. Biol. 192:146; ccpem.ac.uk/mrc_format): a 1024-byte
 * header of 4-byte words — nx, ny, nz, mode, nxstart…, mx, my, mz, cell a/b/c (Å), angles, mapc/r/s,
 * dmin, dmax, dmean, ispg, nsymbt (extended-header bytes), EXTTYP at byte 104, NVERSION at 108,
 * origin at 196, "MAP " at 208, machine stamp at 212 (0x44 0x44 / 0x44 0x41 little-endian, 0x11 0x11
 * big-endian), rms, nlabl and ten 80-character labels — then the extended header (skipped, except for
 * the FEI1/FEI2 metadata block that Thermo Fisher software writes), then the data, x fastest.
 *
 * Modes read: 0 int8, 1 int16, 2 float32, 6 uint16, 12 float16 (converted to float32).
 * Pixel size = cell a / mx in Å, reported in nm.
 */
import { ImageFormatError } from './errors.js';
import { copyElements, pixelSizeOf, type ImageArray, type ImageDtype, type MicroscopeImage } from './image.js';

const MODES: Record<number, { dtype: ImageDtype; fileBytes: number; name: string }> = {
  0: { dtype: 'int8', fileBytes: 1, name: 'int8' },
  1: { dtype: 'int16', fileBytes: 2, name: 'int16' },
  2: { dtype: 'float32', fileBytes: 4, name: 'float32' },
  6: { dtype: 'uint16', fileBytes: 2, name: 'uint16' },
  12: { dtype: 'float32', fileBytes: 2, name: 'float16' },
};
const UNSUPPORTED_MODES: Record<number, string> = { 3: 'complex int16', 4: 'complex float32', 101: '4-bit packed' };

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f === 0 ? s * Infinity : NaN;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) {
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s.trimEnd();
}

/**
 * Fields of the FEI1/FEI2 extended header (Thermo Fisher "MRC2014 with FEI extensions", metadata
 * version 0–2; byte offsets of the packed record, little-endian) that aggstem reports.
 */
function feiMetadata(b: Uint8Array, at: number, size: number): Record<string, unknown> {
  const dv = new DataView(b.buffer, b.byteOffset + at, size);
  const recSize = dv.getInt32(0, true);
  const lim = Math.min(size, recSize > 0 ? recSize : size);
  const f8 = (o: number): number | undefined => (o + 8 <= lim ? dv.getFloat64(o, true) : undefined);
  const i4 = (o: number): number | undefined => (o + 4 <= lim ? dv.getInt32(o, true) : undefined);
  const s16 = (o: number): string | undefined => (o + 16 <= lim ? latin1(b.subarray(at + o, at + o + 16)) || undefined : undefined);
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown): void => {
    if (v !== undefined && !(typeof v === 'number' && !Number.isFinite(v))) out[k] = v;
  };
  put('microscope', s16(20));
  put('application', s16(52));
  put('applicationVersion', s16(68));
  const ht = f8(84);
  if (ht && ht > 0) put('beamEnergyKv', ht / 1000);
  const px = f8(156);
  if (px && px > 0) put('pixelSizeXm', px);
  const mode = i4(244);
  if (mode === 1 || mode === 2) put('acquisitionMode', mode === 2 ? 'STEM' : 'TEM');
  const mag = f8(289);
  if (mag && mag > 0) put('magnification', mag);
  const cl = f8(301);
  if (cl && cl > 0) put('cameraLengthMm', cl * 1000);
  const conv = f8(329);
  if (conv && conv > 0) put('convergenceMrad', conv * 1000);
  put('detector', s16(519));
  const dwell = f8(571);
  if (dwell && dwell > 0) put('dwellTimeS', dwell);
  const frame = f8(579);
  if (frame && frame > 0) put('frameTimeS', frame);
  // Timestamp: days since 1899-12-30 (OLE automation date).
  const ts = f8(12);
  if (ts && ts > 1 && ts < 2958466) {
    const iso = new Date(Math.round((ts - 25569) * 86400000)).toISOString();
    put('date', iso.slice(0, 10));
    put('time', iso.slice(11, 19));
  }
  return out;
}

/**
 * Reads an MRC / MRC2014 image or stack (`nz` > 1 gives `frames`). See the module comment.
 * Throws {@link ImageFormatError} for corrupt or unsupported input.
 */
export function decodeMrc(bytes: Uint8Array, file = '<bytes>'): MicroscopeImage {
  const fail = (why: string): never => {
    throw new ImageFormatError(file, 'mrc', why);
  };
  if (bytes.length < 1024) fail(`file is ${bytes.length} bytes, shorter than the 1024-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stamp = bytes[212]!;
  let le: boolean;
  if (stamp === 0x44) le = true;
  else if (stamp === 0x11) le = false;
  else {
    // Old files without a stamp: take the byte order in which the mode is a known code.
    const m = dv.getInt32(12, true);
    le = m in MODES || m in UNSUPPORTED_MODES;
  }
  const i4 = (w: number): number => dv.getInt32(w * 4, le);
  const f4 = (w: number): number => dv.getFloat32(w * 4, le);
  const nx = i4(0);
  const ny = i4(1);
  const nz = i4(2);
  const mode = i4(3);
  const spec = MODES[mode];
  if (!spec) {
    return fail(UNSUPPORTED_MODES[mode] ? `mode ${mode} (${UNSUPPORTED_MODES[mode]}) is not supported` : `unknown mode ${mode} (supported: 0, 1, 2, 6, 12)`);
  }
  if (nx < 1 || ny < 1 || nz < 1) fail(`image size nx=${nx}, ny=${ny}, nz=${nz}`);
  const nsymbt = i4(23);
  if (nsymbt < 0) fail(`negative extended-header length NSYMBT=${nsymbt}`);
  const offset = 1024 + nsymbt;
  const n = nx * ny * nz;
  const need = n * spec.fileBytes;
  if (!Number.isSafeInteger(need) || offset + need > bytes.length) {
    fail(`nx=${nx} ny=${ny} nz=${nz} of ${spec.name} need ${need} bytes after ${offset} header bytes, but the file has ${bytes.length}`);
  }
  let data: ImageArray;
  if (mode === 12) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = half(dv.getUint16(offset + 2 * i, le));
    data = out;
  } else {
    data = copyElements(bytes, offset, n, spec.dtype, le);
  }
  const mx = i4(7);
  const cellA = f4(10);
  const { pixelSize, pixelSizeNm } = mx > 0 && cellA > 0 ? pixelSizeOf(cellA / mx / 10, 'nm') : pixelSizeOf(null, null);
  const exttyp = latin1(bytes.subarray(104, 108));
  const nlabl = Math.max(0, Math.min(10, i4(55)));
  const labels: string[] = [];
  for (let i = 0; i < nlabl; i++) labels.push(latin1(bytes.subarray(224 + 80 * i, 304 + 80 * i)));
  const header = {
    nx, ny, nz, mode, nxstart: i4(4), nystart: i4(5), nzstart: i4(6), mx, my: i4(8), mz: i4(9),
    cellA: [cellA, f4(11), f4(12)], cellB: [f4(13), f4(14), f4(15)], mapcrs: [i4(16), i4(17), i4(18)],
    dmin: f4(19), dmax: f4(20), dmean: f4(21), ispg: i4(22), nsymbt, exttyp, nversion: i4(27),
    origin: [f4(49), f4(50), f4(51)], map: latin1(bytes.subarray(208, 212)), machineStamp: [...bytes.subarray(212, 216)],
    rms: f4(54), nlabl, labels, littleEndian: le,
  };
  let metadata: Record<string, unknown> = { mode, modeName: spec.name };
  if ((exttyp === 'FEI1' || exttyp === 'FEI2') && nsymbt >= 600) {
    metadata = { ...metadata, ...feiMetadata(bytes, 1024, nsymbt) };
  }
  metadata.raw = header;
  const image: MicroscopeImage = {
    data,
    width: nx,
    height: ny,
    shape: nz > 1 ? [nz, ny, nx] : [ny, nx],
    dtype: spec.dtype,
    pixelSize,
    pixelSizeNm,
    format: 'mrc',
    metadata,
  };
  if (nz > 1) image.frames = nz;
  return image;
}
