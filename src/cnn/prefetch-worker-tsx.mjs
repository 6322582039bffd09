// Worker entry used only when aggstem runs from its TypeScript sources (tests, `node --import tsx`):
// module hooks registered by `--import tsx` do not reliably reach worker threads on Node 20, so tsx
// is registered inside the worker first (as src/dataset/worker-tsx.mjs does). The compiled build
// starts prefetch-worker.js directly and never loads this file.
import { register } from 'tsx/esm/api';

register();
await import('./prefetch-worker.ts');
