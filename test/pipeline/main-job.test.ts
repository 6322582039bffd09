// The main job as a newcomer runs it: `npm start` (here in small-size mode, into a temp folder),
// then its report opened in headless Chromium with the figures actually drawn.
// Chromium ($AGGSTEM_CHROMIUM, /usr/bin/chromium, or the npm package @sparticuz/chromium; see
// kernel-ext/browser.ts) missing: skipped locally, FAILED under CI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumExecutable } from '../../kernel-ext/browser.js';
import { readTableParquet } from '../../src/io/table.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const chromiumPath = (await chromiumExecutable()) ?? '(none)';
const artifacts = join(root, 'test-artifacts');

test('npm start (small mode) runs dataset → training → evaluation and writes a report that draws offline', { timeout: 900_000 }, async (t) => {
  if (!existsSync(join(root, 'dist/src/cli/main.js'))) {
    spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  }
  const out = mkdtempSync(join(tmpdir(), 'aggstem-main-job-'));
  try {
    const r = spawnSync('npm', ['start', '--silent'], {
      cwd: root,
      env: { ...process.env, AGGSTEM_SMALL: '1', AGGSTEM_OUT: out },
      encoding: 'utf8',
      timeout: 840_000,
    });
    assert.equal(r.status, 0, `npm start failed (exit ${r.status}):\n${(r.stderr ?? '').slice(-4000)}`);
    const index = join(out, 'report', 'index.html');
    assert.match(r.stderr, /pipeline 1\/3: dataset/);
    assert.match(r.stderr, /backend: \w+ \(/, 'the backend in use is reported');
    assert.ok(r.stderr.includes(`report: ${index}`), 'ends with the path of the report');
    for (const f of ['dataset/manifest.json', 'model/aggstem-model.json', 'report/parameters.csv', 'report/parameters.parquet', 'report/descriptors.parquet']) {
      assert.ok(existsSync(join(out, f)), `${f} written`);
    }
    const params = readTableParquet(join(out, 'report', 'parameters.parquet')).objects() as Array<Record<string, number | string>>;
    assert.ok(params.length >= 5, 'one row per estimated parameter');
    for (const row of params) {
      for (const k of ['r2', 'mae', 'baselineR2', 'coverage68', 'coverage95']) assert.equal(typeof row[k], 'number', `${row.parameter}.${k}`);
      assert.ok((row.coverage95 as number) >= 0 && (row.coverage95 as number) <= 1);
    }
    const html = readFileSync(index, 'utf8');
    // The report scores the shipped quick model on the same test images, beside this run's model.
    const cmp = readFileSync(join(out, 'report', 'comparison.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    const nRow = cmp.find((r) => r[0] === 'nParticles' && r[1] === 'R²');
    assert.ok(nRow && Number.isFinite(Number(nRow[3])), 'shipped model R² of nParticles reported');
    assert.ok(cmp.some((r) => r[0] === 'cnHet' && Number.isFinite(Number(r[2]))), 'direct cnHet error of this run reported');
    assert.ok(!/<script[^>]+src=/i.test(html), 'no external scripts');

    if (!existsSync(chromiumPath)) {
      if (process.env.CI) assert.fail(`Chromium not found at ${chromiumPath} — required under CI`);
      t.skip(`Chromium not found at ${chromiumPath}`);
      return;
    }
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
        requests.push(url);
        return route.abort();
      });
      await page.goto(pathToFileURL(index).href, { waitUntil: 'load' });
      await page.waitForFunction("document.body.dataset.rendered === 'true' || document.body.dataset.rendered === 'error'", null, { timeout: 60_000 });
      assert.equal(await page.evaluate("document.body.dataset.rendered"), 'true', `figures failed to render: ${errors.join('; ')}`);
      const figures = await page.locator('div.figure').count();
      const drawn = await page.evaluate("[...document.querySelectorAll('div.figure')].filter((d) => { const s = d.querySelector('svg'); return s && s.querySelectorAll('path, rect, line, circle, text').length > 20; }).length");
      assert.ok(figures >= 4, `${figures} figures`);
      assert.equal(drawn, figures, 'every figure draws an SVG with marks');
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [], 'the report needs no network');
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
