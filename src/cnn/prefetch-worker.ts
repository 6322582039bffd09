/**
 * Worker thread of {@link prefetchBatches}: opens the dataset and runs its batch generator, posting
 * each batch (buffers transferred, not copied) while the main thread trains. The main thread grants
 * credits ("more") so at most `depth` batches wait in the queue.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { batches, openDataset, type BatchOptions } from '../dataset/index.js';

interface PrefetchWorkerData {
  dir: string;
  opts: BatchOptions;
  depth: number;
}

const port = parentPort!;
const { dir, opts, depth } = workerData as PrefetchWorkerData;
let credits = depth;
let wake: (() => void) | null = null;
port.on('message', (m: unknown) => {
  if (m === 'more') {
    credits++;
    const w = wake;
    wake = null;
    w?.();
  }
});

async function produce(): Promise<void> {
  try {
    const ds = openDataset(dir);
    for (const b of batches(ds, opts)) {
      while (credits === 0) await new Promise<void>((r) => (wake = r));
      credits--;
      const transfer = [b.images.buffer, b.params.buffer, b.indices.buffer, ...(b.descriptors ? [b.descriptors.buffer] : [])] as ArrayBuffer[];
      port.postMessage({ type: 'batch', images: b.images, params: b.params, indices: b.indices, descriptors: b.descriptors, size: b.size }, transfer);
    }
    port.postMessage({ type: 'end' });
  } catch (e) {
    const err = e as Error;
    port.postMessage({ type: 'error', name: err.name, message: err.message });
  }
}

void produce();
