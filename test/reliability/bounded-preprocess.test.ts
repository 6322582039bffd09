// Issue 16 item 1: preprocessing decides from the sizes whether an image can fit before allocating
// anything proportional to the resampled output. Each case runs in a child process whose peak
// resident memory (getrusage maxRSS) must stay under a limit; before the fix a 128 px image at
// 50 nm/px peaked at 1.3 GB and a 2 × 2 px image at 18.3 µm/px was killed after 15.8 GB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LIMIT_MB = 400;

/** Runs prepareImage on a synthetic image in a fresh process; returns its outcome and peak RSS. */
function run(widthPx: number, pixelSizeNm: number, blobPx: number): { outcome: string; maxRssMb: number } {
  const script = `
    import { prepareImage } from './src/preprocess/prepare.ts';
    const w = ${widthPx}, data = new Float32Array(w * w);
    for (let i = 0; i < data.length; i++) data[i] = 0.01 + 0.0005 * Math.sin(i * 12.9898);
    const c = w / 2, r = ${blobPx} / 2;
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) if ((x + 0.5 - c) ** 2 + (y + 0.5 - c) ** 2 <= r * r) data[y * w + x] = 0.08;
    let outcome;
    try {
      const p = prepareImage({ data, width: w, height: w, pixelSizeNm: ${pixelSizeNm} }, { size: 128, pixelSizeNm: 1.6 }, { vacuumLevel: 0, fullBeamLevel: 1 });
      const cx = p.aggregate.bbox; outcome = 'ok ' + p.size + ' ' + p.notes.join(' | ');
    } catch (e) { outcome = 'refused ' + e.name + ': ' + e.message; }
    console.log(JSON.stringify({ outcome, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test(`an image far coarser than the model is refused at the source resolution, under ${LIMIT_MB} MB`, () => {
  const tiny = run(2, 18_300, 2);
  // A 2 × 2 px frame is all "aggregate" or all background: either refusal is right, and immediate.
  assert.match(tiny.outcome, /^refused PreprocessError: (no aggregate found|the aggregate .* does not fit the model's 128×128 px field)/);
  assert.ok(tiny.maxRssMb < LIMIT_MB, `peak RSS ${tiny.maxRssMb.toFixed(0)} MB`);
  for (const px of [10, 25, 50]) {
    const r = run(128, px, 24);
    assert.match(r.outcome, /^refused PreprocessError: .*does not fit/, `${px} nm/px`);
    assert.ok(r.maxRssMb < LIMIT_MB, `${px} nm/px: peak RSS ${r.maxRssMb.toFixed(0)} MB`);
  }
});

test('a large image whose aggregate fits is prepared from a window around it, in memory proportional to the input', () => {
  // 2000 px at 2 nm would be 2500² px at 1.6 nm; the 60 px (120 nm) aggregate fits the 205 nm field.
  const r = run(2000, 2, 60);
  assert.match(r.outcome, /^ok 128 .*only the \d+×\d+ px window around the aggregate \(of 2000×2000\) is resampled/);
  // The 16 MB input's own working arrays (beam fractions, labels, a strided background sample) plus
  // the tsx process (~200 MB): measured 330–455 MB.
  assert.ok(r.maxRssMb < 640, `peak RSS ${r.maxRssMb.toFixed(0)} MB`);
});
