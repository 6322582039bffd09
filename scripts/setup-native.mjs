#!/usr/bin/env node
// Native TensorFlow for @tensorflow/tfjs-node without its download (see README "TensorFlow backends").
//
// tfjs-node's own install script downloads libtensorflow from Google's storage, which fails offline, so
// package.json denies that script (allowScripts) and this script provides the native part instead:
// it builds tfjs-node's N-API binding against the TensorFlow C library shipped inside the TensorFlow pip
// wheel (or an existing Python TensorFlow install), keeps the result in a cache OUTSIDE node_modules
// (<project>/.native or $AGGSTEM_NATIVE_DIR) and links it into node_modules/@tensorflow/tfjs-node.
// `npm install` / `npm ci` run it (root postinstall), so a wiped node_modules is re-linked in seconds.
//
// It never fails the install: when no source is available or the build fails it says why and exits 0,
// and the project falls back to the wasm backend. `--check` is the strict form for CI (exit 1 when the
// native backend does not load).
//
// Usage: node scripts/setup-native.mjs [--force] [--check] [--quiet]
// Environment:
//   AGGSTEM_NATIVE_DIR   cache directory (default <project>/.native)
//   AGGSTEM_SKIP_NATIVE  set to 1 to skip (wasm fallback)
//   AGGSTEM_TF_VERSION   TensorFlow version to fetch with pip (default 2.21.0)
//   AGGSTEM_TF_WHEEL     path to a TensorFlow wheel (.whl) to use instead of pip download
//   AGGSTEM_TF_DIR       path to an installed `tensorflow` Python package directory to use
//   AGGSTEM_PYTHON       python executable for pip / locating an installed TensorFlow (default python3)
import { spawnSync } from 'node:child_process';
import {
  chmodSync, closeSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync,
  readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TAG = '[aggstem native]';
const DEFAULT_TF_VERSION = '2.21.0';
const STAMP_FORMAT = 3;
const LIBS = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];

const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (!['--force', '--check', '--quiet', '--help', '-h'].includes(a)) {
    console.error(`${TAG} unknown option ${a}; expected --force, --check, --quiet`);
    process.exit(2);
  }
}
if (args.has('--help') || args.has('-h')) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
  process.exit(0);
}
const quiet = args.has('--quiet');
const log = (msg) => { if (!quiet) console.log(`${TAG} ${msg}`); };
const warn = (msg) => console.log(`${TAG} ${msg}`);

const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tfjsNodeDir = join(projectDir, 'node_modules', '@tensorflow', 'tfjs-node');
const nativeDir = resolve(process.env.AGGSTEM_NATIVE_DIR || join(projectDir, '.native'));

class SetupError extends Error {}

function main() {
  if (args.has('--check')) return check();
  if (process.env.AGGSTEM_SKIP_NATIVE === '1') {
    log('AGGSTEM_SKIP_NATIVE=1: skipping native TensorFlow; aggstem will use the wasm backend.');
    return 0;
  }
  try {
    setup();
  } catch (e) {
    const why = e instanceof SetupError ? e.message : (e && e.stack) || String(e);
    warn(`native TensorFlow is NOT available: ${why}`);
    warn('aggstem will fall back to the wasm backend (about 7x slower training). Fix the cause and run `npm run setup`.');
  }
  return 0; // never fail npm install
}

/** Strict check for CI: does tfjs-node load with the native binding? */
function check() {
  const r = verifyLoads();
  if (r.ok) {
    console.log(`${TAG} OK: native TensorFlow ${r.info.tensorflow} loads through @tensorflow/tfjs-node ${r.info.tfjsNode} (backend ${r.info.backend}).`);
    return 0;
  }
  console.error(`${TAG} FAILED: the native TensorFlow backend does not load: ${r.reason}`);
  console.error(`${TAG} Run \`npm run setup\` and read its messages.`);
  return 1;
}

function setup() {
  if (!existsSync(join(tfjsNodeDir, 'package.json'))) {
    throw new SetupError('@tensorflow/tfjs-node is not installed in node_modules (was it omitted?).');
  }
  if (process.platform !== 'linux') {
    throw new SetupError(`building from the pip wheel is scripted for Linux only (this is ${process.platform}); ` +
      'on this platform allow tfjs-node\'s own install script instead (remove its "allowScripts" entry) if you have internet.');
  }
  const pkg = JSON.parse(readFileSync(join(tfjsNodeDir, 'package.json'), 'utf8'));
  const napi = napiBuildVersion(pkg);
  const bindingRel = join('lib', `napi-v${napi}`, 'tfjs_binding.node');
  const cacheDir = join(nativeDir, `tfjs-node-${pkg.version}-napi-v${napi}-${process.platform}-${process.arch}`);
  const wantTf = process.env.AGGSTEM_TF_VERSION || null;

  // tfjs-node's own download (a user who allowed its install script): leave it alone.
  const installed = join(tfjsNodeDir, bindingRel);
  if (existsSync(installed) && !lstatSync(installed).isSymbolicLink() && !args.has('--force')) {
    const r = verifyLoads();
    if (r.ok) {
      log(`tfjs-node already has its own native binding (TensorFlow ${r.info.tensorflow}); nothing to do.`);
      return;
    }
  }

  const stamp = readStamp(cacheDir);
  if (cacheValid(stamp, pkg, napi, cacheDir, bindingRel, wantTf) && !args.has('--force')) {
    const changed = link(cacheDir, bindingRel);
    const r = verifyLoads(); // about a second; catches a damaged cache
    if (r.ok) {
      log(changed ? `linked native TensorFlow ${stamp.tensorflow} from the cache ${cacheDir} into node_modules.`
        : `native TensorFlow ${stamp.tensorflow} already linked from ${cacheDir}.`);
      return;
    }
    warn(`the cached build does not load (${r.reason}); rebuilding.`);
  }

  const force = args.has('--force') || cacheValid(stamp, pkg, napi, cacheDir, bindingRel, wantTf); // valid but broken
  if (process.env.AGGSTEM_NATIVE_DIR) log(`building into AGGSTEM_NATIVE_DIR=${nativeDir}`);
  withLock(() => build(pkg, napi, bindingRel, cacheDir, wantTf, force));
  link(cacheDir, bindingRel);
  const r = verifyLoads();
  if (!r.ok) throw new SetupError(`the new build does not load: ${r.reason}`);
  log(`done: native TensorFlow ${r.info.tensorflow} works through @tensorflow/tfjs-node ${pkg.version}.`);
}

/** The N-API version node-pre-gyp will look for: the highest one both the package and this Node support. */
function napiBuildVersion(pkg) {
  const ours = Number(process.versions.napi);
  const cands = (pkg.binary?.napi_versions ?? []).filter((v) => v <= ours);
  if (cands.length === 0) throw new SetupError(`this Node (N-API ${ours}) supports none of tfjs-node's N-API versions`);
  return Math.max(...cands);
}

/** Whether the cache holds a complete build for this tfjs-node, N-API version, platform and (if asked) TF version. */
function cacheValid(stamp, pkg, napi, cacheDir, bindingRel, wantTf) {
  return Boolean(stamp) && stamp.format === STAMP_FORMAT && stamp.tfjsNode === pkg.version && stamp.napi === napi &&
    stamp.platform === process.platform && stamp.arch === process.arch &&
    (!wantTf || stamp.tensorflow === wantTf) &&
    existsSync(join(cacheDir, bindingRel)) && LIBS.every((l) => existsSync(join(cacheDir, 'deps', 'lib', l)));
}

function readStamp(cacheDir) {
  try {
    return JSON.parse(readFileSync(join(cacheDir, 'stamp.json'), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Points node_modules/@tensorflow/tfjs-node/{deps, lib/napi-vN/tfjs_binding.node} at the cache with
 * symlinks (npm removes symlinks without following them, so the cache survives `npm ci`).
 * Returns whether anything changed.
 */
function link(cacheDir, bindingRel) {
  let changed = false;
  const pairs = [
    [join(tfjsNodeDir, 'deps'), join(cacheDir, 'deps')],
    [join(tfjsNodeDir, bindingRel), join(cacheDir, bindingRel)],
  ];
  for (const [at, absTarget] of pairs) {
    // Relative inside the project (survives moving the project), absolute for an outside cache.
    const inside = !relative(projectDir, absTarget).startsWith('..');
    const target = inside ? relative(dirname(at), absTarget) : absTarget;
    let current = null;
    try {
      current = lstatSync(at).isSymbolicLink() ? readlinkSync(at) : '(not a link)';
    } catch { /* missing */ }
    if (current === target) continue;
    rmSync(at, { recursive: true, force: true });
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(target, at);
    changed = true;
  }
  return changed;
}

/** Loads tfjs-node in a child process (a failed dlopen must not take this process down). */
function verifyLoads() {
  const code = `
    process.env.TF_CPP_MIN_LOG_LEVEL = '2';
    const tf = require('@tensorflow/tfjs-node');
    const s = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0];
    if (s !== 11) throw new Error('matMul gave ' + s);
    console.log(JSON.stringify({ backend: tf.getBackend(), tfjsNode: tf.version['tfjs-node'],
      tensorflow: tf.backend().binding.TF_Version }));`;
  const r = spawnSync(process.execPath, ['-e', code], { cwd: projectDir, encoding: 'utf8', timeout: 120_000 });
  if (r.status === 0) {
    try {
      return { ok: true, info: JSON.parse(r.stdout.trim().split('\n').pop()) };
    } catch { /* fall through */ }
  }
  const err = (r.stderr || r.error?.message || '').split('\n').find((l) => /Error|error:/.test(l)) || `exit status ${r.status}`;
  return { ok: false, reason: err.trim() };
}

/** Exclusive lock in the cache dir, so two concurrent installs do not build at the same time. */
function withLock(fn) {
  mkdirSync(nativeDir, { recursive: true });
  const lockPath = join(nativeDir, '.lock');
  let fd = -1;
  for (let attempt = 0; fd < 0; attempt++) {
    try {
      fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(lockPath, 'utf8')) || 0;
      if (!holder || !pidAlive(holder)) {
        rmSync(lockPath, { force: true }); // stale lock from a killed run
        continue;
      }
      if (attempt === 0) log(`another set-up (pid ${holder}) is building; waiting for it...`);
      spawnSync('sleep', ['2']);
    }
  }
  try {
    return fn();
  } finally {
    closeSync(fd);
    rmSync(lockPath, { force: true });
  }
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function build(pkg, napi, bindingRel, cacheDir, wantTf, force) {
  // A concurrent run may have finished the build while we waited for the lock.
  if (!force && cacheValid(readStamp(cacheDir), pkg, napi, cacheDir, bindingRel, wantTf)) return;
  const tfVersion = wantTf || DEFAULT_TF_VERSION;

  const staging = mkdtempSync(join(nativeDir, '.staging-'));
  const tmp = mkdtempSync(join(tmpdir(), 'aggstem-native-'));
  try {
    // 1. The binding's sources, outside node_modules (npm may replace that directory at any time).
    for (const f of ['binding.gyp', 'package.json']) copyFileSync(join(tfjsNodeDir, f), join(staging, f));
    mkdirSync(join(staging, 'binding'));
    for (const f of readdirSync(join(tfjsNodeDir, 'binding'))) copyFileSync(join(tfjsNodeDir, 'binding', f), join(staging, 'binding', f));

    // 2. Headers and libraries from the wheel or an installed TensorFlow.
    const src = findTensorFlow(tfVersion, tmp);
    log(`using ${src.description}`);
    const include = join(staging, 'deps', 'include');
    const lib = join(staging, 'deps', 'lib');
    mkdirSync(lib, { recursive: true });
    if (src.wheel) {
      log('unpacking headers and the two shared libraries (about 1.1 GB) ...');
      unzip(src.wheel, ['tensorflow/include/*', ...LIBS.map((l) => `tensorflow/${l}`)], join(tmp, 'unpacked'));
      rmSync(src.wheel, { force: true }); // 270 MB we no longer need
      const tfRoot = join(tmp, 'unpacked', 'tensorflow');
      renameOrCopy(join(tfRoot, 'include'), include);
      for (const l of LIBS) renameOrCopy(join(tfRoot, l), join(lib, l));
    } else {
      log(`copying the two shared libraries (about 850 MB) from ${src.dir} ...`);
      symlinkSync(join(src.dir, 'include'), include); // headers are only needed during the build
      for (const l of LIBS) copyFileSync(join(src.dir, l), join(lib, l));
    }
    for (const l of LIBS) chmodSync(join(lib, l), 0o755);
    // binding.gyp links -ltensorflow -ltensorflow_framework; libtensorflow_cc.so.2 exports the C and eager C APIs.
    symlinkSync('libtensorflow_cc.so.2', join(lib, 'libtensorflow.so'));
    symlinkSync('libtensorflow_framework.so.2', join(lib, 'libtensorflow_framework.so'));
    checkHeaders(include);

    // 3. Compile the binding.
    nodeGypRebuild(staging, napi);
    const built = join(staging, 'build', 'Release', 'tfjs_binding.node');
    if (!existsSync(built)) throw new SetupError(`node-gyp finished but ${relative(projectDir, built)} is missing`);

    // 4. Keep only what runs: the binding and the two libraries (+ links); headers and objects go.
    const final = join(staging, 'final');
    mkdirSync(join(final, dirname(bindingRel)), { recursive: true });
    renameSync(built, join(final, bindingRel));
    mkdirSync(join(final, 'deps'));
    renameSync(lib, join(final, 'deps', 'lib'));
    writeFileSync(join(final, 'stamp.json'), JSON.stringify({
      format: STAMP_FORMAT, tfjsNode: pkg.version, napi, tensorflow: src.version, source: src.description,
      platform: process.platform, arch: process.arch, node: process.version, builtAt: new Date().toISOString(),
    }, null, 2) + '\n');
    rmSync(cacheDir, { recursive: true, force: true });
    renameSync(final, cacheDir);
    log(`built ${join(cacheDir, bindingRel)} (cache: ${sizeMB(cacheDir)} MB)`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Where the TensorFlow C library comes from, in order: $AGGSTEM_TF_DIR, $AGGSTEM_TF_WHEEL, an installed
 * Python TensorFlow, `pip download` of tensorflow-cpu (local index here, PyPI elsewhere).
 */
function findTensorFlow(tfVersion, tmp) {
  const envDir = process.env.AGGSTEM_TF_DIR;
  if (envDir) {
    if (!isTfDir(envDir)) throw new SetupError(`AGGSTEM_TF_DIR=${envDir} does not contain include/ and ${LIBS.join(', ')}`);
    return { dir: resolve(envDir), version: tfDirVersion(envDir) ?? 'unknown', description: `TensorFlow at AGGSTEM_TF_DIR=${envDir}` };
  }
  const envWheel = process.env.AGGSTEM_TF_WHEEL;
  if (envWheel) {
    if (!existsSync(envWheel)) throw new SetupError(`AGGSTEM_TF_WHEEL=${envWheel} does not exist`);
    const copy = join(tmp, 'wheel.whl'); // we delete the wheel after unpacking; never the user's file
    copyFileSync(envWheel, copy);
    return { wheel: copy, version: wheelVersion(envWheel) ?? 'unknown', description: `the wheel AGGSTEM_TF_WHEEL=${envWheel}` };
  }
  const python = process.env.AGGSTEM_PYTHON || 'python3';
  const installed = installedTensorFlow(python);
  if (installed && (!process.env.AGGSTEM_TF_VERSION || installed.version === tfVersion)) {
    return { dir: installed.dir, version: installed.version, description: `the installed Python TensorFlow ${installed.version} at ${installed.dir}` };
  }
  const dl = join(tmp, 'wheel');
  log(`downloading the tensorflow-cpu==${tfVersion} wheel (about 270 MB) with pip into ${dl} ...`);
  const base = ['-m', 'pip', 'download', '--no-deps', '--no-cache-dir', '--disable-pip-version-check', '-d', dl];
  let r = run(python, [...base, `tensorflow-cpu==${tfVersion}`]);
  if (r.status !== 0) {
    // The libraries do not depend on the Python version: accept a wheel built for another CPython.
    r = run(python, [...base, '--only-binary=:all:', '--python-version', '3.11', `tensorflow-cpu==${tfVersion}`]);
  }
  if (r.error) throw new SetupError(`cannot run ${python} (${r.error.message}); install Python 3 with pip, or set AGGSTEM_TF_WHEEL / AGGSTEM_TF_DIR`);
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').slice(-2).join(' ');
    throw new SetupError(`pip could not download tensorflow-cpu==${tfVersion}: ${last || `exit ${r.status}`}`);
  }
  const whl = existsSync(dl) ? readdirSync(dl).find((f) => f.endsWith('.whl')) : undefined;
  if (!whl) throw new SetupError(`pip reported success but left no wheel in ${dl}`);
  return { wheel: join(dl, whl), version: wheelVersion(whl) ?? tfVersion, description: `the pip wheel ${whl}` };
}

function isTfDir(dir) {
  return existsSync(join(dir, 'include', 'tensorflow', 'c', 'c_api.h')) && LIBS.every((l) => existsSync(join(dir, l)));
}

function installedTensorFlow(python) {
  // find_spec does not import TensorFlow (slow, noisy); the version comes from the package metadata.
  const code = `
import importlib.util, importlib.metadata, json
s = importlib.util.find_spec('tensorflow')
v = None
for d in ('tensorflow', 'tensorflow-cpu', 'tf-nightly', 'tensorflow-intel'):
    try:
        v = importlib.metadata.version(d); break
    except Exception:
        pass
print(json.dumps({'dir': list(s.submodule_search_locations)[0] if s and s.submodule_search_locations else None, 'version': v}))`;
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return null;
  try {
    const j = JSON.parse(r.stdout.trim());
    return j.dir && isTfDir(j.dir) ? { dir: j.dir, version: j.version ?? 'unknown' } : null;
  } catch {
    return null;
  }
}

function tfDirVersion(dir) {
  try {
    const parent = dirname(resolve(dir));
    const info = readdirSync(parent).find((f) => /^tensorflow(_cpu)?-[\d.]+.*\.dist-info$/.test(f));
    return info ? info.replace(/^tensorflow(_cpu)?-/, '').replace(/\.dist-info$/, '') : null;
  } catch {
    return null;
  }
}

function wheelVersion(file) {
  const m = /tensorflow(?:_cpu)?-([^-]+)-/.exec(file);
  return m ? m[1] : null;
}

function unzip(wheel, patterns, dest) {
  mkdirSync(dest, { recursive: true });
  let r = run('unzip', ['-q', '-o', wheel, ...patterns, '-d', dest]);
  if (r.error) {
    // No unzip tool: Python's zipfile streams the large members without loading them into memory.
    const code = `
import sys, zipfile, fnmatch
z = zipfile.ZipFile(sys.argv[1])
pats = sys.argv[3:]
z.extractall(sys.argv[2], [n for n in z.namelist() if any(fnmatch.fnmatch(n, p) for p in pats)])`;
    r = run(process.env.AGGSTEM_PYTHON || 'python3', ['-c', code, wheel, dest, ...patterns]);
  }
  if (r.error || r.status !== 0) throw new SetupError(`could not unpack ${wheel}: ${r.error?.message || r.stderr}`);
}

function renameOrCopy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  try {
    renameSync(from, to);
  } catch (e) {
    if (e.code !== 'EXDEV') throw e;
    run('cp', ['-a', from, to]); // the OS temp dir may be another file system
    rmSync(from, { recursive: true, force: true });
  }
}

function checkHeaders(include) {
  for (const h of ['tensorflow/c/c_api.h', 'tensorflow/c/eager/c_api.h']) {
    if (!existsSync(join(include, h))) throw new SetupError(`the TensorFlow headers lack ${h}`);
  }
}

/** node-gyp: npm's own copy (npm sets npm_config_node_gyp in scripts), else the one next to npm, else PATH. */
function nodeGypRebuild(dir, napi) {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter(Boolean);
  const gypJs = candidates.find((p) => existsSync(p));
  const cmd = gypJs ? process.execPath : 'node-gyp';
  const gypArgs = [
    ...(gypJs ? [gypJs] : []), 'rebuild', `--napi_build_version=${napi}`,
    '--module_name=tfjs_binding', `--module_path=lib/napi-v${napi}`,
  ];
  // Node's headers: use the installed ones when they exist, so node-gyp needs no download.
  const prefix = resolve(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
    gypArgs.push(`--nodedir=${prefix}`);
  } else if (!process.env.npm_config_nodedir) {
    log('node-gyp may download Node headers into its own cache (~/.cache/node-gyp).');
  }
  log(`compiling the binding with node-gyp (a minute or two) ...`);
  const r = run(cmd, gypArgs, { cwd: dir });
  if (r.error) throw new SetupError(`cannot run node-gyp (${r.error.message}); it ships with npm`);
  if (r.status !== 0) {
    const lines = `${r.stdout}\n${r.stderr}`.trim().split('\n');
    const errs = lines.filter((l) => /error|Error/.test(l)).slice(0, 5);
    throw new SetupError(`node-gyp failed (a C++ compiler, make and Python 3 are needed):\n  ${(errs.length ? errs : lines.slice(-5)).join('\n  ')}`);
  }
}

function run(cmd, argv, opts = {}) {
  return spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, ...opts });
}

function sizeMB(dir) {
  let total = 0;
  const walk = (d) => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, f.name);
      if (f.isDirectory()) walk(p);
      else if (f.isFile()) total += statSync(p).size;
    }
  };
  walk(dir);
  return Math.round(total / 2 ** 20);
}

process.exit(main());
