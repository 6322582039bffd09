/**
 * Worker thread of `readImageAsync` for EMD/HDF5 files: the HDF5 library (h5wasm) can loop forever on
 * some corrupt files, and a read in a worker can be stopped (read.ts terminates the worker at the
 * time limit and starts a fresh one for the next read). One worker serves reads one at a time, so the
 * library is loaded once.
 */
import { parentPort } from 'node:worker_threads';
import { loadHdf5, readEmd } from './emd.js';
import { ImageFormatError } from './errors.js';

parentPort!.on('message', async (req: { id: number; path: string; opts: { index?: number; signal?: string } }) => {
  try {
    await loadHdf5();
    // The time limit covers the read only, not the thread's start-up and the library's loading.
    parentPort!.postMessage({ id: req.id, started: true });
    const img = readEmd(req.path, req.opts);
    parentPort!.postMessage({ id: req.id, image: img }, [img.data.buffer as ArrayBuffer]);
  } catch (e) {
    const f = e instanceof ImageFormatError ? { file: e.file, format: e.format } : {};
    parentPort!.postMessage({ id: req.id, error: { name: (e as Error).name, message: (e as Error).message, ...f } });
  }
});
