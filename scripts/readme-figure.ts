// Makes docs/images/readme-figure.png: one `paper`-preset aggregate (N 120, segregation 0.7) as its
// simulated HAADF-STEM image (with scale bar) beside its per-material projected thickness
// (TiO2 blue, WO3 yellow). Run: node --import tsx scripts/readme-figure.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { encodePng, renderImage, type RenderedImage } from '../kernel-ext/image.js';
import { generateAggregate, microscopePreset, MODEL_PRESETS, randomStream, simulateImage } from '../src/index.js';

const agg = generateAggregate({ ...MODEL_PRESETS.paper, nParticles: 120, segregation: 0.7, fractalDim: 2.0 }, randomStream('readme', 'aggregate'));
const mic = microscopePreset('paper');
const img = simulateImage(agg.particles, mic, randomStream('readme', 'image'));
const w = img.widthPx, h = img.heightPx;
const haadf = renderImage({ data: img.noisy, width: w, height: h, pixelSizeNm: img.pixelSizeNm }, { scaleBar: { lengthNm: 50 } });

// Thickness composite: each material's projected thickness as the weight of its colour over black.
let tMax = 0;
for (let i = 0; i < w * h; i++) tMax = Math.max(tMax, img.thicknessANm[i]! + img.thicknessBNm[i]!);
const comp = new Uint8Array(w * h * 3);
const A = [0x4c, 0x78, 0xa8], B = [0xe9, 0xb2, 0x00];
for (let i = 0; i < w * h; i++) {
  const a = Math.min(1, (1.6 * img.thicknessANm[i]!) / tMax), b = Math.min(1, (1.6 * img.thicknessBNm[i]!) / tMax);
  for (let c = 0; c < 3; c++) comp[3 * i + c] = Math.min(255, Math.round(255 - (255 - A[c]!) * a - (255 - B[c]!) * b * (1 - 0.5 * a)));
}
// The aggregate's bounding box plus a margin (same crop for both panels), side by side.
let x0 = w, x1 = 0, y0 = h, y1 = 0;
for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
  if (img.thicknessANm[y * w + x]! + img.thicknessBNm[y * w + x]! > 0) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
}
const side = Math.min(w, h, Math.max(x1 - x0, y1 - y0) + 80);
const cx = Math.min(w - side, Math.max(0, Math.round((x0 + x1 - side) / 2))), cy = Math.min(h - side, Math.max(0, Math.round((y0 + y1 - side) / 2)));
const crop = renderImage({ data: Float32Array.from({ length: side * side }, (_, i) => img.noisy[(cy + Math.floor(i / side)) * w + cx + (i % side)]!), width: side, height: side, pixelSizeNm: img.pixelSizeNm },
  { range: haadf.range, scaleBar: { lengthNm: 50 } });
const gap = 8;
const W = 2 * side + gap;
const out = new Uint8Array(W * side * 3).fill(255);
for (let y = 0; y < side; y++) {
  for (let x = 0; x < side; x++) {
    const k = y * side + x;
    for (let c = 0; c < 3; c++) {
      out[3 * (y * W + x) + c] = crop.channels === 1 ? crop.pixels[k]! : crop.pixels[3 * k + c]!;
      out[3 * (y * W + side + gap + x) + c] = comp[3 * ((cy + y) * w + cx + x) + c]!;
    }
  }
}
const fig: RenderedImage = { ...crop, width: W, height: side, channels: 3, pixels: out };
mkdirSync(new URL('../docs/images/', import.meta.url), { recursive: true });
writeFileSync(new URL('../docs/images/readme-figure.png', import.meta.url), encodePng(fig));
console.log(`docs/images/readme-figure.png: ${W}×${side} px, N = ${agg.particles.r.length}`);
