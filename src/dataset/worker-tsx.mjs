// Worker entry used only when aggstem runs from its TypeScript sources (tests, `node --import tsx`).
// On Node 20, module hooks registered by `--import tsx` do not reach worker threads reliably:
// piscina's import of worker.ts then fails with ERR_UNKNOWN_FILE_EXTENSION whenever the module graph
// includes an ESM-only package. Registering tsx inside the worker first avoids that. piscina awaits
// a promise-valued default export, so no top-level await is needed. The compiled build (dist/)
// points piscina at worker.js directly and never loads this file.
import { register } from 'tsx/esm/api';

register();
export default import('./worker.ts').then((m) => m.default);
