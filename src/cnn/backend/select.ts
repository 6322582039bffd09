/**
 * Choosing and starting a TensorFlow.js backend: native TensorFlow (tfjs-node), wasm, or pure-JS cpu.
 *
 * tfjs keeps one active backend per process (global engine state), so this module is a thin, explicit
 * front for that global: callers get back the `tf` namespace to use, the backend's name and why it was
 * chosen.
 */
import { UserError } from '../../errors.js';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setTensorflowFastPaths } from './tensorflow-fast-paths.js';
import { registerWasmConv2DBackpropFilter } from './wasm-conv2d-backprop-filter.js';

/** A TensorFlow.js backend aggstem can run on, fastest first. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** What the caller asks for: a specific backend, or `auto` (the fastest one that works). */
export type BackendPreference = 'auto' | BackendName;

/** The backend that {@link initBackend} activated. */
export interface BackendInfo {
  /** Active backend. */
  name: BackendName;
  /** The project's single `@tensorflow/tfjs` namespace, now running on `name`. */
  tf: typeof tf;
  /** Human-readable reason for the choice (printed by the CLI), e.g. why native TensorFlow was skipped. */
  reason: string;
}

/** Options of {@link initBackend}. */
export interface BackendOptions {
  /**
   * Threads for native TensorFlow's intra-op pool (sets TF_NUM_INTRAOP_THREADS before TensorFlow starts;
   * an explicit environment variable wins). Default: TensorFlow's own choice (one per core). Has no
   * effect once TensorFlow has started in this process, nor on wasm (single-threaded in Node) or cpu.
   */
  intraOpThreads?: number;
  /** Threads for native TensorFlow's inter-op pool (TF_NUM_INTEROP_THREADS); same rules as above. */
  interOpThreads?: number;
  /**
   * Native TensorFlow only: use TensorFlow's fused ReluGrad for the ReLU gradient instead of tfjs's
   * seven-op composite (same values, a faster training step). Default true.
   */
  fastPaths?: boolean;
}

/** Thrown when a requested backend cannot be used; `backend` names it and the message says why. */
export class BackendUnavailableError extends UserError {
  override name = 'BackendUnavailableError';
  constructor(readonly backend: BackendName, message: string) {
    super(message);
  }
}

/** Whether the native binding is in place, found without loading it. */
export interface NativeStatus {
  /** The binding and TensorFlow libraries exist and tfjs-node shares the project's tfjs. */
  present: boolean;
  /** Why it is (not) present, in words. */
  reason: string;
  /** Where tfjs-node's loader looks for the binding (when tfjs-node is installed). */
  bindingPath?: string;
  /** The `@tensorflow/tfjs` file the project resolves. */
  tfjsPath: string;
  /** The `@tensorflow/tfjs` file tfjs-node resolves (must equal `tfjsPath`: one tfjs instance). */
  tfjsNodeTfjsPath?: string;
}

const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];
const requireHere = createRequire(import.meta.url);
const SETUP_HINT = 'run `npm run setup` (README, "TensorFlow backends")';

/**
 * Checks, without loading anything, whether tfjs-node's native binding is installed and whether
 * tfjs-node would share the project's `@tensorflow/tfjs` (one tfjs instance, so models and tensors
 * are interchangeable). The environment variable AGGSTEM_DISABLE_NATIVE=1 makes it report "absent"
 * (to compare backends, or to work around a broken native install).
 */
export function nativeTensorFlowStatus(): NativeStatus {
  const tfjsPath = requireHere.resolve('@tensorflow/tfjs');
  if (process.env.AGGSTEM_DISABLE_NATIVE === '1') {
    return { present: false, reason: 'disabled by AGGSTEM_DISABLE_NATIVE=1', tfjsPath };
  }
  let pkgPath: string;
  try {
    pkgPath = requireHere.resolve('@tensorflow/tfjs-node/package.json');
  } catch {
    return { present: false, reason: '@tensorflow/tfjs-node is not installed', tfjsPath };
  }
  const dir = dirname(pkgPath);
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string; binary?: { napi_versions?: number[] } };
  const napi = Math.max(...(pkg.binary?.napi_versions ?? [8]).filter((v) => v <= Number(process.versions.napi)));
  const bindingPath = join(dir, 'lib', `napi-v${napi}`, 'tfjs_binding.node');
  const tfjsNodeTfjsPath = createRequire(pkgPath).resolve('@tensorflow/tfjs');
  const base = { bindingPath, tfjsPath, tfjsNodeTfjsPath };
  if (tfjsNodeTfjsPath !== tfjsPath) {
    return { ...base, present: false, reason: `@tensorflow/tfjs-node ${pkg.version} resolves its own @tensorflow/tfjs (${tfjsNodeTfjsPath}) instead of the project's (${tfjsPath}); align the versions and run \`npm dedupe\`` };
  }
  if (!existsSync(bindingPath)) {
    return { ...base, present: false, reason: `the native binding ${bindingPath} is missing; ${SETUP_HINT}` };
  }
  if (process.platform === 'linux' && !existsSync(join(dir, 'deps', 'lib', 'libtensorflow_framework.so.2'))) {
    return { ...base, present: false, reason: `the TensorFlow libraries in ${join(dir, 'deps', 'lib')} are missing; ${SETUP_HINT}` };
  }
  return { ...base, present: true, reason: `native binding present (@tensorflow/tfjs-node ${pkg.version})` };
}

// tfjs-node can be required once per process; remember the outcome (success or the reason it failed).
let nativeOutcome: { ok: true; detail: string } | { ok: false; reason: string } | undefined;

function loadNative(opts: BackendOptions): { ok: true; detail: string } | { ok: false; reason: string } {
  if (nativeOutcome) return nativeOutcome;
  const status = nativeTensorFlowStatus();
  if (!status.present) return (nativeOutcome = { ok: false, reason: status.reason });
  // TensorFlow reads these when it starts; the binding starts it at load time.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  if (opts.intraOpThreads !== undefined) process.env.TF_NUM_INTRAOP_THREADS ??= String(opts.intraOpThreads);
  if (opts.interOpThreads !== undefined) process.env.TF_NUM_INTEROP_THREADS ??= String(opts.interOpThreads);
  try {
    const node = requireHere('@tensorflow/tfjs-node') as { version: Record<string, string> };
    const be = tf.findBackend('tensorflow') as unknown as { binding?: { TF_Version?: string } } | null;
    const tfVersion = be?.binding?.TF_Version ?? 'unknown';
    nativeOutcome = { ok: true, detail: `native TensorFlow ${tfVersion} through @tensorflow/tfjs-node ${node.version['tfjs-node'] ?? ''}`.trim() };
  } catch (e) {
    const msg = String((e as Error).message ?? e).split('\n')[0];
    nativeOutcome = { ok: false, reason: `loading @tensorflow/tfjs-node failed: ${msg}; ${SETUP_HINT}` };
  }
  return nativeOutcome;
}

async function activate(name: BackendName, opts: BackendOptions = {}): Promise<void> {
  if (name === 'tensorflow') setTensorflowFastPaths(opts.fastPaths ?? true);
  if (name === 'wasm') {
    registerWasmConv2DBackpropFilter();
    await import('@tensorflow/tfjs-backend-wasm'); // registers the 'wasm' backend factory
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new BackendUnavailableError(name, `backend "${name}" failed to start: ${(e as Error).message}`);
  }
  if (!ok) throw new BackendUnavailableError(name, `backend "${name}" failed to start (tf.setBackend returned false)`);
  await tf.ready();
  silenceCpuBanner();
}

/**
 * The pure-JS cpu backend prints a "you are running TensorFlow.js in Node.js, install tfjs-node" banner
 * on first use. aggstem chooses backends itself and reports why, so the banner is only noise.
 */
function silenceCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

/**
 * Activates a TensorFlow.js backend and returns it with the reason for the choice.
 *
 * `auto` tries native TensorFlow (@tensorflow/tfjs-node, built by `npm run setup`), then wasm
 * (@tensorflow/tfjs-backend-wasm with aggstem's Conv2DBackpropFilter kernel, single-threaded in Node),
 * then the pure-JS cpu backend (very slow; fine for tiny tests). Naming a backend forces it and throws
 * {@link BackendUnavailableError} when it cannot run. Native TensorFlow's log spam is silenced
 * (TF_CPP_MIN_LOG_LEVEL=2 unless set). tfjs has one active backend per process: calling this again
 * switches it (tensors follow lazily).
 */
export async function initBackend(pref: BackendPreference = 'auto', opts: BackendOptions = {}): Promise<BackendInfo> {
  if (pref !== 'auto' && !BACKENDS.includes(pref)) {
    throw new RangeError(`initBackend: backend "${String(pref)}" is not one of auto, ${BACKENDS.join(', ')}`);
  }
  for (const k of ['intraOpThreads', 'interOpThreads'] as const) {
    const v = opts[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new RangeError(`initBackend: ${k} must be an integer >= 0, got ${v}`);
  }
  if (pref === 'tensorflow') {
    const n = loadNative(opts);
    if (!n.ok) throw new BackendUnavailableError('tensorflow', `backend "tensorflow" (native TensorFlow) is not available: ${n.reason}`);
    await activate('tensorflow', opts);
    return { name: 'tensorflow', tf, reason: `requested; ${n.detail}` };
  }
  if (pref === 'wasm' || pref === 'cpu') {
    await activate(pref);
    return { name: pref, tf, reason: `requested; ${describe(pref)}` };
  }
  const skipped: string[] = [];
  const n = loadNative(opts);
  if (n.ok) {
    try {
      await activate('tensorflow', opts);
      return { name: 'tensorflow', tf, reason: `auto: ${n.detail}` };
    } catch (e) {
      skipped.push(`native TensorFlow: ${(e as Error).message}`);
    }
  } else {
    skipped.push(`native TensorFlow unavailable (${n.reason})`);
  }
  try {
    await activate('wasm');
    return { name: 'wasm', tf, reason: `auto: ${describe('wasm')}; ${skipped.join('; ')}` };
  } catch (e) {
    skipped.push(`wasm: ${(e as Error).message}`);
  }
  await activate('cpu');
  return { name: 'cpu', tf, reason: `auto: ${describe('cpu')}; ${skipped.join('; ')}` };
}

function describe(name: 'wasm' | 'cpu'): string {
  return name === 'wasm'
    ? 'tfjs wasm backend (XNNPACK, SIMD, one thread in Node) with aggstem\'s Conv2DBackpropFilter kernel'
    : 'tfjs pure-JS cpu backend (very slow: for tiny models and tests)';
}
