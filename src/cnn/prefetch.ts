/**
 * Background batch loading: the dataset loader's work (reading shards, D4 transforms and above all
 * the fresh Poisson noise per image) runs on a worker thread while the main thread trains, so the two
 * overlap instead of alternating. The batch sequence is exactly the loader's (one worker, in order).
 */
import { Worker } from 'node:worker_threads';
import { DatasetError, type Batch, type BatchOptions, type Dataset } from '../dataset/index.js';

type Message =
  | { type: 'batch'; images: Float32Array; params: Float64Array; indices: Int32Array; descriptors?: Float64Array; size: number }
  | { type: 'end' }
  | { type: 'error'; name: string; message: string };

/**
 * The batches of `batches(ds, opts)`, produced on a worker thread up to `depth` batches ahead.
 * Breaking out of the loop stops the worker.
 */
export async function* prefetchBatches(ds: Dataset, opts: BatchOptions, depth = 3): AsyncGenerator<Batch> {
  // From the TypeScript sources the worker needs tsx registered inside it first.
  const entry = import.meta.url.endsWith('.ts') ? './prefetch-worker-tsx.mjs' : './prefetch-worker.js';
  const worker = new Worker(new URL(entry, import.meta.url), { workerData: { dir: ds.dir, opts, depth } });
  const queue: Message[] = [];
  let failure: Error | null = null;
  let finished = false;
  let notify: (() => void) | null = null;
  const wakeUp = () => {
    const n = notify;
    notify = null;
    n?.();
  };
  worker.on('message', (m: Message) => { queue.push(m); wakeUp(); });
  worker.on('error', (e: Error) => { failure ??= e; wakeUp(); });
  worker.on('exit', (code: number) => {
    if (!finished) failure ??= new Error(`batch prefetch worker stopped unexpectedly (exit code ${code})`);
    wakeUp();
  });
  try {
    for (;;) {
      while (queue.length === 0 && !failure) await new Promise<void>((r) => (notify = r));
      const m = queue.shift();
      if (!m) throw failure!;
      if (m.type === 'end') return;
      if (m.type === 'error') throw m.name === 'DatasetError' ? new DatasetError(m.message) : new Error(`batch prefetch worker: ${m.message}`);
      worker.postMessage('more');
      yield { images: m.images, params: m.params, indices: m.indices, size: m.size, ...(m.descriptors ? { descriptors: m.descriptors } : {}) };
    }
  } finally {
    finished = true;
    await worker.terminate();
  }
}
