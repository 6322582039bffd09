/**
 * Worker thread of `readImageAsync` for EMD/HDF5 files: the HDF5 library (h5wasm) can loop forever on
 * some corrupt files, and a read in a worker can be stopped (read.ts terminates it at the time limit).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadHdf5, readEmd } from './emd.js';
import { ImageFormatError } from './errors.js';

const { path, opts } = workerData as { path: string; opts: { index?: number; signal?: string } };
try {
  await loadHdf5();
  const img = readEmd(path, opts);
  parentPort!.postMessage({ image: img }, [img.data.buffer as ArrayBuffer]);
} catch (e) {
  const f = e instanceof ImageFormatError ? { file: e.file, format: e.format } : {};
  parentPort!.postMessage({ error: { name: (e as Error).name, message: (e as Error).message, ...f } });
}
