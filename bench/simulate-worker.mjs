// Worker bootstrap for bench/simulate.bench.ts: module hooks from `--import tsx` do not reach
// worker threads on Node 20, so register tsx inside the worker before loading the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./simulate-worker.ts');
