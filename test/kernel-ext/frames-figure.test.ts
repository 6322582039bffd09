// aggregateFramesFigure (issue 15 item 3): a 3D view with a slider over precomputed aggregates that
// works in a static HTML page. Checked in real headless Chromium: the page draws frame 0, and the
// slider's second step (the call the slider makes) redraws the scene with the second frame's colours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from 'fast-png';
import { chromium } from 'playwright-core';
import { aggregateFramesFigure, plotlyBundle, MIME } from '../../kernel-ext/index.js';
import { plotlyHtml } from '../../src/analysis/aggregate-figure.js';
import { generateAggregate } from '../../src/model/generate.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import { randomStream } from '../../src/random/index.js';
import { CHROMIUM_FLAGS } from '../../kernel-ext/browser.js';
import { requireChromium } from './require-chromium.js';

const agg = generateAggregate({ ...MODEL_PRESETS.quick, nParticles: 20 }, randomStream('frames'));
const allA = { ...agg.particles, material: new Uint8Array(20) };
const allB = { ...agg.particles, material: new Uint8Array(20).fill(1) };

test('frames and slider: one frame per set, fixed equal axes, labels on the steps; the MIME bundle carries the frames', () => {
  const fig = aggregateFramesFigure([allA, allB], ['TiO2 only', 'WO3 only'], { sliderTitle: 'material' });
  assert.equal(fig.frames!.length, 2);
  assert.deepEqual(fig.frames!.map((f) => f.name), ['TiO2 only', 'WO3 only']);
  assert.equal(fig.frames![0]!.data.length, 1);
  const scene = fig.layout.scene as Record<string, { range: number[] }>;
  const spans = ['xaxis', 'yaxis', 'zaxis'].map((k) => scene[k]!.range[1]! - scene[k]!.range[0]!);
  assert.ok(spans.every((s) => Math.abs(s - spans[0]!) < 1e-9), `axis spans ${spans}`);
  const steps = (fig.layout.sliders as Array<{ steps: Array<{ label: string; args: unknown[] }> }>)[0]!.steps;
  assert.deepEqual(steps.map((s) => s.label), ['TiO2 only', 'WO3 only']);
  const bundle = plotlyBundle(fig, { noHtml: true });
  assert.equal((bundle[MIME.plotly] as { frames: unknown[] }).frames.length, 2);
  assert.throws(() => aggregateFramesFigure([allA], ['a', 'b']), /2 labels for 1 sphere sets/);
});

test('in a static HTML page the slider step switches the drawn frame (headless Chromium)', { timeout: 120_000 }, async (t) => {
  const exe = await requireChromium(t);
  if (!exe) return;
  const fig = aggregateFramesFigure([allA, allB], ['A', 'B']);
  const html = `<!doctype html><html><body style="margin:0;background:#fff">${plotlyHtml(fig, { includePlotlyJs: true, divId: 'fig' })}</body></html>`;
  const browser = await chromium.launch({ executablePath: exe, args: [...CHROMIUM_FLAGS, '--use-angle=swiftshader', '--enable-unsafe-swiftshader'] });
  try {
    const page = await browser.newPage({ viewport: { width: 640, height: 560 } });
    await page.setContent(html, { waitUntil: 'load' });
    await page.waitForSelector('#fig .main-svg');
    const colours = async () => {
      const png = decode(await page.screenshot({ type: 'png' }));
      let blue = 0, yellow = 0;
      for (let i = 0; i < png.width * png.height; i++) {
        const o = i * png.channels, r = png.data[o]!, g = png.data[o + 1]!, b = png.data[o + 2]!;
        if (b > r + 40 && b > 100) blue++;
        if (r > 150 && g > 110 && b < 80) yellow++;
      }
      return { blue, yellow };
    };
    const before = await colours();
    assert.ok(before.blue > 2000 && before.yellow < before.blue / 20, `frame 0: ${JSON.stringify(before)}`);
    // What the slider does on its second step: Plotly.animate with that step's arguments.
    await page.evaluate(`(async () => {
      const el = document.getElementById('fig');
      const args = el.layout.sliders[0].steps[1].args;
      await window.Plotly.animate(el, args[0], args[1]);
    })()`);
    await page.waitForTimeout(300);
    const after = await colours();
    // (A little blue stays: the slider's own widgets.)
    assert.ok(after.yellow > 2000 && after.blue < after.yellow / 20, `frame 1: ${JSON.stringify(after)}`);
  } finally {
    await browser.close();
  }
});
