#!/usr/bin/env node
// `npm run setup:jupyter` / `npm run lab`: a project-local Jupyter for the aggstem notebooks.
//
//   node scripts/setup-jupyter.mjs [--lab] [--user] [--python=PATH] [--no-install] [--json] [--quiet]
//   node scripts/setup-jupyter.mjs --postinstall   (npm install: quiet, one line, never fails the install)
//   node scripts/setup-jupyter.mjs lab [extra `jupyter lab` arguments]
//
// 1. Finds a Python that has jupyter_client + nbclient + nbconvert (+ jupyterlab with --lab / lab):
//    --python, $AGGSTEM_PYTHON, the project venv .venv/, python3, python, /usr/bin/python3.
//    When none has them, creates .venv/ (gitignored) and pip-installs them from the machine's pip
//    index (an existing .venv/ is completed instead of recreated). --no-install only looks (exit 3
//    when nothing is found), for test harnesses that must not install.
// 2. Registers the kernelspec `aggstem-tslab` ("TypeScript (aggstem)") in the project-local Jupyter
//    data dir .jupyter/ (gitignored; Jupyter finds it through JUPYTER_PATH=.jupyter, which `npm run
//    lab` and the notebook tests set). --user also registers it in the user's own Jupyter data dir.
// 3. Links node_modules/aggstem → the project root, so notebook cells can `import * as ag from
//    'aggstem'`: tslab type-checks cells with node10 module resolution, which neither reads
//    package.json "exports" nor resolves a package's own name (Node's runtime self-reference does).
//    npm removes the link on `npm ci` / some installs; every run of this script restores it.
// 4. Writes .jupyter/aggstem-env.json (python, JUPYTER_PATH, kernel dir, versions) for the tools that
//    need it; --json prints the same record on stdout.
// Idempotent: a second run only re-checks (about a second) and rewrites nothing that is unchanged.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KERNEL_NAME = 'aggstem-tslab';
export const KERNEL_DISPLAY_NAME = 'TypeScript (aggstem)';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const jupyterDir = join(root, '.jupyter');
const venvDir = join(root, '.venv');
const venvPython = join(venvDir, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');

const BASE_PACKAGES = ['jupyter_client', 'nbclient', 'nbconvert'];
// `plotly` (Python) ships the jupyterlab-plotly renderer for application/vnd.plotly.v1+json;
// without it JupyterLab falls back to the text/html twin, which only runs in trusted notebooks.
const LAB_PACKAGES = ['jupyterlab', 'plotly'];

function parseArgs(argv) {
  const o = { lab: false, user: false, noInstall: false, python: process.env.AGGSTEM_PYTHON || '', json: false, quiet: false, launch: false, postinstall: false, rest: [] };
  let i = 0;
  if (argv[0] === 'lab') {
    o.launch = true;
    o.lab = true;
    i = 1;
  }
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (o.launch) o.rest.push(a);
    else if (a === '--lab') o.lab = true;
    else if (a === '--user') o.user = true;
    else if (a === '--json') o.json = true;
    else if (a === '--no-install') o.noInstall = true;
    else if (a === '--quiet') o.quiet = true;
    else if (a === '--postinstall') (o.postinstall = true), (o.quiet = true);
    else if (a.startsWith('--python=')) o.python = a.slice('--python='.length);
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1).filter((l, i, a) => a.slice(0, i + 1).every((x) => x.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else {
      console.error(`setup-jupyter: unknown argument ${JSON.stringify(a)}; expected --lab, --user, --python=PATH, --no-install, --json, --quiet or the sub-command "lab"`);
      process.exit(2);
    }
  }
  return o;
}

/** Versions of the Jupyter packages importable by `python`, or null when it cannot run. */
function probe(python, modules) {
  const code = [
    'import json, sys, importlib',
    'out = {"executable": sys.executable, "version": sys.version.split()[0], "modules": {}}',
    `for m in ${JSON.stringify(modules)}:`,
    '    try:',
    '        out["modules"][m] = getattr(importlib.import_module(m), "__version__", "?")',
    '    except Exception:',
    '        out["modules"][m] = None',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return null;
  }
}

class NotFound extends Error {}

const hasAll = (p, mods) => p !== null && mods.every((m) => p.modules[m]);

let captureOutput = false;

function run(cmd, args, log) {
  log(`$ ${[cmd, ...args].join(' ')}`);
  // pip's output is captured (its retry warnings for an unreachable extra index are noise on offline
  // machines) and shown only when it fails; quiet runs capture everything else too.
  const capture = captureOutput || args.includes('pip');
  const r = spawnSync(cmd, args, { stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'], encoding: 'utf8', env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' } });
  if (r.error || r.status !== 0) {
    const tail = capture ? `: ${`${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').filter((l) => !/Retrying|WARNING: Retrying/.test(l)).slice(-3).join(' | ')}` : '';
    throw new Error(`setup-jupyter: "${[cmd, ...args].join(' ')}" failed (${r.error?.message ?? `exit ${r.status}`})${tail}`);
  }
}

function findPython(opts, log) {
  const need = opts.lab ? [...BASE_PACKAGES, ...LAB_PACKAGES] : BASE_PACKAGES;
  const modules = [...BASE_PACKAGES, ...LAB_PACKAGES];
  if (opts.python) {
    const p = probe(opts.python, modules);
    if (p === null) throw new Error(`setup-jupyter: --python=${opts.python} (or AGGSTEM_PYTHON) does not run; expected a Python 3 interpreter`);
    if (!hasAll(p, need)) {
      const missing = need.filter((m) => !p.modules[m]);
      throw new Error(`setup-jupyter: ${opts.python} lacks ${missing.join(', ')}; install them there or drop --python to use a project venv`);
    }
    return p;
  }
  const candidates = [venvPython, 'python3', 'python', '/usr/bin/python3'];
  for (const c of candidates) {
    if (c === venvPython && !existsSync(venvPython)) continue;
    const p = probe(c, modules);
    if (hasAll(p, need)) return p;
  }
  if (opts.noInstall) {
    throw new NotFound(`no Python with ${need.join(', ')} found (tried ${candidates.join(', ')}); run npm run setup:jupyter${opts.lab ? ' -- --lab' : ''}`);
  }
  // Nothing suitable: build (or complete) the project venv from the machine's pip index.
  if (!existsSync(venvPython)) {
    const base = ['python3', '/usr/bin/python3', 'python'].find((c) => probe(c, []) !== null);
    if (!base) throw new Error('setup-jupyter: no Python 3 found (tried python3, /usr/bin/python3, python); install one or pass --python=PATH');
    log(`creating the project venv ${venvDir} with ${base}`);
    run(base, ['-m', 'venv', venvDir], log);
  }
  const pkgs = opts.lab ? [...BASE_PACKAGES, ...LAB_PACKAGES] : BASE_PACKAGES;
  // --retries 1: an unreachable default index (offline machines with a local one) fails fast instead
  // of backing off five times per package; -qq hides those retry warnings, errors still show.
  run(venvPython, ['-m', 'pip', 'install', '-qq', '--disable-pip-version-check', '--retries', '1', ...pkgs], log);
  const p = probe(venvPython, modules);
  if (!hasAll(p, need)) throw new Error(`setup-jupyter: ${venvPython} still lacks some of ${need.join(', ')} after pip install`);
  return p;
}

/** Writes `text` to `path` via temp file + rename, and only when it changed. Returns true if written. */
function writeIfChanged(path, text) {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return false;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return true;
}

function kernelSpec() {
  const tslabBin = join(root, 'node_modules', '.bin', 'tslab');
  if (!existsSync(tslabBin)) throw new Error(`setup-jupyter: ${tslabBin} is missing; run npm install (tslab is a devDependency)`);
  // tslab through a launcher that lets notebooks outside the project resolve its packages
  // (scripts/tslab-kernel.cjs; docs/notebooks.md "Where a notebook may live").
  const launcher = join(root, 'scripts', 'tslab-kernel.cjs');
  // Written by hand rather than with `tslab install`: that command fixes the kernel names to
  // tslab/jslab and the display name to "TypeScript", and needs IPython next to jupyter_client.
  // The argv is the one tslab's install.py writes, started by this very node binary so the kernel
  // does not depend on PATH (JupyterLab launched from a desktop often has no nvm node on it).
  return {
    argv: [process.execPath, launcher, 'kernel', '--config-path', '{connection_file}'],
    env: { NODE_PATH: join(root, 'node_modules') },
    display_name: KERNEL_DISPLAY_NAME,
    language: 'typescript',
    metadata: { aggstem: { root } },
  };
}

/** Makes node_modules/aggstem a link to the project root (see 3. above). */
function linkSelf(log) {
  const link = join(root, 'node_modules', 'aggstem');
  let target = null;
  try {
    target = realpathSync(link);
  } catch {
    // missing or dangling
  }
  if (target === realpathSync(root)) return false;
  if (target !== null || existsSync(link) || isSymlink(link)) {
    if (!isSymlink(link)) throw new Error(`setup-jupyter: ${link} exists and is not a link to the project; remove it (notebooks import the project as 'aggstem')`);
    rmSync(link);
  }
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(process.platform === 'win32' ? root : '..', link, process.platform === 'win32' ? 'junction' : 'dir');
  log(`linked ${link} → ${root} (for import ... from 'aggstem' in notebooks)`);
  return true;
}

function isSymlink(p) {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function jupyterDataDir(python) {
  const r = spawnSync(python, ['-c', 'from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`setup-jupyter: cannot ask ${python} for the user's Jupyter data dir: ${r.stderr}`);
  return r.stdout.trim();
}

export function setup(argv) {
  const opts = parseArgs(argv);
  captureOutput = opts.quiet || opts.json;
  const log = opts.postinstall ? () => {} : opts.quiet || opts.json ? (s) => console.error(s) : (s) => console.log(s);
  const py = findPython(opts, log);
  // The project's package.json says "type": "module", and Node applies the nearest package.json to
  // every .js file below it — including JupyterLab's bundled yarn.js in .venv/, which then fails with a
  // screen of minified code at every `npm run lab`. A package.json inside .venv/ restores CommonJS there.
  if (existsSync(venvDir)) writeIfChanged(join(venvDir, 'package.json'), '{ "type": "commonjs" }\n');
  linkSelf(log);
  const spec = JSON.stringify(kernelSpec(), null, 1) + '\n';
  const kernelDir = join(jupyterDir, 'kernels', KERNEL_NAME);
  const wrote = writeIfChanged(join(kernelDir, 'kernel.json'), spec);
  const kernelDirs = [kernelDir];
  if (opts.user) {
    const userDir = join(jupyterDataDir(py.executable), 'kernels', KERNEL_NAME);
    writeIfChanged(join(userDir, 'kernel.json'), spec);
    kernelDirs.push(userDir);
  }
  const record = {
    python: py.executable,
    pythonVersion: py.version,
    modules: py.modules,
    jupyterPath: jupyterDir,
    kernelName: KERNEL_NAME,
    kernelDirs,
    node: process.execPath,
  };
  writeIfChanged(join(jupyterDir, 'aggstem-env.json'), JSON.stringify(record, null, 1) + '\n');
  if (opts.json) console.log(JSON.stringify(record));
  else if (!opts.quiet) {
    log(`Jupyter: ${py.executable} (Python ${py.version}; ${Object.entries(py.modules).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ')})`);
    log(`kernelspec ${KERNEL_NAME} ("${KERNEL_DISPLAY_NAME}") ${wrote ? 'written to' : 'up to date in'} ${kernelDirs.join(' and ')}`);
    if (!opts.user && !opts.launch) log(`use it with: JUPYTER_PATH=${jupyterDir} ${py.executable} -m jupyter ...   (or npm run lab; --user registers it for every Jupyter of this user)`);
  }
  return { opts, record };
}

function main() {
  let res;
  const t0 = Date.now();
  const postinstall = process.argv.includes('--postinstall');
  try {
    res = setup(process.argv.slice(2));
  } catch (e) {
    if (postinstall) {
      // npm install must not fail because Jupyter could not be set up: say why, in one line.
      console.log(`[aggstem jupyter] not set up (${(e instanceof Error ? e.message : String(e)).slice(0, 300)}); the notebooks need it: npm run setup:jupyter`);
      process.exit(0);
    }
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(e instanceof NotFound ? 3 : 1);
  }
  if (postinstall) console.log(`[aggstem jupyter] ready: ${res.record.python} with kernel ${KERNEL_NAME} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  const { opts, record } = res;
  if (!opts.launch) return;
  const env = { ...process.env, JUPYTER_PATH: [record.jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(process.platform === 'win32' ? ';' : ':') };
  const dirGiven = opts.rest.some((a) => /^--(notebook-dir|ServerApp\.root_dir)(=|$)/.test(a));
  const args = ['-m', 'jupyterlab', ...(dirGiven ? [] : [`--notebook-dir=${join(root, 'notebooks')}`]), ...opts.rest];
  // Jupyter refuses to start as root (containers, CI machines) without this flag.
  if (process.getuid?.() === 0 && !opts.rest.includes('--allow-root')) args.push('--allow-root');
  console.log(`$ JUPYTER_PATH=${env.JUPYTER_PATH} ${record.python} ${args.join(' ')}`);
  const r = spawnSync(record.python, args, { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
