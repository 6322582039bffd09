// Makes docs/images/dfsp-aggregate.png: one `dfsp`-preset aggregate (N 400, WO3 in compact domains)
// as its projected element map (TiO2 red, WO3 green, smoothed σ = 2 px at 0.625 nm/px like the
// published STEM-EDX maps) beside a shaded 3D view of the same particles from 60° off the beam, and
// prints the map's statistics. Run: node --import tsx scripts/dfsp-figure.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { encodePng, type RenderedImage } from '../kernel-ext/image.js';
import { axisRotation } from '../src/stem/simulate.js';
import { gaussianBlur } from '../src/stem/blur.js';
import { elementMapsOf, generateAggregate, mapStatistics, mapStatisticsRecord, MODEL_PRESETS, randomStream, type Particles } from '../src/index.js';

const agg = generateAggregate(MODEL_PRESETS.dfsp, randomStream('dfsp-figure', 'aggregate'));
const maps = elementMapsOf(agg.particles, { pixelSizeNm: 0.625, marginNm: 15 });
const S = maps.widthPx;
const stats = mapStatistics(maps);

// Panel 1: the element map as an EDX overlay (each channel scaled to its own 99th percentile).
const sa = gaussianBlur(maps.a, S, S, 2), sb = gaussianBlur(maps.b, S, S, 2);
const p99 = (v: Float64Array) => Float64Array.from(v).sort()[Math.floor(0.99 * (v.length - 1))]! || 1;
const qa = p99(sa.filter((x) => x > 0)), qb = p99(sb.filter((x) => x > 0));
const edx = new Uint8Array(S * S * 3);
for (let i = 0; i < S * S; i++) {
  edx[3 * i] = Math.min(255, Math.round((255 * sa[i]!) / qa));
  edx[3 * i + 1] = Math.min(255, Math.round((255 * sb[i]!) / qb));
}

// Panel 2: a z-buffered, Lambert-shaded rendering of the spheres after a 60° tilt about x.
function shaded(p: Particles, side: number, pxNm: number): Uint8Array {
  const R = axisRotation(60, 'x');
  const n = p.r.length;
  const X = new Float64Array(n), Y = new Float64Array(n), Z = new Float64Array(n);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    X[i] = R[0]! * p.x[i]! + R[1]! * p.y[i]! + R[2]! * p.z[i]!;
    Y[i] = R[3]! * p.x[i]! + R[4]! * p.y[i]! + R[5]! * p.z[i]!;
    Z[i] = R[6]! * p.x[i]! + R[7]! * p.y[i]! + R[8]! * p.z[i]!;
    x0 = Math.min(x0, X[i]! - p.r[i]!); x1 = Math.max(x1, X[i]! + p.r[i]!); y0 = Math.min(y0, Y[i]! - p.r[i]!); y1 = Math.max(y1, Y[i]! + p.r[i]!);
  }
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const depth = new Float64Array(side * side).fill(-Infinity);
  const out = new Uint8Array(side * side * 3).fill(255);
  const colour = [[0xd6, 0x3a, 0x2f], [0x2f, 0xa8, 0x4f]];
  const light = [-0.4, -0.5, 0.77];
  for (let i = 0; i < n; i++) {
    const r = p.r[i]! / pxNm, sx = (X[i]! - cx) / pxNm + side / 2, sy = (Y[i]! - cy) / pxNm + side / 2;
    for (let y = Math.max(0, Math.floor(sy - r)); y <= Math.min(side - 1, Math.ceil(sy + r)); y++) {
      for (let x = Math.max(0, Math.floor(sx - r)); x <= Math.min(side - 1, Math.ceil(sx + r)); x++) {
        const dx = (x + 0.5 - sx) / r, dy = (y + 0.5 - sy) / r, q = 1 - dx * dx - dy * dy;
        if (q <= 0) continue;
        const dz = Math.sqrt(q), z = Z[i]! / pxNm + dz * r;
        if (z <= depth[y * side + x]!) continue;
        depth[y * side + x] = z;
        const lam = Math.max(0, dx * light[0]! + dy * light[1]! + dz * light[2]!);
        const k = 0.35 + 0.65 * lam;
        for (let c = 0; c < 3; c++) out[3 * (y * side + x) + c] = Math.round(colour[p.material[i]!]![c]! * k);
      }
    }
  }
  return out;
}
const view = shaded(agg.particles, S, 0.625);

const gap = 12, W = 2 * S + gap;
const out = new Uint8Array(W * S * 3).fill(255);
for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) for (let c = 0; c < 3; c++) {
  out[3 * (y * W + x) + c] = edx[3 * (y * S + x) + c]!;
  out[3 * (y * W + S + gap + x) + c] = view[3 * (y * S + x) + c]!;
}
// A 100 nm scale bar in the map panel (white, bottom left).
const bar = Math.round(100 / 0.625);
for (let y = S - 16; y < S - 10; y++) for (let x = 12; x < 12 + bar; x++) for (let c = 0; c < 3; c++) out[3 * (y * W + x) + c] = 255;
const fig: RenderedImage = { width: W, height: S, channels: 3, pixels: out } as RenderedImage;
mkdirSync(new URL('../docs/images/', import.meta.url), { recursive: true });
writeFileSync(new URL('../docs/images/dfsp-aggregate.png', import.meta.url), encodePng(fig));
const rec = mapStatisticsRecord(stats);
console.log(`docs/images/dfsp-aggregate.png: ${W}×${S} px, N = ${agg.particles.r.length}`);
console.log(Object.entries(rec).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', '));
