/**
 * EMD (HDF5) readers through `h5wasm` (the HDF5 C library compiled to WebAssembly; in Node it reads
 * real paths). Two layouts:
 *
 * - Berkeley EMD 1.0 (Prismatic, py4DSTEM, HyperSpy): any group with attribute `emd_group_type = 1`
 *   holds `data` plus `dim1`…`dimN` (one per data axis, C order, with `name` and `units` attributes;
 *   a dim vector may list every coordinate or just the first two). Units may be written
 *   Prismatic-style, e.g. `[n_m]`. 2-D data are `[height, width]`, 3-D `[frames, height, width]`.
 * - Thermo Fisher Velox: `/Data/Image/<uuid>/Data` with shape `[height, width, frames]` and
 *   `/Data/Image/<uuid>/Metadata`, a uint8 array `[bytes, frames]` whose columns are zero-padded
 *   UTF-8 JSON (pixel size in `BinaryResult.PixelSize` with `PixelUnitX`, detector in
 *   `BinaryResult.Detector`, dwell in `Scan.DwellTime`, high tension in `Optics.AccelerationVoltage`).
 *   Layout from ncempy `io/emdVelox.py` and RosettaSciIO's Velox reader, as summarised in the
 *   project's research notes; no Velox sample file was available, the tests use a synthetic one.
 *
 * The WebAssembly module loads asynchronously: call `await loadHdf5()` once (or use `readImageAsync`)
 * before the synchronous readers touch an EMD file.
 */
import fs, { existsSync, statSync } from 'node:fs';
import type * as H5 from 'h5wasm/node';
import { ImageFormatError } from './errors.js';
import { pixelSizeOf, type ImageArray, type ImageDtype, type MicroscopeImage } from './image.js';

type H5Module = typeof import('h5wasm/node');

let h5: H5Module | null = null;
let loading: Promise<H5Module> | null = null;

/** Loads the HDF5 WebAssembly library (once; later calls return at once). Needed before reading EMD. */
export async function loadHdf5(): Promise<void> {
  if (h5) return;
  loading ??= import('h5wasm/node').then(async (m) => {
    await m.ready;
    h5 = m;
    return m;
  });
  await loading;
}

/** True when {@link loadHdf5} has finished. */
export function hdf5Loaded(): boolean {
  return h5 !== null;
}

/**
 * Runs `fn` with standard error captured. The HDF5 library prints a multi-line "HDF5-DIAG" trace for
 * every failed call (e.g. on a corrupt file): with Emscripten's NODERAWFS its C `stderr` goes straight
 * to `fs.writeSync(2, …)`, and its own messages to console.error bound at load time, so neither can
 * be redirected per call. Both are swapped for the (synchronous) duration of `fn` only; the captured
 * text feeds our own error message. h5wasm's `activate_throwing_error_handler` was not used because
 * it throws from inside HDF5's error path, skipping the library's own clean-up.
 */
function quietly<T>(fn: () => T): { value?: T; error?: unknown; diag: string } {
  const stderr = process.stderr;
  const origWrite = stderr.write;
  const mutableFs = fs as { writeSync: typeof fs.writeSync };
  const origWriteSync = mutableFs.writeSync;
  let diag = '';
  const keep = (chunk: unknown): void => {
    if (diag.length < 4000) diag += typeof chunk === 'string' ? chunk : ArrayBuffer.isView(chunk) ? new TextDecoder().decode(chunk as Uint8Array) : String(chunk);
  };
  stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk);
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof stderr.write;
  mutableFs.writeSync = ((fd: number, buffer: unknown, ...rest: unknown[]) => {
    if (fd !== 2) return (origWriteSync as (...a: unknown[]) => number)(fd, buffer, ...rest);
    if (typeof buffer === 'string') {
      keep(buffer);
      return Buffer.byteLength(buffer);
    }
    const view = buffer as ArrayBufferView;
    const off = typeof rest[0] === 'number' ? rest[0] : 0;
    const len = typeof rest[1] === 'number' ? rest[1] : view.byteLength - off;
    keep(new Uint8Array(view.buffer, view.byteOffset + off, len));
    return len;
  }) as typeof fs.writeSync;
  try {
    return { value: fn(), diag };
  } catch (error) {
    return { error, diag };
  } finally {
    stderr.write = origWrite;
    mutableFs.writeSync = origWriteSync;
  }
}

function diagSummary(diag: string): string {
  const lines = diag.split('\n').map((l) => l.trim());
  const minor = lines.filter((l) => l.startsWith('minor:')).map((l) => l.slice(6).trim());
  const first = lines.find((l) => /^#\d+:/.test(l));
  return minor.length > 0 ? minor.slice(-2).join('; ') : (first ?? '');
}

function dtypeOfMeta(m: H5.Metadata): ImageDtype | 'int64' | undefined {
  if (m.type === 1) return m.size === 4 ? 'float32' : m.size === 8 ? 'float64' : undefined;
  if (m.type !== 0) return undefined;
  switch (m.size) {
    case 1: return m.signed ? 'int8' : 'uint8';
    case 2: return m.signed ? 'int16' : 'uint16';
    case 4: return m.signed ? 'int32' : 'uint32';
    case 8: return 'int64';
    default: return undefined;
  }
}

function attrValue(obj: { attrs: Record<string, H5.Attribute> }, name: string): unknown {
  const a = obj.attrs[name];
  if (!a) return undefined;
  const v = a.value;
  if (ArrayBuffer.isView(v) && (v as unknown as ArrayLike<number>).length === 1) return Number((v as unknown as ArrayLike<number>)[0]);
  if (typeof v === 'bigint') return Number(v);
  return v;
}

function attrString(obj: { attrs: Record<string, H5.Attribute> }, name: string): string | undefined {
  const v = attrValue(obj, name);
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v).replace(/\0+$/, '');
  return undefined;
}

/** Reads a whole dataset after checking its declared size against the file size. */
function readDataset(ds: H5.Dataset, fileBytes: number, fail: (why: string) => never, what: string): { data: ImageArray; shape: number[]; dtype: ImageDtype } {
  const meta = ds.metadata;
  const shape = (meta.shape ?? []).map(Number);
  const dtype = dtypeOfMeta(meta) ?? fail(`${what} has an unsupported element type (HDF5 class ${meta.type}, ${meta.size} bytes)`);
  let n = 1;
  for (const s of shape) n *= s;
  const nbytes = n * meta.size;
  // Without compression filters the elements must be in the file; with them, allow zlib's ratio.
  const limit = ds.filters.length > 0 ? 1100 * fileBytes : fileBytes;
  if (!Number.isSafeInteger(nbytes) || nbytes > limit) fail(`${what} declares shape [${shape.join(', ')}] (${nbytes} bytes), more than the ${fileBytes}-byte file can hold`);
  const v = ds.value as unknown;
  if (!ArrayBuffer.isView(v) || (v as unknown as ArrayLike<number>).length !== n) fail(`${what} could not be read as ${n} numbers`);
  let data: ImageArray;
  let outType: ImageDtype;
  if (dtype === 'int64') {
    const big = v as BigInt64Array | BigUint64Array;
    const f = new Float64Array(n);
    for (let i = 0; i < n; i++) f[i] = Number(big[i]!);
    data = f;
    outType = 'float64';
  } else {
    data = v as ImageArray;
    outType = dtype;
  }
  return { data, shape, dtype: outType };
}

interface EmdCandidate {
  path: string;
  kind: 'berkeley' | 'velox';
}

function walkBerkeley(root: H5.Group, fail: (why: string) => never): EmdCandidate[] {
  const out: EmdCandidate[] = [];
  let visited = 0;
  const visit = (g: H5.Group, path: string, depth: number): void => {
    if (depth > 16 || ++visited > 10000) fail('group tree is too deep or too large');
    if (Number(attrValue(g, 'emd_group_type')) === 1 && g.keys().includes('data')) out.push({ path, kind: 'berkeley' });
    for (const k of g.keys()) {
      const child = g.get(k);
      if (child && isGroup(child)) visit(child as H5.Group, path === '/' ? `/${k}` : `${path}/${k}`, depth + 1);
    }
  };
  visit(root, '/', 0);
  return out;
}

function isGroup(x: unknown): x is H5.Group {
  return h5 !== null && x instanceof h5.Group;
}
function isDataset(x: unknown): x is H5.Dataset {
  return h5 !== null && x instanceof h5.Dataset;
}

function asNumber(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function veloxMetadata(g: H5.Group): Record<string, unknown> | undefined {
  const md = g.get('Metadata') as H5.Dataset | null;
  if (!md || !isDataset(md)) return undefined;
  const shape = (md.metadata.shape ?? []).map(Number);
  if (md.metadata.size !== 1 || shape.length < 1 || shape[0]! > 64 * 1024 * 1024) return undefined;
  const v = md.value as unknown;
  if (!(v instanceof Uint8Array || v instanceof Int8Array)) return undefined;
  const cols = shape.length > 1 ? shape[1]! : 1;
  const bytes: number[] = [];
  for (let i = 0; i < shape[0]!; i++) {
    const b = v[i * cols]! & 0xff; // column 0 = first frame
    if (b === 0) break;
    bytes.push(b);
  }
  try {
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bytes))) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function get(o: unknown, ...path: string[]): unknown {
  let v = o;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/**
 * Reads an EMD file (Berkeley EMD 1.0 or Thermo Fisher Velox). `opts.index` picks the dataset
 * (Berkeley: the n-th `emd_group_type = 1` group; Velox: the n-th `/Data/Image` entry; default:
 * Velox's HAADF image if present, else the first). Requires {@link loadHdf5} to have finished.
 */
export function readEmd(path: string, opts: { index?: number; signal?: string } = {}): MicroscopeImage {
  if (!h5) {
    throw new Error(`reading ${path}: EMD files need the HDF5 library loaded first — run \`await loadHdf5()\` once, or use \`await readImageAsync(path)\``);
  }
  const lib = h5;
  let format: 'emd' | 'emd-velox' = 'emd';
  const fail = (why: string): never => {
    throw new ImageFormatError(path, format, why);
  };
  if (!existsSync(path)) fail('no such file');
  const fileBytes = statSync(path).size;
  const opened = quietly(() => new lib.File(path, 'r'));
  if (opened.error || !opened.value) {
    return fail(`HDF5 could not open it (${diagSummary(opened.diag) || String(opened.error)})`);
  }
  const f = opened.value;
  try {
    const r = quietly(() => readOpened(f, path, fileBytes, opts, (fm) => (format = fm), fail));
    if (r.error instanceof ImageFormatError) throw r.error;
    if (r.error || !r.value) fail(`HDF5 read failed (${diagSummary(r.diag) || String(r.error)})`);
    return r.value!;
  } finally {
    quietly(() => f.close());
  }
}

function readOpened(
  f: H5.File,
  path: string,
  fileBytes: number,
  opts: { index?: number; signal?: string },
  setFormat: (f: 'emd' | 'emd-velox') => void,
  fail: (why: string) => never,
): MicroscopeImage {
  const images = f.get('Data/Image') as H5.Group | null;
  if (images && isGroup(images)) {
    setFormat('emd-velox');
    return readVelox(images, fileBytes, opts, fail, veloxLabels(f));
  }
  const candidates = walkBerkeley(f, fail);
  if (candidates.length === 0) fail('no group with emd_group_type = 1 and a `data` dataset (nor a Velox /Data/Image group)');
  if (opts.signal !== undefined) {
    // Berkeley EMD names its datasets by group path: match the last path segment.
    if (opts.index !== undefined) fail('give an index or a signal name, not both');
    const k = candidates.findIndex((c) => c.path.split('/').pop()!.toLowerCase() === opts.signal!.toLowerCase());
    if (k < 0) fail(`no signal "${opts.signal}"; the file has ${candidates.map((c, i) => `${i}: ${c.path}`).join(', ')}`);
    opts = { index: k };
  }
  const idx = opts.index ?? Math.max(0, candidates.findIndex((c) => {
    const d = f.get(`${c.path}/data`) as H5.Dataset | null;
    const nd = d?.metadata?.shape?.length ?? 0;
    return nd === 2 || nd === 3;
  }));
  const c = candidates[idx] ?? fail(`no EMD dataset at index ${idx}; the file has ${candidates.length}`);
  const g = f.get(c.path) as H5.Group;
  const ds = g.get('data') as H5.Dataset | null;
  if (!ds || !isDataset(ds)) return fail(`${c.path}/data is not a dataset`);
  const { data, shape, dtype } = readDataset(ds, fileBytes, fail, `${c.path}/data`);
  if (shape.length < 2 || shape.length > 3) fail(`${c.path}/data has ${shape.length} dimensions; an image needs 2 (or 3 for a stack)`);
  const dims: { name: string; units: string; step?: number; first?: number; length: number }[] = [];
  for (let i = 1; i <= shape.length; i++) {
    const d = g.get(`dim${i}`) as H5.Dataset | null;
    if (!d || !isDataset(d)) {
      dims.push({ name: '', units: '', length: 0 });
      continue;
    }
    const len = Number(d.metadata.shape?.[0] ?? 0);
    let step: number | undefined;
    let firstV: number | undefined;
    if (len >= 1 && len <= 1e7 && (d.metadata.type === 0 || d.metadata.type === 1)) {
      const v = d.value as unknown as ArrayLike<number | bigint>;
      if (v && v.length >= 1) firstV = Number(v[0]);
      if (v && v.length >= 2) step = Number(v[1]) - Number(v[0]);
    }
    const entry: { name: string; units: string; step?: number; first?: number; length: number } = {
      name: attrString(d, 'name') ?? '',
      units: attrString(d, 'units') ?? '',
      length: len,
    };
    if (step !== undefined) entry.step = step;
    if (firstV !== undefined) entry.first = firstV;
    dims.push(entry);
  }
  const xDim = dims[dims.length - 1]!;
  const unit = xDim.units.replace(/^\[\]$/, '');
  const ps = unit ? pixelSizeOf(xDim.step, unit) : pixelSizeOf(null, null);
  const metadata: Record<string, unknown> = { dataset: c.path, dims };
  for (const grp of ['microscope', 'user', 'sample', 'comments']) {
    const gg = f.get(grp) as H5.Group | null;
    if (!gg || !isGroup(gg)) continue;
    const attrs: Record<string, unknown> = {};
    for (const k of Object.keys(gg.attrs)) {
      const v = attrValue(gg, k);
      if (v !== '' && v !== undefined) attrs[k] = typeof v === 'bigint' ? Number(v) : v;
    }
    if (Object.keys(attrs).length > 0) metadata[grp] = attrs;
  }
  const mic = metadata.microscope as Record<string, unknown> | undefined;
  if (typeof mic?.name === 'string') metadata.microscope = mic.name;
  const kv = asNumber(mic?.voltage);
  if (kv) metadata.beamEnergyKv = kv > 1000 ? kv / 1000 : kv;
  metadata.raw = { version: [attrValue(f, 'version_major'), attrValue(f, 'version_minor')], groupAttrs: Object.fromEntries(Object.keys(g.attrs).map((k) => [k, attrValue(g, k)])) };
  const [height, width] = shape.length === 2 ? [shape[0]!, shape[1]!] : [shape[1]!, shape[2]!];
  const image: MicroscopeImage = {
    data,
    width,
    height,
    shape,
    dtype,
    pixelSize: ps.pixelSize,
    pixelSizeNm: ps.pixelSizeNm,
    format: 'emd',
    metadata,
  };
  if (shape.length === 3) image.frames = shape[0]!;
  return image;
}

/**
 * Velox's display labels per image key (`/Presentation/Displays/ImageDisplay/<id>`: JSON with
 * `dataPath` and `display.label`): the titles the user saw, e.g. "iDPC", "dDPC", "A-C" for the
 * signals of one DPC detector, which share `BinaryResult.Detector`. Empty when absent or unreadable.
 */
function veloxLabels(f: H5.File): Map<string, string> {
  const out = new Map<string, string>();
  const g = f.get('Presentation/Displays/ImageDisplay') as H5.Group | null;
  if (!g || !isGroup(g)) return out;
  for (const k of g.keys().slice(0, 256)) {
    const d = g.get(k) as H5.Dataset | null;
    if (!d || !isDataset(d)) continue;
    const md = jsonOf(d);
    const path = get(md, 'dataPath'), label = get(md, 'display', 'label');
    if (typeof path === 'string' && typeof label === 'string' && label) out.set(path.split('/').pop()!, label);
  }
  return out;
}

/** A Velox JSON dataset: a (variable- or fixed-length) string, or bytes in column 0. */
function jsonOf(d: H5.Dataset): unknown {
  const v = d.value as unknown;
  const text = typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null;
  if (text === null) return veloxMetadata({ get: () => d } as unknown as H5.Group);
  try {
    return JSON.parse(text.replace(/\0+$/, ''));
  } catch {
    return undefined;
  }
}

function readVelox(images: H5.Group, fileBytes: number, opts: { index?: number; signal?: string }, fail: (why: string) => never, labels: Map<string, string> = new Map()): MicroscopeImage {
  const keys = images.keys();
  if (keys.length === 0) fail('/Data/Image is empty');
  const entries = keys.map((k) => {
    const g = images.get(k) as H5.Group;
    const d = g?.get?.('Data') as H5.Dataset | null;
    const shape = (d?.metadata?.shape ?? []).map(Number);
    const md = g && isGroup(g) ? veloxMetadata(g) : undefined;
    const detector = get(md, 'BinaryResult', 'Detector');
    const title = labels.get(k) ?? (typeof detector === 'string' ? detector : `image ${k}`);
    return { key: k, group: g, shape, md, title };
  });
  let idx = opts.index;
  if (opts.signal !== undefined) {
    if (idx !== undefined) fail('give an index or a signal name, not both');
    const want = opts.signal.toLowerCase();
    idx = entries.findIndex((e) => e.title.toLowerCase() === want);
    if (idx < 0) idx = entries.findIndex((e) => String(get(e.md, 'BinaryResult', 'Detector')).toLowerCase() === want);
    if (idx < 0) fail(`no signal "${opts.signal}"; the file has ${entries.map((e, i) => `${i}: ${e.title}`).join(', ')}`);
  }
  if (idx === undefined) {
    idx = entries.findIndex((e) => String(get(e.md, 'BinaryResult', 'Detector')).toUpperCase() === 'HAADF');
    if (idx < 0) idx = 0;
  }
  const e = entries[idx] ?? fail(`no Velox image at index ${idx}; the file has ${entries.length}`);
  const ds = e.group?.get?.('Data') as H5.Dataset | null;
  if (!ds || !isDataset(ds)) return fail(`/Data/Image/${e.key}/Data is missing`);
  const r = readDataset(ds, fileBytes, fail, `/Data/Image/${e.key}/Data`);
  if (r.shape.length < 2 || r.shape.length > 3) fail(`/Data/Image/${e.key}/Data has ${r.shape.length} dimensions (expected height x width x frames)`);
  const [height, width] = [r.shape[0]!, r.shape[1]!];
  const frames = r.shape[2] ?? 1;
  let data = r.data;
  if (frames > 1) {
    // [height, width, frames] → [frames, height, width]
    const Ctor = data.constructor as new (n: number) => ImageArray;
    const out = new Ctor(data.length);
    const hw = height * width;
    for (let p = 0; p < hw; p++) for (let k = 0; k < frames; k++) out[k * hw + p] = data[p * frames + k]!;
    data = out;
  }
  const md = e.md ?? {};
  const pw = asNumber(get(md, 'BinaryResult', 'PixelSize', 'width'));
  const unit = get(md, 'BinaryResult', 'PixelUnitX');
  const ps = pixelSizeOf(pw, typeof unit === 'string' ? unit : pw !== undefined ? 'm' : '');
  const metadata: Record<string, unknown> = { dataset: `/Data/Image/${e.key}`, title: e.title, images: entries.map((x) => ({ key: x.key, title: x.title, detector: get(x.md, 'BinaryResult', 'Detector'), shape: x.shape })) };
  const hv = asNumber(get(md, 'Optics', 'AccelerationVoltage'));
  if (hv) metadata.beamEnergyKv = hv / 1000;
  const dwell = asNumber(get(md, 'Scan', 'DwellTime'));
  if (dwell) metadata.dwellTimeS = dwell;
  const cl = asNumber(get(md, 'Optics', 'CameraLength'));
  if (cl) metadata.cameraLengthMm = cl * 1000;
  const mag = asNumber(get(md, 'Optics', 'NominalMagnification'));
  if (mag) metadata.magnification = mag;
  const model = get(md, 'Instrument', 'InstrumentModel') ?? get(md, 'Instrument', 'InstrumentId');
  if (typeof model === 'string') metadata.microscope = model;
  const det = get(md, 'BinaryResult', 'Detector');
  if (typeof det === 'string') metadata.detector = det;
  const mode = get(md, 'Optics', 'OperatingMode');
  if (mode === '1' || mode === '2') metadata.acquisitionMode = mode === '2' ? 'STEM' : 'TEM';
  const t = asNumber(get(md, 'Acquisition', 'AcquisitionStartDatetime', 'DateTime'));
  if (t) {
    const iso = new Date(t * 1000).toISOString();
    metadata.date = iso.slice(0, 10);
    metadata.time = iso.slice(11, 19);
  }
  metadata.raw = md;
  const image: MicroscopeImage = {
    data,
    width,
    height,
    shape: frames > 1 ? [frames, height, width] : [height, width],
    dtype: r.dtype,
    pixelSize: ps.pixelSize,
    pixelSizeNm: ps.pixelSizeNm,
    format: 'emd-velox',
    metadata,
  };
  if (frames > 1) image.frames = frames;
  return image;
}
