// predictionExplorerFigure (issue 15 item 3): predicted-vs-true points linked to their images. In real
// headless Chromium, a static HTML page of the figure shows image 0 beside the chart; clicking another
// point shows that point's image (its frame's layout image and caption).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { predictionExplorerFigure } from '../../kernel-ext/index.js';
import { CHROMIUM_FLAGS } from '../../kernel-ext/browser.js';
import { plotlyHtml } from '../../src/analysis/aggregate-figure.js';
import { requireChromium } from './require-chromium.js';

/** Image i: a bright square whose size encodes i, so the shown image can be recognised. */
function images(n: number) {
  return Array.from({ length: n }, (_, i) => {
    const side = 32, data = new Float32Array(side * side);
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) data[y * side + x] = x < 4 + 3 * i && y < 4 + 3 * i ? 1 : 0;
    return { data, width: side, height: side, pixelSizeNm: 1 };
  });
}
const pts = { truth: [20, 40, 60, 80], predicted: [25, 38, 70, 75], sd: [3, 3, 4, 5], images: images(4), label: 'N' };

test('one frame per point with its own image; the slider steps name the points', () => {
  const fig = predictionExplorerFigure(pts);
  assert.equal(fig.frames!.length, 4);
  const sources = fig.frames!.map((f) => (f.layout!.images as Array<{ source: string }>)[0]!.source);
  assert.equal(new Set(sources).size, 4);
  assert.ok(sources.every((s) => s.startsWith('data:image/png;base64,')));
  assert.match(JSON.stringify(fig.frames![2]!.layout!.annotations), /image 2: true 60\.0, predicted 70\.0/);
});

test('in a static HTML page, clicking a point shows its image (headless Chromium)', { timeout: 120_000 }, async (t) => {
  const exe = await requireChromium(t);
  if (!exe) return;
  const fig = predictionExplorerFigure(pts);
  const html = `<!doctype html><html><body style="margin:0">${plotlyHtml(fig, { includePlotlyJs: true, divId: 'ex' })}</body></html>`;
  const browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_FLAGS });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 520 } });
    await page.setContent(html, { waitUntil: 'load' });
    await page.waitForSelector('#ex .main-svg');
    const shown = () => page.evaluate(`(() => { const el = document.getElementById('ex'); return { src: el.layout.images[0].source, text: el.layout.annotations[0].text }; })()`) as Promise<{ src: string; text: string }>;
    const first = await shown();
    assert.match(first.text, /^image 0:/);
    // Click point 2 where plotly drew it.
    const box = await page.evaluate(`(() => {
      const el = document.getElementById('ex');
      const xa = el._fullLayout.xaxis, ya = el._fullLayout.yaxis, r = el.getBoundingClientRect();
      return { x: r.left + xa._offset + xa.l2p(60), y: r.top + ya._offset + ya.l2p(70) };
    })()`) as { x: number; y: number };
    await page.mouse.click(box.x, box.y);
    await page.waitForFunction(`document.getElementById('ex').layout.annotations[0].text.startsWith('image 2:')`, undefined, { timeout: 10_000 });
    const after = await shown();
    assert.notEqual(after.src, first.src);
    assert.equal(after.src, (fig.frames![2]!.layout!.images as Array<{ source: string }>)[0]!.source);
  } finally {
    await browser.close();
  }
});
