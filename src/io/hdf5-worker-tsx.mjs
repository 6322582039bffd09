// Worker entry used only when aggstem runs from its TypeScript sources (see
// src/dataset/worker-tsx.mjs for why tsx is registered inside the worker).
import { register } from 'tsx/esm/api';

register();
await import('./hdf5-worker.ts');
