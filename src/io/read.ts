/** One entry point for every image format: detection by magic bytes, then by file extension. */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { extname } from 'node:path';
import { decodeDm } from './dm.js';
import { Worker } from 'node:worker_threads';
import { loadHdf5, readEmd } from './emd.js';
import { ImageFormatError } from './errors.js';
import { type ImageArray, type ImageDtype, type ImageFormat, type MicroscopeImage, pixelSizeOf } from './image.js';
import { decodeMrc } from './mrc.js';
import { decodeNpy, readFileOrThrow } from './npy.js';
import { decodePng } from './png.js';
import { decodeTiff } from './tiff-read.js';

/** Options for {@link readImage}. */
export interface ReadImageOptions {
  /**
   * Which image when a file holds several: DM ImageList entry, TIFF page, EMD dataset (Berkeley
   * group or Velox image), or one frame of an MRC / NPY stack. Default: the main image (DM: the
   * largest greyscale entry; Velox: the HAADF image) and all frames of a stack.
   */
  index?: number;
  /**
   * Which signal of an EMD file, by name: a Velox image's display title (e.g. "HAADF", "iDPC") or
   * detector, or a Berkeley dataset's group name (case-insensitive). Not with `index`.
   */
  signal?: string;
  /**
   * Time limit of an EMD/HDF5 read in {@link readImageAsync}, ms (default 30 000): the HDF5 library
   * can loop on corrupt files, so the read runs in a worker that is stopped at the limit.
   */
  timeoutMs?: number;
}

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Guesses the format from the first bytes (NPY, PNG, TIFF, HDF5/EMD and DM headers carry magic
 * numbers; MRC has "MAP " at byte 208), then from the extension. Null when nothing matches.
 */
export function detectImageFormat(head: Uint8Array, path = ''): ImageFormat | 'hdf5' | null {
  const starts = (sig: number[], at = 0): boolean => head.length >= at + sig.length && sig.every((b, i) => head[at + i] === b);
  if (starts([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) return 'npy';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (starts([0x49, 0x49, 42, 0]) || starts([0x4d, 0x4d, 0, 42]) || starts([0x49, 0x49, 43, 0]) || starts([0x4d, 0x4d, 0, 43])) return 'tiff';
  // HDF5 allows a user block of 512, 1024, … bytes before the superblock.
  for (const at of [0, 512, 1024, 2048]) if (starts(HDF5_MAGIC, at)) return 'hdf5';
  if (starts([0, 0, 0, 3])) return 'dm3';
  if (starts([0, 0, 0, 4])) return 'dm4';
  if (starts([0x4d, 0x41, 0x50, 0x20], 208)) return 'mrc';
  const ext = extname(path).toLowerCase();
  const byExt: Record<string, ImageFormat | 'hdf5'> = {
    '.dm3': 'dm3', '.dm4': 'dm4', '.mrc': 'mrc', '.mrcs': 'mrc', '.st': 'mrc', '.ali': 'mrc', '.rec': 'mrc',
    '.emd': 'hdf5', '.h5': 'hdf5', '.hdf5': 'hdf5', '.tif': 'tiff', '.tiff': 'tiff', '.png': 'png', '.npy': 'npy',
  };
  return byExt[ext] ?? null;
}

function readHead(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new ImageFormatError(path, 'image', `cannot open the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new ImageFormatError(path, 'image', 'is a directory or a device, not an image file');
    const head = new Uint8Array(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n);
  } catch (e) {
    if (e instanceof ImageFormatError) throw e;
    throw new ImageFormatError(path, 'image', `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

function selectFrame(img: MicroscopeImage, index: number | undefined): MicroscopeImage {
  if (index === undefined || img.frames === undefined) {
    if (index !== undefined && index !== 0 && img.frames === undefined) {
      throw new ImageFormatError('<image>', img.format, `frame ${index} requested but the file holds a single image`);
    }
    return img;
  }
  if (!Number.isInteger(index) || index < 0 || index >= img.frames) {
    throw new ImageFormatError('<image>', img.format, `frame ${index} requested but the stack has ${img.frames} frames`);
  }
  const hw = img.width * img.height;
  const out: MicroscopeImage = { ...img, data: img.data.slice(index * hw, (index + 1) * hw) as ImageArray, shape: [img.height, img.width], metadata: { ...img.metadata, frame: index, framesInFile: img.frames } };
  delete out.frames;
  return out;
}

function npyImage(bytes: Uint8Array, file: string): MicroscopeImage {
  const a = decodeNpy(bytes, file);
  const fail = (why: string): never => {
    throw new ImageFormatError(file, 'npy', why);
  };
  if (a.shape.length < 2 || a.shape.length > 3) fail(`shape (${a.shape.join(', ')}) is not an image (expected 2-D, or 3-D for a stack)`);
  const dtype: ImageDtype = a.dtype === 'bool' ? 'uint8' : a.dtype;
  let data = a.data as ImageArray;
  const [f, h, w] = a.shape.length === 2 ? [1, a.shape[0]!, a.shape[1]!] : [a.shape[0]!, a.shape[1]!, a.shape[2]!];
  if (a.fortranOrder) {
    // Column-major: element (k, y, x) sits at k + f*(y + h*x); make it row-major.
    const Ctor = data.constructor as new (n: number) => ImageArray;
    const out = new Ctor(data.length);
    for (let k = 0; k < f; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(k * h + y) * w + x] = data[k + f * (y + h * x)]!;
    data = out;
  }
  const img: MicroscopeImage = {
    data,
    width: w,
    height: h,
    shape: a.shape.length === 2 ? [h, w] : [f, h, w],
    dtype,
    ...pixelSizeOf(null, null),
    format: 'npy',
    metadata: { npyDtype: a.dtype, fortranOrder: a.fortranOrder },
  };
  if (a.shape.length === 3) img.frames = f;
  return img;
}

function pngImage(bytes: Uint8Array, file: string): MicroscopeImage {
  const p = decodePng(bytes, file);
  const n = p.width * p.height;
  const metadata: Record<string, unknown> = { bitDepth: p.bitDepth, channels: p.channels, text: p.text };
  let data: ImageArray;
  let dtype: ImageDtype;
  if (p.bitDepth < 8 && p.data.length !== n * p.channels) throw new ImageFormatError(file, 'png', `${p.bitDepth}-bit samples are not supported`);
  if (p.palette) {
    // Indexed colour: look the indices up, then take the luminance like RGB below.
    const lum = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const c = p.palette[p.data[i]!] ?? [0, 0, 0];
      lum[i] = 0.299 * c[0]! + 0.587 * c[1]! + 0.114 * c[2]!;
    }
    data = lum;
    dtype = 'float32';
    metadata.convertedFromRgb = true;
    metadata.note = 'palette image converted to luminance (0.299 R + 0.587 G + 0.114 B)';
  } else if (p.channels <= 2) {
    // Grey (+ alpha, which is dropped).
    if (p.channels === 1) data = p.data;
    else {
      data = p.data instanceof Uint16Array ? new Uint16Array(n) : new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = p.data[2 * i]!;
      metadata.alphaDropped = true;
    }
    dtype = p.data instanceof Uint16Array ? 'uint16' : 'uint8';
  } else {
    const c = p.channels;
    const lum = new Float32Array(n);
    for (let i = 0; i < n; i++) lum[i] = 0.299 * p.data[i * c]! + 0.587 * p.data[i * c + 1]! + 0.114 * p.data[i * c + 2]!;
    data = lum;
    dtype = 'float32';
    metadata.convertedFromRgb = true;
    metadata.note = 'RGB image converted to luminance (0.299 R + 0.587 G + 0.114 B); burnt-in annotations are part of the data';
  }
  const ps = p.pixelSizeNm !== undefined ? pixelSizeOf(p.pixelSizeNm, 'nm') : pixelSizeOf(null, null);
  return { data, width: p.width, height: p.height, shape: [p.height, p.width], dtype, ...ps, format: 'png', metadata };
}

/**
 * Decodes an in-memory image file of any format except EMD (which HDF5 reads from a path).
 * `opts.file` names the source in error messages; `opts.format` skips detection.
 */
export function decodeImage(bytes: Uint8Array, opts: ReadImageOptions & { file?: string; format?: ImageFormat } = {}): MicroscopeImage {
  const file = opts.file ?? '<bytes>';
  const format = opts.format ?? detectImageFormat(bytes.subarray(0, 4096), file);
  let img: MicroscopeImage;
  switch (format) {
    case 'npy':
      img = npyImage(bytes, file);
      break;
    case 'png':
      img = pngImage(bytes, file);
      break;
    case 'tiff':
      return decodeTiff(bytes, file, opts);
    case 'dm3':
    case 'dm4':
      return decodeDm(bytes, file, opts);
    case 'mrc':
      img = decodeMrc(bytes, file);
      break;
    case 'emd':
    case 'emd-velox':
    case 'hdf5':
      throw new ImageFormatError(file, 'emd', 'EMD/HDF5 files are read from a path: use readImage(path)');
    default:
      throw new ImageFormatError(file, 'image', 'unknown format (expected dm3, dm4, mrc, emd, tif, png or npy, by content or extension)');
  }
  try {
    return selectFrame(img, opts.index);
  } catch (e) {
    if (e instanceof ImageFormatError) throw new ImageFormatError(file, img.format, e.message.replace(/^.*?: not a readable \S+ file: /, ''));
    throw e;
  }
}

/**
 * Reads a microscope or aggstem image file — DM3, DM4, MRC, EMD (Berkeley or Velox; call
 * `await loadHdf5()` once first, or use {@link readImageAsync}), TIFF, PNG or NPY — into a
 * {@link MicroscopeImage}: row-major data, shape, dtype, pixel size (file unit and nm) and key
 * metadata. Throws {@link ImageFormatError} for unreadable, corrupt or unsupported files.
 *
 * @example
 * const img = readImage('scan.dm4');
 * console.log(img.shape, img.pixelSizeNm, img.metadata.beamEnergyKv);
 */
export function readImage(path: string, opts: ReadImageOptions = {}): MicroscopeImage {
  const head = readHead(path);
  const format = detectImageFormat(head, path);
  if (format === 'hdf5' || format === 'emd' || format === 'emd-velox') {
    const img = readEmd(path, opts);
    // readEmd uses the index to choose a dataset, so frames of a stack are not sub-selected here.
    return img;
  }
  if (format === null) throw new ImageFormatError(path, 'image', 'unknown format (expected dm3, dm4, mrc, emd, tif, png or npy, by content or extension)');
  if (opts.signal !== undefined) throw new ImageFormatError(path, format, `only EMD files have named signals (got signal "${opts.signal}"); choose an image with index`);
  return decodeImage(readFileOrThrow(path, format), { ...opts, file: path, format });
}

/**
 * {@link readImage} for untrusted files: EMD/HDF5 files are read in a worker thread that is stopped
 * after `timeoutMs` (default 30 s), which turns an endless loop of the HDF5 library on a corrupt file
 * into an {@link ImageFormatError}. Other formats are read in this thread (their parsers check every
 * size against the file length and always end).
 */
export async function readImageAsync(path: string, opts: ReadImageOptions = {}): Promise<MicroscopeImage> {
  const format = detectImageFormat(readHead(path), path);
  if (format !== 'hdf5') return readImage(path, opts);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  if (!(timeoutMs > 0)) throw new RangeError(`readImageAsync: timeoutMs must be > 0, got ${timeoutMs}`);
  const reply = await hdf5Read(path, { ...(opts.index !== undefined ? { index: opts.index } : {}), ...(opts.signal !== undefined ? { signal: opts.signal } : {}) }, timeoutMs);
  if (reply.error) {
    const { name, message, file, format: f } = reply.error;
    if (name === 'ImageFormatError' && file !== undefined && f !== undefined) {
      const prefix = `${file}: not a readable ${f} file: `;
      throw new ImageFormatError(file, f, message.startsWith(prefix) ? message.slice(prefix.length) : message);
    }
    throw new ImageFormatError(path, 'emd', message);
  }
  // The file is sound: load the library here too, so the synchronous readImage works afterwards.
  await loadHdf5();
  return reply.image!;
}

type Hdf5Reply = { id: number; started?: boolean; image?: MicroscopeImage; error?: { name: string; message: string; file?: string; format?: string } };

/** Start-up budget of the reader thread (loading tsx in development and the HDF5 library), ms. */
const HDF5_STARTUP_MS = 120_000;

/** The HDF5 reader thread, started on first use and replaced after a timeout; reads run one at a time. */
let hdf5Worker: Worker | null = null;
let hdf5Queue: Promise<unknown> = Promise.resolve();
let hdf5Next = 0;

function hdf5Read(path: string, opts: { index?: number; signal?: string }, timeoutMs: number): Promise<Hdf5Reply> {
  const run = async (): Promise<Hdf5Reply> => {
    if (!hdf5Worker) {
      const entry = import.meta.url.endsWith('.ts') ? './hdf5-worker-tsx.mjs' : './hdf5-worker.js';
      hdf5Worker = new Worker(new URL(entry, import.meta.url));
      hdf5Worker.unref(); // an idle reader never keeps the process alive
    }
    const worker = hdf5Worker;
    const id = hdf5Next++;
    return new Promise<Hdf5Reply>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      const drop = () => {
        if (hdf5Worker === worker) hdf5Worker = null;
        void worker.terminate();
      };
      const onMessage = (m: Hdf5Reply) => {
        if (m.id !== id) return;
        // The read itself begins now: from here the caller's time limit applies.
        if (m.started) { clearTimeout(timer); timer = setTimeout(onTimeout, timeoutMs); return; }
        done();
        resolve(m);
      };
      const onError = (e: Error) => { done(); drop(); reject(new ImageFormatError(path, 'emd', `the HDF5 reader failed: ${e.message}`)); };
      const onExit = (code: number) => { done(); drop(); reject(new ImageFormatError(path, 'emd', `the HDF5 reader stopped (exit ${code})`)); };
      const onTimeout = () => {
        done();
        drop();
        reject(new ImageFormatError(path, 'emd', `the HDF5 read did not finish within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${(timeoutMs / 1000).toFixed(0)} s`} (a corrupt file can make the HDF5 library loop); stopped`));
      };
      let timer = setTimeout(() => {
        done();
        drop();
        reject(new ImageFormatError(path, 'emd', `the HDF5 reader thread did not start within ${HDF5_STARTUP_MS / 1000} s`));
      }, HDF5_STARTUP_MS);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage({ id, path, opts });
    });
  };
  const p = hdf5Queue.then(run, run);
  hdf5Queue = p.catch(() => undefined);
  return p;
}
