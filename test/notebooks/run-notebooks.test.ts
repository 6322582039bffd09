// Headless notebook tests: every notebooks/*.ipynb runs on the `aggstem-tslab` kernel in small
// mode (AGGSTEM_SMALL=1) through nbclient (test/notebooks/run_notebooks.py), must have only `ok`
// cells and the rich outputs its metadata declares; its `jupyter nbconvert --to html` export must
// then draw in headless Chromium (plots rendered, no console errors). Artifacts (executed
// notebooks, HTML, screenshots) go to test-artifacts/notebooks/.
//
// Needs the project Jupyter (set up by `npm install`, or `npm run setup:jupyter`) and Chromium
// ($AGGSTEM_CHROMIUM, /usr/bin/chromium, or the npm package @sparticuz/chromium: kernel-ext/browser.ts). Missing either: skipped locally with the reason, FAILED under CI.
//
// A notebook whose metadata has `aggstem.blockedBy: "<reason>"` (it cannot run until another part
// of the project is fixed) still runs: its failures are reported as a TODO subtest, and the test
// FAILS once it passes, so the mark is removed as soon as the blocker is gone.
import { before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decode } from 'fast-png';
import { chromium, type Browser } from 'playwright-core';
import { chromiumExecutable } from '../../kernel-ext/browser.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const here = join(root, 'test', 'notebooks');
const artifacts = join(root, 'test-artifacts', 'notebooks');
const chromiumPath = (await chromiumExecutable()) ?? '(none)';
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const inCI = Boolean(process.env.CI);

interface JupyterEnv { python: string; jupyterPath: string; kernelName: string }
interface CellReport { index: number; status: string | null; mimes: string[]; stderr: string }
interface NotebookReport {
  name: string;
  path: string;
  ok: boolean;
  failures: string[];
  cells: CellReport[];
  mimeCounts: Record<string, number>;
  executed?: string;
  html?: string;
  seconds: number;
}

let env: JupyterEnv | null = null;
let missing: string | null = null;

function unavailable(t: TestContext, reason: string): void {
  if (inCI) assert.fail(`${reason} — required under CI`);
  t.skip(reason);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const f of readdirSync(dir, { recursive: true }).map(String)) {
    if (f.endsWith('.ts') && !f.endsWith('.d.ts')) newest = Math.max(newest, statSync(join(dir, f)).mtimeMs);
  }
  return newest;
}

before(() => {
  const r = spawnSync(process.execPath, ['scripts/setup-jupyter.mjs', '--no-install', '--json'], { cwd: root, encoding: 'utf8' });
  if (r.status === 3) missing = `no Jupyter with nbclient + nbconvert (${r.stderr.trim()})`;
  else if (r.status !== 0) assert.fail(`scripts/setup-jupyter.mjs --no-install failed (exit ${r.status}): ${r.stderr}`);
  else env = JSON.parse(r.stdout.trim().split('\n').pop()!) as JupyterEnv;
  // Notebooks import the compiled library (dist/). `npm test` builds first; a direct run rebuilds
  // when sources are newer. tsc emits despite type errors elsewhere, so only missing files fail.
  const outs = ['dist/src/index.js', 'dist/kernel-ext/index.js'].map((f) => join(root, f));
  const stale = outs.some((f) => !existsSync(f) || statSync(f).mtimeMs < Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'kernel-ext'))));
  if (stale) spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  for (const f of outs) assert.ok(existsSync(f), `${relative(root, f)} missing after the build`);
});

/**
 * Runs run_notebooks.py and returns its report. Asynchronous (not spawnSync) so the test's own
 * timeout can fire; the test's abort signal then stops the runner, which shuts its kernel down.
 */
async function runNotebooks(t: TestContext, notebooks: string[], out: string, extra: string[] = []): Promise<{ ok: boolean; notebooks: NotebookReport[] }> {
  const child = spawn(env!.python, [join(here, 'run_notebooks.py'), '--out', out, '--kernel', env!.kernelName, '--timeout', '240', ...extra, ...notebooks], {
    cwd: root,
    env: { ...process.env, AGGSTEM_SMALL: '1', JUPYTER_PATH: [env!.jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(':') },
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: t.signal,
    killSignal: 'SIGTERM',
  });
  let stdout = '', stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const last = stdout.trim().split('\n').pop() ?? '';
  assert.ok(last.startsWith('{'), `run_notebooks.py printed no report (exit ${code}):\n${stderr.slice(-4000)}`);
  return JSON.parse(last) as { ok: boolean; notebooks: NotebookReport[] };
}

// Timeouts are hang guards, generous because the machine may be shared; the budget for the whole
// file in CI is 6 min (measured 2–4 min for five notebooks, see the diagnostics).
test('the harness catches failing, aborted and un-awaited cells and missing outputs', { timeout: 300_000 }, async (t) => {
  if (!env) return unavailable(t, missing!);
  const out = join(artifacts, 'fixtures');
  const rep = await runNotebooks(t, ['fails.ipynb', 'unawaited.ipynb'].map((f) => join(here, 'fixtures', f)), out, ['--no-html']);
  assert.equal(rep.ok, false);
  const [fails, unawaited] = rep.notebooks;
  // fails.ipynb: markdown, ok cell, throwing cell, then the cell tslab aborts.
  assert.deepEqual(fails!.cells.map((c) => c.status), ['ok', 'error', 'abort']);
  assert.equal(fails!.failures.length, 2, fails!.failures.join('\n'));
  assert.match(fails!.failures[0]!, /^cell 2 \(throw new Error\('boom'\);\): reply status 'error'; stderr: .*Error: boom/s);
  assert.match(fails!.failures[1]!, /^cell 3 .*reply status 'abort'/);
  // unawaited.ipynb: the cell itself replies ok; the sentinel finds the rejection; no PNG.
  assert.deepEqual(unawaited!.cells.map((c) => c.status), ['ok']);
  assert.equal(unawaited!.failures.length, 2, unawaited!.failures.join('\n'));
  assert.match(unawaited!.failures.join('\n'), /after the last cell: .*unhandled promise rejection: Error: forgotten promise/s);
  assert.match(unawaited!.failures.join('\n'), /notebook: expected a image\/png output somewhere, found none/);
  // Executed copies are written even for failing notebooks (for inspection).
  assert.ok(existsSync(join(out, 'fails.ipynb')));
});

test('a notebook in a folder outside the project imports aggstem, its dependencies and node built-ins', { timeout: 300_000 }, async (t) => {
  if (!env) return unavailable(t, missing!);
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-outside-'));
  try {
    assert.ok(relative(root, dir).startsWith('..'), `${dir} must be outside ${root}`);
    copyFileSync(join(here, 'fixtures', 'outside.ipynb'), join(dir, 'outside.ipynb'));
    const rep = await runNotebooks(t, [join(dir, 'outside.ipynb')], join(artifacts, 'outside'), ['--no-html']);
    assert.equal(rep.ok, true, rep.notebooks[0]!.failures.join('\n'));
    const where = JSON.parse(readFileSync(join(dir, 'where.json'), 'utf8')) as { cwd: string; cnHet: number; rows: number };
    assert.equal(realpathSync(where.cwd), realpathSync(dir), 'the kernel ran in the notebook\'s own folder');
    assert.equal(where.rows, 2);
    assert.ok(where.cnHet >= 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

interface PageCheck { plotly: number; svgs: number; pngs: number; errors: string[]; blocked: string[]; colours: Array<{ blue: number; yellow: number; total: number }> }

async function checkInBrowser(browser: Browser, html: string, shot: string): Promise<PageCheck> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const blocked: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  // The export loads require.js and MathJax from a CDN; offline they are answered empty (plots must
  // not depend on them), so a failed load is not reported as a console error.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    blocked.push(url);
    return route.fulfill({ status: 200, body: '', contentType: 'application/javascript' });
  });
  try {
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load', timeout: 120_000 });
    // Page-side code as strings: the project's TypeScript has no DOM lib. 3D views draw into a WebGL
    // canvas; 2D plotly figures (e.g. a slider over line profiles) into SVG traces.
    await page.waitForFunction(
      "[...document.querySelectorAll('.aggstem-plotly')].every((el) => el.classList.contains('js-plotly-plot') && (el.querySelector('canvas') || el.querySelector('.main-svg .scatterlayer .trace')))",
      null,
      { timeout: 60_000 },
    );
    const plots = page.locator('.aggstem-plotly');
    const colours: PageCheck['colours'] = [];
    for (let i = 0; i < (await plots.count()); i++) {
      const png = decode(await plots.nth(i).screenshot());
      let blue = 0, yellow = 0;
      const c = png.channels;
      for (let p = 0; p < png.width * png.height; p++) {
        const r = png.data[p * c]!, g = png.data[p * c + 1]!, b = png.data[p * c + 2]!;
        if (b > r + 30 && b > g + 10) blue++; // TiO2 #4C78A8 under the mesh lighting
        else if (r > b + 80 && g > b + 50) yellow++; // WO3 #E9B200
      }
      colours.push({ blue, yellow, total: png.width * png.height });
    }
    // nbconvert embeds image/svg+xml and image/png outputs as <img src="data:...">: each must load,
    // and each SVG must show marks (≥ 1 % non-white pixels), not an empty frame.
    const loaded = async (mime: string) => page.locator(`img[src^="data:${mime}"]`);
    const svgImgs = await loaded('image/svg+xml');
    let svgs = 0;
    for (let i = 0; i < (await svgImgs.count()); i++) {
      const img = svgImgs.nth(i);
      if (!(await img.evaluate((im: any) => Boolean(im.complete && im.naturalWidth > 0)))) continue;
      const png = decode(await img.screenshot());
      let ink = 0;
      for (let p = 0; p < png.width * png.height; p++) {
        const o = p * png.channels;
        if (png.data[o]! < 200 || png.data[o + 1]! < 200 || png.data[o + 2]! < 200) ink++;
      }
      if (ink > 0.01 * png.width * png.height) svgs++;
    }
    const pngImgs = await loaded('image/png');
    let pngs = 0;
    for (let i = 0; i < (await pngImgs.count()); i++) {
      if (await pngImgs.nth(i).evaluate((im: any) => Boolean(im.complete && im.naturalWidth > 0))) pngs++;
    }
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    return { plotly: colours.length, svgs, pngs, errors, blocked, colours };
  } finally {
    await page.close();
  }
}

/** Materials present in each plotly figure of an executed notebook (from the mesh intensities). */
function figureMaterials(executed: string): Array<Set<number>> {
  const nb = JSON.parse(readFileSync(executed, 'utf8')) as { cells: Array<{ outputs?: Array<{ data?: Record<string, unknown> }> }> };
  const out: Array<Set<number>> = [];
  for (const cell of nb.cells) {
    for (const o of cell.outputs ?? []) {
      const fig = o.data?.['application/vnd.plotly.v1+json'] as { data: Array<{ type: string; intensity?: number[] }> } | undefined;
      if (fig && o.data?.['text/html']) out.push(new Set(fig.data.find((t) => t.type === 'mesh3d')?.intensity ?? []));
    }
  }
  return out;
}

test('every notebook runs clean in small mode and its HTML export draws in headless Chromium', { timeout: 900_000 }, async (t) => {
  const t0 = Date.now();
  if (!env) return unavailable(t, missing!);
  if (!existsSync(chromiumPath)) return unavailable(t, `no Chromium at ${chromiumPath} (npm install provides @sparticuz/chromium; or set AGGSTEM_CHROMIUM)`);
  // AGGSTEM_NOTEBOOK_DIR runs the same checks on another folder of notebooks (default notebooks/).
  const dir = process.env.AGGSTEM_NOTEBOOK_DIR ? join(root, process.env.AGGSTEM_NOTEBOOK_DIR) : join(root, 'notebooks');
  const notebooks = readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort().map((f) => join(dir, f));
  t.diagnostic(`notebooks: ${notebooks.map((f) => relative(root, f)).join(', ') || 'none yet'}`);
  const blocked = new Map<string, string>();
  for (const f of notebooks) {
    const reason = (JSON.parse(readFileSync(f, 'utf8')) as { metadata?: { aggstem?: { blockedBy?: string } } }).metadata?.aggstem?.blockedBy;
    if (reason) blocked.set(f, reason);
  }
  // The display fixture goes through the same path: a known picture for the browser checks.
  // Two runners side by side (AGGSTEM_NOTEBOOK_JOBS): kernels spend much of their time waiting.
  const all = [...notebooks, join(here, 'fixtures', 'good.ipynb')];
  const jobs = Math.max(1, Math.min(all.length, Number(process.env.AGGSTEM_NOTEBOOK_JOBS ?? 2)));
  const groups = Array.from({ length: jobs }, (_, j) => all.filter((_, i) => i % jobs === j));
  const parts = await Promise.all(groups.map((g) => runNotebooks(t, g, artifacts)));
  const order = new Map(all.map((f, i) => [f, i]));
  const rep = { notebooks: parts.flatMap((p) => p.notebooks).sort((a, b) => order.get(a.path)! - order.get(b.path)!) };
  const clean: NotebookReport[] = [];
  for (const nb of rep.notebooks) {
    t.diagnostic(`${nb.name}: ${nb.seconds} s, outputs ${JSON.stringify(nb.mimeCounts)}`);
    const reason = blocked.get(nb.path);
    if (reason !== undefined) {
      assert.notDeepEqual(nb.failures, [], `${nb.name} passes now: remove metadata.aggstem.blockedBy ("${reason}") from it`);
      await t.test(`${nb.name} (blocked: ${reason})`, { todo: reason }, () => assert.fail(nb.failures.join('\n')));
      continue;
    }
    assert.deepEqual(nb.failures, [], `${nb.name} failed:\n${nb.failures.join('\n')}`);
    assert.ok(nb.executed && existsSync(nb.executed) && nb.html && existsSync(nb.html), `${nb.name}: executed notebook and HTML export written`);
    clean.push(nb);
  }
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_FLAGS });
  try {
    for (const nb of clean) {
      const shot = join(artifacts, `${nb.name}.png`);
      const page = await checkInBrowser(browser, nb.html!, shot);
      t.diagnostic(`${nb.name}: ${page.plotly} plotly figures, ${page.svgs} SVG charts, ${page.pngs} PNG images in Chromium; screenshot ${relative(root, shot)}; stubbed ${page.blocked.length} CDN requests`);
      assert.deepEqual(page.errors, [], `${nb.name}: console errors in Chromium`);
      // nbconvert shows the HTML twin of each plotly bundle, the SVG of each vega-lite bundle.
      const withHtml = figureMaterials(nb.executed!);
      assert.equal(page.plotly, withHtml.length, `${nb.name}: every plotly figure drew (3D: a WebGL canvas; 2D: its traces)`);
      assert.equal(page.svgs, nb.mimeCounts['image/svg+xml'] ?? 0, `${nb.name}: every SVG chart drew`);
      assert.equal(page.pngs, (nb.mimeCounts['image/png'] ?? 0) + (nb.mimeCounts['embedded image/png'] ?? 0), `${nb.name}: every PNG image loaded`);
      page.colours.forEach((c, i) => {
        const mats = withHtml[i]!;
        // Each material in the figure shows up as its colour on screen (≥ 0.2 % of the plot area).
        if (mats.has(0)) assert.ok(c.blue > 0.002 * c.total, `${nb.name} plot ${i}: TiO2 (blue) pixels ${c.blue} of ${c.total}`);
        if (mats.has(1)) assert.ok(c.yellow > 0.002 * c.total, `${nb.name} plot ${i}: WO3 (yellow) pixels ${c.yellow} of ${c.total}`);
      });
    }
  } finally {
    await browser.close();
  }
  t.diagnostic(`all notebooks and browser checks: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
});
