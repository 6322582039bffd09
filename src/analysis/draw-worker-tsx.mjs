// Worker entry used only when aggstem runs from its TypeScript sources (tests, `node --import tsx`):
// tsx's hooks do not reach worker threads reliably on Node 20, so register them here first (same
// reason as src/dataset/worker-tsx.mjs). The compiled build uses draw-worker.js directly.
import { register } from 'tsx/esm/api';

register();
export default import('./draw-worker.ts').then((m) => m.default);
