/**
 * Training and inference speed of the reference network (docs/backends.md) on every
 * available tfjs backend and on PyTorch, in one run on one machine.
 *
 *   npm run bench train          (or: node --import tsx bench/run.ts train)
 *
 * Network: input 128×128×1 → 4 × [conv 3×3 'same' + ReLU → max-pool 2×2] (16, 32, 64, 64 filters) →
 * global average pool → dense 5; batch 32; Adam; MSE; synthetic pre-made data. Each measurement runs
 * in its own process (bench/train-worker.ts; bench/train_torch.py for PyTorch). The cpu backend is
 * measured on one small step only (it is ~1000× slower).
 *
 * PyTorch comes from a cached virtual environment `.venv-bench/` (gitignored), created on first use
 * with `pip install torch==2.13.* numpy` (the local index / wheel cache here, PyPI elsewhere), or from
 * $AGGSTEM_BENCH_PYTHON. AGGSTEM_BENCH_QUICK=1 runs fewer steps and configurations.
 *
 * The machine is shared, so the load average is recorded before and after; the tfjs-node/PyTorch ratio
 * uses the best of the interleaved repeats of each (PyTorch: default threads or one thread), and
 * images per CPU-second are reported beside images per second.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeTensorFlowStatus } from '../src/cnn/backend/index.js';
import type { WorkerOptions } from './train-worker.js';

const here = fileURLToPath(new URL('.', import.meta.url));
// bench/ (tsx) and dist/bench/ (compiled) sit at different depths: the project root holds package.json.
const root = ((): string => {
  let dir = here;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();
const isTs = import.meta.url.endsWith('.ts');
const quick = process.env.AGGSTEM_BENCH_QUICK === '1';

interface Measurement {
  label: string;
  backend: string;
  trainImagesPerSec?: number;
  inferMsPerImage?: number | null;
  error?: string;
  [k: string]: unknown;
}

function runWorker(label: string, opts: WorkerOptions, env: Record<string, string> = {}): Measurement {
  const worker = join(here, `train-worker.${isTs ? 'ts' : 'js'}`);
  const argv = [...(isTs ? ['--import', 'tsx'] : []), worker, JSON.stringify(opts)];
  console.error(`  ${label} ...`);
  const r = spawnSync(process.execPath, argv, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30 * 60_000 });
  return parse(label, opts.backend, r.status, r.stdout, r.stderr);
}

function parse(label: string, backend: string, status: number | null, stdout: string, stderr: string): Measurement {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
  if (status !== 0 || !line) {
    const err = stderr.trim().split('\n').filter((l) => !/absl::InitializeLog|oneDNN custom operations/.test(l)).slice(-3).join(' | ');
    return { label, backend, error: err || `exit ${status}` };
  }
  return { label, ...(JSON.parse(line) as object), backend } as Measurement;
}

/** A python with torch: $AGGSTEM_BENCH_PYTHON, or the cached .venv-bench (created when missing). */
function torchPython(): { python?: string; error?: string } {
  const explicit = process.env.AGGSTEM_BENCH_PYTHON;
  if (explicit) return { python: explicit };
  const venv = join(root, '.venv-bench');
  const python = join(venv, 'bin', 'python');
  const hasTorch = () => existsSync(python) && spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
  if (hasTorch()) return { python };
  console.error(`  creating ${venv} with torch==2.13.* (one-off, ~1 GB) ...`);
  const mk = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8' });
  if (mk.status !== 0) return { error: `python3 -m venv failed: ${mk.stderr || mk.error?.message}` };
  const pip = spawnSync(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', 'torch==2.13.*', 'numpy'], { encoding: 'utf8', timeout: 30 * 60_000 });
  if (pip.status !== 0 || !hasTorch()) return { error: `pip install torch==2.13.* failed: ${(pip.stderr || '').trim().split('\n').slice(-2).join(' ')}` };
  return { python };
}

function runTorch(label: string, python: string, opts: object): Measurement {
  console.error(`  ${label} ...`);
  const r = spawnSync(python, [join(root, 'bench', 'train_torch.py'), JSON.stringify(opts)], { cwd: root, encoding: 'utf8', timeout: 30 * 60_000 });
  return parse(label, 'pytorch', r.status, r.stdout, r.stderr);
}

const best = (ms: Measurement[]): Measurement | undefined =>
  ms.filter((m) => m.trainImagesPerSec !== undefined).sort((a, b) => b.trainImagesPerSec! - a.trainImagesPerSec!)[0];

export async function run(): Promise<object> {
  const loadBefore = os.loadavg();
  const t0 = Date.now();
  const steps = quick ? 6 : 20;
  const base = { batch: 32, warmupSteps: 3, steps, inferIters: quick ? 3 : 10 };
  const runs: Measurement[] = [];
  const native = nativeTensorFlowStatus();
  const torch = torchPython();

  // The headline numbers, interleaved (A B C A B C) so that load changes hit all alike. PyTorch runs
  // with its default threads (one per core) and with one thread: under load from other processes its
  // OpenMP threads lose far more than TensorFlow's pool, so the fair comparison is with its best.
  const nodeDefault: Measurement[] = [];
  const torchDefault: Measurement[] = [];
  const torchOne: Measurement[] = [];
  for (let rep = 0; rep < (quick ? 1 : 2); rep++) {
    if (native.present) nodeDefault.push(runWorker(`tfjs-node fit, TF defaults (#${rep + 1})`, { ...base, backend: 'tensorflow', mode: 'fit' }));
    if (torch.python) {
      torchDefault.push(runTorch(`PyTorch, default threads (#${rep + 1})`, torch.python, base));
      torchOne.push(runTorch(`PyTorch, 1 thread (#${rep + 1})`, torch.python, { ...base, threads: 1 }));
    }
  }
  runs.push(...nodeDefault, ...torchDefault, ...torchOne);
  if (!torch.python) runs.push({ label: 'PyTorch', backend: 'pytorch', error: torch.error });
  if (!native.present) runs.push({ label: 'tfjs-node', backend: 'tensorflow', error: native.reason });

  // What else was tried to make tfjs-node faster.
  const variants: Measurement[] = [];
  if (native.present) {
    variants.push(runWorker('tfjs-node custom loop (tidy + optimizer.minimize)', { ...base, backend: 'tensorflow', mode: 'loop' }));
    variants.push(runWorker('tfjs-node fit, stock tfjs ReLU gradient (fast paths off)', { ...base, backend: 'tensorflow', mode: 'fit', fastPaths: false }));
    if (!quick) {
      variants.push(runWorker('tfjs-node trainOnBatch', { ...base, backend: 'tensorflow', mode: 'trainOnBatch' }));
      variants.push(runWorker('tfjs-node fit, intra-op 2 / inter-op 1 threads', { ...base, backend: 'tensorflow', mode: 'fit' }, { TF_NUM_INTRAOP_THREADS: '2', TF_NUM_INTEROP_THREADS: '1' }));
      variants.push(runWorker('tfjs-node fit, intra-op 1 / inter-op 1 threads', { ...base, backend: 'tensorflow', mode: 'fit' }, { TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '1' }));
      variants.push(runWorker('tfjs-node fit, oneDNN off', { ...base, backend: 'tensorflow', mode: 'fit' }, { TF_ENABLE_ONEDNN_OPTS: '0' }));
      variants.push(runWorker('tfjs-node fit, batch 64', { ...base, batch: 64, steps: Math.ceil(steps / 2), backend: 'tensorflow', mode: 'fit' }));
    }
    runs.push(...variants);
  }

  // The project's own estimator network (src/cnn, `quick` preset: residual, batch norm, 128 px).
  const estimator: Measurement[] = [];
  if (native.present) estimator.push(runWorker('estimator (quick network) on tfjs-node', { ...base, backend: 'tensorflow', mode: 'estimator' }));
  estimator.push(runWorker('estimator (quick network) on wasm', { ...base, warmupSteps: 1, steps: quick ? 2 : 4, inferIters: 2, backend: 'wasm', mode: 'estimator' }));
  runs.push(...estimator);

  // wasm (one thread in Node) and the pure-JS cpu backend: few steps, they are slow.
  runs.push(runWorker('tfjs wasm fit (im2col + XNNPACK filter gradient)', { ...base, warmupSteps: 1, steps: quick ? 2 : 4, inferIters: 2, backend: 'wasm', mode: 'fit', wasmFilterGrad: 'auto' }));
  if (!quick) runs.push(runWorker('tfjs wasm fit (direct JS filter gradient)', { ...base, warmupSteps: 1, steps: 2, inferIters: 0, backend: 'wasm', mode: 'fit', wasmFilterGrad: 'direct' }));
  runs.push(runWorker('tfjs cpu fit (1 step of 2 images)', { batch: 2, warmupSteps: 0, steps: 1, inferIters: 1, backend: 'cpu', mode: 'fit' }));

  const bestNode = best([...nodeDefault, ...variants]);
  const bestNodeDefault = best(nodeDefault);
  const bestTorch = best([...torchDefault, ...torchOne]);
  const ratio = (a?: Measurement, b?: Measurement) =>
    a?.trainImagesPerSec && b?.trainImagesPerSec ? +(a.trainImagesPerSec / b.trainImagesPerSec).toFixed(3) : null;

  const summary = {
    network: 'input 128x128x1; 4 x [conv3x3 same + relu, maxpool 2] filters 16-32-64-64; global avg pool; dense 5; Adam 1e-3; MSE',
    batch: 32,
    loadAverage: { before: loadBefore.map((l) => +l.toFixed(2)), after: os.loadavg().map((l) => +l.toFixed(2)) },
    cpus: os.cpus().length,
    native: native.reason,
    headline: {
      tfjsNodeImagesPerSec: bestNodeDefault?.trainImagesPerSec ?? null,
      tfjsNodeBestConfig: bestNode ? { label: bestNode.label, imagesPerSec: bestNode.trainImagesPerSec } : null,
      pytorchImagesPerSec: bestTorch?.trainImagesPerSec ?? null,
      pytorchBestConfig: bestTorch?.label ?? null,
      pytorchDefaultThreadsImagesPerSec: best(torchDefault)?.trainImagesPerSec ?? null,
      ratioTfjsNodeToPytorchDefaultThreads: ratio(bestNodeDefault, best(torchDefault)),
      // Images per CPU-second (all threads): the efficiency, less dependent on other load.
      tfjsNodeImagesPerCpuSec: bestOf(nodeDefault, 'trainImagesPerCpuSec'),
      pytorchImagesPerCpuSec: bestOf([...torchDefault, ...torchOne], 'trainImagesPerCpuSec'),
      ratioPerCpuSec: perCpuRatio(nodeDefault, [...torchDefault, ...torchOne]),
      // How many threads each keeps busy (CPU time of all threads / busiest thread): load-independent.
      tfjsNodeThreadParallelism: bestOf(nodeDefault, 'threadParallelism'),
      pytorchThreadParallelism: bestOf(torchDefault, 'threadParallelism'),
      ratioTfjsNodeToPytorch: ratio(bestNodeDefault, bestTorch),
      ratioBestTfjsNodeToPytorch: ratio(bestNode, bestTorch),
      tfjsNodeInferMsPerImage: bestNodeDefault?.inferMsPerImage ?? null,
      pytorchInferMsPerImage: bestTorch?.inferMsPerImage ?? null,
      estimator: estimator.map((m) => ({ backend: m.backend, trainImagesPerSec: m.trainImagesPerSec ?? null, inferMsPerImage: m.inferMsPerImage ?? null, ...(m.error ? { error: m.error } : {}) })),
    },
    runs: runs.map(({ label, backend, trainImagesPerSec, inferMsPerImage, error, ...rest }) =>
      ({ label, backend, trainImagesPerSec, inferMsPerImage, ...(error ? { error } : {}), ...pick(rest, ['trainImagesPerCpuSec', 'threadParallelism', 'batch', 'steps', 'secondsPerStep', 'finalLoss', 'threads', 'torch', 'fastPaths', 'reason']) })),
    seconds: Math.round((Date.now() - t0) / 1000),
  };
  return summary;
}

function bestOf(ms: Measurement[], key: string): number | null {
  const v = ms.map((m) => m[key]).filter((x): x is number => typeof x === 'number');
  return v.length ? Math.max(...v) : null;
}

function perCpuRatio(a: Measurement[], b: Measurement[]): number | null {
  const x = bestOf(a, 'trainImagesPerCpuSec');
  const y = bestOf(b, 'trainImagesPerCpuSec');
  return x && y ? +(x / y).toFixed(3) : null;
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}
