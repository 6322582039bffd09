/**
 * Notebook display costs: time and size of the MIME bundles `show()` sends (3D aggregates at
 * growing N and icosphere level, images with and without binning, a vega-lite chart's SVG).
 * Size matters as much as time: every byte is stored in the notebook.
 */
import { performance } from 'node:perf_hooks';
import { aggregateBundle, imageBundle, MIME, vegaLiteBundle, type SphereSet } from '../kernel-ext/index.js';
import { randomStream, uniform } from '../src/random/index.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt<T>(f: () => T | Promise<T>, reps: number): Promise<{ ms: number; out: T }> {
  const ts: number[] = [];
  let out!: T;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    out = await f();
    ts.push(performance.now() - t0);
  }
  return { ms: +median(ts).toFixed(2), out };
}

function cloud(n: number): SphereSet {
  const rng = randomStream('bench-kernel-ext', n);
  const p = { x: new Float64Array(n), y: new Float64Array(n), z: new Float64Array(n), r: new Float64Array(n), material: new Uint8Array(n) };
  for (let i = 0; i < n; i++) {
    p.x[i] = uniform(rng, -100, 100);
    p.y[i] = uniform(rng, -100, 100);
    p.z[i] = uniform(rng, -100, 100);
    p.r[i] = uniform(rng, 3, 8);
    p.material[i] = rng.double() < 0.4 ? 1 : 0;
  }
  return p;
}

export async function run(): Promise<object> {
  const aggregates = [];
  for (const n of [50, 250, 1000]) {
    for (const level of [1, 2]) {
      const p = cloud(n);
      const { ms, out } = await timeIt(() => aggregateBundle(p, { icosphereLevel: level, noHtml: true }), 5);
      const jsonMB = JSON.stringify(out[MIME.plotly]).length / 1e6;
      aggregates.push({ n, level, ms, plotlyJsonMB: +jsonMB.toFixed(2) });
    }
  }
  const withPlotly = await timeIt(() => aggregateBundle(cloud(50), { includePlotlyJs: true }), 3);
  const images = [];
  for (const size of [256, 512, 2048]) {
    const rng = randomStream('bench-kernel-ext-image', size);
    const data = new Float32Array(size * size).map(() => rng.double());
    const { ms, out } = await timeIt(() => imageBundle({ data, width: size, height: size, pixelSizeNm: 0.5 }), 5);
    images.push({ size, ms, pngBase64KB: +((out[MIME.png] as string).length / 1e3).toFixed(1) });
  }
  const spec = {
    data: { values: Array.from({ length: 200 }, (_, i) => ({ x: i, y: Math.sin(i / 10) })) },
    mark: 'line',
    encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
  };
  const first = await timeIt(() => vegaLiteBundle(spec), 1); // includes loading vega + vega-lite
  const warm = await timeIt(() => vegaLiteBundle(spec), 5);
  return {
    aggregateBundle: aggregates,
    aggregateHtmlWithPlotlyJsMB: +((withPlotly.out[MIME.html] as string).length / 1e6).toFixed(2),
    imageBundle: images,
    vegaLiteBundle: { firstCallMs: first.ms, warmMs: warm.ms, svgKB: +((warm.out[MIME.svg] as string).length / 1e3).toFixed(1) },
  };
}
