// The pure MIME-bundle builders of kernel-ext: plotly 3D figures, PNG images with scale bars,
// vega-lite charts, arquero tables and progress views. No kernel needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from 'fast-png';
import * as aq from 'arquero';
import {
  aggregateBundle,
  aggregateFigure,
  colormapLut,
  defaultIcosphereLevel,
  finiteQuantiles,
  icosphere,
  imageBundle,
  imageBundleWithInfo,
  isVegaLiteSpec,
  MATERIAL_STYLES,
  MIME,
  niceLengthNm,
  plotlyJsSource,
  progressBundle,
  progressFraction,
  renderImage,
  scaleBarFor,
  tableBundle,
  vegaLiteBundle,
  type SphereSet,
} from '../../kernel-ext/index.js';
import { drawText } from '../../kernel-ext/bitmap-font.js';
import { randomStream } from '../../src/random/index.js';

function spheres(n: number, bEvery = 3): SphereSet {
  const p = { x: new Float64Array(n), y: new Float64Array(n), z: new Float64Array(n), r: new Float64Array(n), material: new Uint8Array(n) };
  for (let i = 0; i < n; i++) {
    p.x[i] = 9 * i;
    p.y[i] = 3 * Math.sin(i);
    p.z[i] = -2 * Math.cos(i);
    p.r[i] = 3 + (i % 5) * 0.5;
    p.material[i] = i % bEvery === 0 ? 1 : 0;
  }
  return p;
}

test('icospheres are closed, outward-oriented unit meshes with 10·4^L+2 vertices and 20·4^L triangles', () => {
  for (const level of [0, 1, 2, 3]) {
    const { positions, triangles } = icosphere(level);
    const nv = positions.length / 3, nt = triangles.length / 3;
    assert.equal(nv, 10 * 4 ** level + 2);
    assert.equal(nt, 20 * 4 ** level);
    for (let v = 0; v < nv; v++) assert.ok(Math.abs(Math.hypot(positions[3 * v]!, positions[3 * v + 1]!, positions[3 * v + 2]!) - 1) < 1e-12);
    // Closed 2-manifold: every directed edge appears once and its reverse once (consistent winding).
    const edges = new Map<string, number>();
    for (let t = 0; t < nt; t++) {
      const a = triangles[3 * t]!, b = triangles[3 * t + 1]!, c = triangles[3 * t + 2]!;
      for (const [u, w] of [[a, b], [b, c], [c, a]] as const) edges.set(`${u}-${w}`, (edges.get(`${u}-${w}`) ?? 0) + 1);
      // Outward: the face normal points away from the origin.
      const P = (i: number) => [positions[3 * i]!, positions[3 * i + 1]!, positions[3 * i + 2]!];
      const [pa, pb, pc] = [P(a), P(b), P(c)];
      const u1 = pb.map((x, k) => x - pa[k]!), u2 = pc.map((x, k) => x - pa[k]!);
      const nrm = [u1[1]! * u2[2]! - u1[2]! * u2[1]!, u1[2]! * u2[0]! - u1[0]! * u2[2]!, u1[0]! * u2[1]! - u1[1]! * u2[0]!];
      assert.ok(nrm[0]! * pa[0]! + nrm[1]! * pa[1]! + nrm[2]! * pa[2]! > 0, `triangle ${t} of level ${level} faces inwards`);
    }
    assert.equal(edges.size, 3 * nt);
    for (const [e, k] of edges) {
      assert.equal(k, 1, `directed edge ${e} used ${k} times`);
      const [u, w] = e.split('-');
      assert.ok(edges.has(`${w}-${u}`), `edge ${e} has no twin`);
    }
    assert.equal(nv - (3 * nt) / 2 + nt, 2, 'Euler characteristic of a sphere');
  }
  assert.throws(() => icosphere(5), /level must be an integer 0–4, got 5/);
});

test('aggregateFigure: one mesh3d with spheres × icosphere vertices/triangles, intensity = material per vertex', () => {
  const n = 17;
  const p = spheres(n);
  for (const level of [1, 2]) {
    const fig = aggregateFigure(p, { icosphereLevel: level });
    const nv = 10 * 4 ** level + 2, nt = 20 * 4 ** level;
    const mesh = fig.data[0]!;
    assert.equal(mesh.type, 'mesh3d');
    assert.equal(fig.data.filter((t) => t.type === 'mesh3d').length, 1, 'exactly one merged mesh trace');
    const x = mesh.x as number[], y = mesh.y as number[], z = mesh.z as number[];
    const i = mesh.i as number[], j = mesh.j as number[], k = mesh.k as number[];
    const intensity = mesh.intensity as number[];
    assert.equal(x.length, n * nv);
    assert.equal(intensity.length, n * nv);
    assert.equal(i.length, n * nt);
    assert.equal(j.length, n * nt);
    assert.equal(k.length, n * nt);
    for (let v = 0; v < n * nv; v++) {
      const s = Math.floor(v / nv);
      assert.equal(intensity[v], p.material[s], `vertex ${v} of sphere ${s}`);
      const d = Math.hypot(x[v]! - p.x[s]!, y[v]! - p.y[s]!, z[v]! - p.z[s]!);
      assert.ok(Math.abs(d - p.r[s]!) < 1e-3, `vertex ${v} at ${d} nm from its centre, radius ${p.r[s]}`);
    }
    // Every triangle stays inside one sphere's vertex block.
    for (let t = 0; t < n * nt; t++) {
      const s = Math.floor(t / nt);
      for (const idx of [i[t]!, j[t]!, k[t]!]) assert.ok(idx >= s * nv && idx < (s + 1) * nv);
    }
  }
  const fig = aggregateFigure(p);
  const mesh = fig.data[0]!;
  assert.deepEqual(mesh.colorscale, [[0, MATERIAL_STYLES[0]!.color], [0.5, MATERIAL_STYLES[0]!.color], [0.5, MATERIAL_STYLES[1]!.color], [1, MATERIAL_STYLES[1]!.color]]);
  assert.equal(mesh.cmin, 0);
  assert.equal(mesh.cmax, 1);
  assert.equal((fig.layout.scene as { aspectmode: string }).aspectmode, 'data');
  const centres = fig.data.filter((t) => t.type === 'scatter3d');
  assert.equal(centres.length, 2);
  const nB = Array.from(p.material).filter((m) => m === 1).length;
  assert.equal((centres[0]!.x as number[]).length, n - nB);
  assert.equal((centres[1]!.x as number[]).length, nB);
  assert.match(String(centres[0]!.name), /^TiO2 \(A, 11\)$/);
  assert.match(String(centres[1]!.name), /^WO3 \(B, 6\)$/);
  // customdata carries [index, radius] of each sphere for the hover text.
  assert.deepEqual((centres[1]!.customdata as number[][])[1], [3, 4.5]);
  assert.equal(defaultIcosphereLevel(150), 2);
  assert.equal(defaultIcosphereLevel(151), 1);
  assert.equal(aggregateFigure(spheres(3, 1), { centres: true }).data.length, 2, 'only materials that occur get a centre trace');
});

test('aggregateFigure rejects malformed particles with messages naming the field and value', () => {
  const p = spheres(4);
  assert.throws(() => aggregateFigure({ ...p, r: Float64Array.from([1, 2, 0, 1]) }), /particle 2 has radius 0, expected a finite value > 0 nm/);
  assert.throws(() => aggregateFigure({ ...p, material: Uint8Array.from([0, 2, 0, 0]) }), /particle 1 has material 2, expected 0 \(A\) or 1 \(B\)/);
  assert.throws(() => aggregateFigure({ ...p, z: new Float64Array(3) }), /particles\.z has 3 entries, expected 4/);
});

test('aggregateBundle: plotly JSON + HTML twin + text; JSON-clean; plotly.js inlined only when asked; script-safe', () => {
  const p = spheres(5);
  const agg = { id: 'agg-</script><b>', particles: p };
  const b = aggregateBundle(agg, { includePlotlyJs: true, divId: 'fig1' });
  assert.deepEqual(Object.keys(b).sort(), [MIME.plotly, MIME.html, MIME.plain].sort());
  const fig = b[MIME.plotly] as { data: unknown[]; layout: { title: { text: string } } };
  assert.deepEqual(JSON.parse(JSON.stringify(fig)), fig, 'no typed arrays or other non-JSON values');
  assert.equal(fig.layout.title.text, 'agg-</script><b>', 'the aggregate id is the default title');
  const html = b[MIME.html] as string;
  assert.ok(html.includes(plotlyJsSource().slice(0, 2000)), 'plotly.js inlined');
  assert.ok(html.includes('window.define = undefined'), 'AMD guard while plotly.js loads');
  const figScript = html.slice(html.indexOf('<div id="fig1"'));
  assert.equal((figScript.match(/<\/script/gi) ?? []).length, 1, 'the title cannot close the figure script early');
  assert.match(b[MIME.plain] as string, /^<aggregate: 5 particles \(3 TiO2, 2 WO3\), radius 3\.00–5\.00 nm, extent/);
  const b2 = aggregateBundle(p, { divId: 'fig2' });
  assert.ok((b2[MIME.html] as string).length < 1e6 && !(b2[MIME.html] as string).includes('window.define = undefined'), 'no plotly.js by default');
  assert.equal(aggregateBundle(p, { noHtml: true })[MIME.html], undefined);
});

test('niceLengthNm picks the largest 1/2/5 × 10^k not above the limit', () => {
  const cases: Array<[number, number]> = [[37, 20], [0.8, 0.5], [1200, 1000], [1, 1], [5, 5], [9.99, 5], [10, 10], [19.9, 10], [0.031, 0.02], [250, 200]];
  for (const [max, want] of cases) assert.equal(niceLengthNm(max), want, `niceLengthNm(${max})`);
  assert.throws(() => niceLengthNm(0), /expected a finite length > 0 nm, got 0/);
});

test('imageBundle: PNG of the right size with a burned-in scale bar of the documented length', () => {
  const w = 200, h = 100, pixelSizeNm = 0.5;
  const data = new Float32Array(w * h).fill(3); // flat: mapped to black (lo = hi)
  const { bundle, rendered, metadata } = imageBundleWithInfo({ data, width: w, height: h, pixelSizeNm });
  assert.deepEqual(metadata, { [MIME.png]: { width: 400 } }, 'a 200 px image is shown at 2 × 200 px');
  assert.deepEqual(imageBundleWithInfo({ data: new Float32Array(300 * 10), width: 300, height: 10 }).metadata, {}, 'natural size from 256 px');
  assert.deepEqual(Object.keys(bundle).sort(), [MIME.png, MIME.plain].sort());
  const png = decode(Buffer.from(bundle[MIME.png] as string, 'base64'));
  assert.equal(png.width, w);
  assert.equal(png.height, h);
  assert.equal(png.channels, 1);
  // Documented geometry: nice length ≤ width/5 = 20 nm → 20 nm = 40 px; margin 4 % of 100 = 4 px;
  // thickness max(2, round(100/64)) = 2 px; bottom-left.
  const bar = rendered.scaleBar!;
  assert.deepEqual({ ...bar }, { lengthNm: 20, lengthPx: 40, label: '20 nm', x0: 4, y0: 94, thicknessPx: 2, textScale: 1 });
  const px = (x: number, y: number) => png.data[y * w + x];
  for (let y = bar.y0; y < bar.y0 + bar.thicknessPx; y++) {
    let run = 0;
    for (let x = 0; x < w; x++) if (px(x, y) === 255) run++;
    assert.equal(run, 40, `row ${y} has exactly the 40 px bar in white`);
    for (let x = bar.x0; x < bar.x0 + 40; x++) assert.equal(px(x, y), 255);
    assert.equal(px(bar.x0 - 1, y), 0, 'outline left');
    assert.equal(px(bar.x0 + 40, y), 0, 'outline right');
  }
  // The label pixels are exactly the font's glyphs for "20 nm".
  const lit = new Set<number>();
  drawText('20 nm', bar.x0, bar.y0 - 2 - 7, 1, (x, y) => lit.add(y * w + x));
  let white = 0;
  for (let i = 0; i < w * h; i++) if (png.data[i] === 255) white++;
  assert.equal(white, 40 * 2 + lit.size, 'only the bar and the label are white');
  for (const i of lit) assert.equal(png.data[i], 255);
  assert.match(bundle[MIME.plain] as string, /200 × 100 px, 0\.5 nm\/px.*scale bar 20 nm = 40 px/);
  // Without a pixel size: no bar at all.
  const noBar = renderImage({ data, width: w, height: h });
  assert.equal(noBar.scaleBar, null);
  assert.ok(noBar.pixels.every((v) => v === 0));
  assert.equal(scaleBarFor(2000, 1000, 0.9)!.label, '200 nm');
  assert.equal(scaleBarFor(2000, 1000, 9)!.label, '2 µm');
});

test('renderImage: linear contrast stretch, percentiles, binning and colormaps', () => {
  const w = 64, h = 32;
  const ramp = new Float64Array(w * h).map((_, i) => i % w); // 0..63 along x
  const r = renderImage({ data: ramp, width: w, height: h }, { range: [0, 63] });
  for (const x of [0, 10, 31, 63]) assert.equal(r.pixels[5 * w + x], Math.round((x * 255) / 63));
  // Default percentiles 0.5 / 99.5 of the distinct values 0..2047: p·2047 (linear interpolation).
  const all = new Float64Array(w * h).map((_, i) => i);
  const q = renderImage({ data: all, width: w, height: h });
  assert.ok(Math.abs(q.range[0] - 10.235) < 1e-9 && Math.abs(q.range[1] - 2036.765) < 1e-9, `range ${q.range}`);
  assert.equal(q.pixels[10], 0);
  assert.equal(q.pixels[1024], Math.round(((1024 - 10.235) * 255) / (2036.765 - 10.235)));
  assert.equal(q.pixels[2040], 255);
  // NaN pixels become black and do not disturb the range.
  const withNaN = Float32Array.from(ramp);
  withNaN[3] = NaN;
  assert.equal(renderImage({ data: withNaN, width: w, height: h }, { range: [0, 63] }).pixels[3], 0);
  // 2 × 2 binning for a 2048 × 1024 input: averages, and the scale bar uses the binned pixel size.
  const big = new Float32Array(2048 * 1024).map((_, i) => (i % 2048) >> 1);
  const b = renderImage({ data: big, width: 2048, height: 1024, pixelSizeNm: 0.25 }, { range: [0, 1023], scaleBar: false });
  assert.equal(b.binning, 2);
  assert.equal(b.width, 1024);
  assert.equal(b.height, 512);
  assert.equal(b.pixelSizeNm, 0.5);
  assert.equal(b.pixels[700], Math.round((700 * 255) / 1023));
  // Colour maps: RGB output whose ends are matplotlib's end colours.
  const v = imageBundle({ data: ramp, width: w, height: h }, { colormap: 'viridis', range: [0, 63] });
  const png = decode(Buffer.from(v[MIME.png] as string, 'base64'));
  assert.equal(png.channels, 3);
  assert.deepEqual(Array.from(png.data.slice(0, 3)), [0x44, 0x01, 0x54]);
  assert.deepEqual(Array.from(png.data.slice(3 * (w - 1), 3 * w)), [0xfd, 0xe7, 0x25]);
  assert.deepEqual(Array.from(colormapLut('gray').slice(3 * 77, 3 * 78)), [77, 77, 77]);
  // Stacks: frame 1 of two.
  const stack = new Float32Array(2 * w * h);
  stack.fill(1, w * h);
  assert.deepEqual(renderImage({ data: stack, width: w, height: h, frames: 2 }, { frame: 1, range: [0, 1] }).pixels.slice(0, 4), Uint8Array.from([255, 255, 255, 255]));
  assert.throws(() => renderImage({ data: new Float32Array(10), width: w, height: h }), /image\.data has 10 values, expected at least 2048/);
  assert.throws(() => renderImage({ data: stack, width: w, height: h, frames: 2 }, { frame: 2 }), /frame 2 does not exist \(the image has 2\)/);
});

test('finiteQuantiles equals sorting, for heavy ties, NaNs, infinities and extreme p', () => {
  const rng = randomStream('kernel-ext-quantiles');
  const ref = (v: number[], p: number) => {
    const f = v.filter(Number.isFinite).sort((a, b) => a - b);
    const h = (f.length - 1) * p, k = Math.floor(h);
    return f[k]! + (f[Math.min(f.length - 1, k + 1)]! - f[k]!) * (h - k);
  };
  for (const [n, kind] of [[1, 'u'], [2, 'u'], [1000, 'u'], [5000, 'ties'], [3000, 'skew'], [20000, 'u']] as const) {
    const v = Array.from({ length: n }, () => {
      const u = rng.double();
      if (kind === 'ties') return Math.floor(u * 7);
      if (kind === 'skew') return Math.exp(12 * u);
      return u < 0.01 ? NaN : u < 0.02 ? Infinity : u;
    });
    if (!v.some(Number.isFinite)) continue;
    const ps = [0, 0.005, 0.25, 0.5, 0.995, 1];
    const got = finiteQuantiles(Float64Array.from(v), ps)!;
    ps.forEach((p, i) => assert.equal(got[i], ref(v, p), `n ${n} ${kind} p ${p}`));
  }
  assert.equal(finiteQuantiles([NaN, Infinity], [0.5]), null);
  assert.deepEqual(finiteQuantiles([3, 3, 3], [0, 1]), [3, 3]);
});

test('vegaLiteBundle: spec + SVG rendered in Node + text, and never text/html', async () => {
  const spec = {
    data: { values: [{ k: 'a', v: 2 }, { k: 'b', v: 5 }, { k: 'c', v: 3 }] },
    mark: 'bar',
    encoding: { x: { field: 'k', type: 'nominal' }, y: { field: 'v', type: 'quantitative' } },
  };
  const b = await vegaLiteBundle(spec);
  assert.deepEqual(Object.keys(b).sort(), [MIME.vegaLite, MIME.svg, MIME.plain].sort());
  assert.equal(b[MIME.html], undefined, 'JupyterLab would prefer HTML over the vega renderer');
  const svg = b[MIME.svg] as string;
  assert.ok(svg.startsWith('<svg'), svg.slice(0, 50));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  // One rect path per bar inside the bar mark group.
  const marks = svg.slice(svg.indexOf('mark-rect'));
  const group = marks.slice(0, marks.indexOf('</g>'));
  assert.equal((group.match(/<path /g) ?? []).length, 3);
  assert.equal((b[MIME.vegaLite] as { $schema: string }).$schema, 'https://vega.github.io/schema/vega-lite/v5.json');
  assert.equal(b[MIME.plain], '<vega-lite chart (bar, 3 data rows)>');
  assert.equal(isVegaLiteSpec(spec), true);
  assert.equal(isVegaLiteSpec({ layer: [], data: {} }), true);
  assert.equal(isVegaLiteSpec({ $schema: 'https://vega.github.io/schema/vega/v5.json', marks: [] }), false);
  assert.equal(isVegaLiteSpec({ x: [1] }), false);
  await assert.rejects(vegaLiteBundle({ x: 1 }), /expected a vega-lite spec/);
});

test('tableBundle: arquero HTML with the first `limit` rows and a markdown twin', () => {
  const t = aq.table({ id: Array.from({ length: 120 }, (_, i) => i), value: Array.from({ length: 120 }, (_, i) => i / 7) });
  const b = tableBundle(t, { caption: 'Descriptors <A&B>' });
  assert.deepEqual(Object.keys(b).sort(), [MIME.html, MIME.plain].sort());
  const html = b[MIME.html] as string;
  const body = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>'));
  assert.equal((body.match(/<tr>/g) ?? []).length, 50);
  assert.ok(body.includes('>49<') && !body.includes('>50<'), 'rows 0..49 shown');
  assert.ok(html.includes('first 50 of 120 rows'));
  assert.ok(html.includes('Descriptors &lt;A&amp;B&gt;'), 'caption escaped');
  assert.ok(body.includes('>0.1429<'), '4 decimal digits by default');
  const md = (b[MIME.plain] as string).split('\n').filter((l) => l.startsWith('|'));
  assert.equal(md.length, 52, 'header, separator and 50 rows');
  const small = tableBundle(aq.table({ a: [1, 2, 3] }), { limit: 10 });
  assert.ok((small[MIME.html] as string).includes('3 rows × 1 columns'));
  assert.throws(() => tableBundle({} as never), /expected an arquero table/);
});

test('progress: fraction, ETA and the in-place bundle', () => {
  assert.equal(progressFraction({ epoch: 3, epochs: 10 }), 0.3);
  assert.equal(progressFraction({ epoch: 3, epochs: 10, batch: 5, batchesPerEpoch: 10 }), 0.25);
  assert.equal(progressFraction({ epoch: 3 }), null);
  const b = progressBundle('Training', { epoch: 1, epochs: 4, loss: 0.5, valLoss: 0.625 }, { elapsedSeconds: 30, history: [{ epoch: 1, loss: 0.9, valLoss: 1 }, { epoch: 2, loss: 0.5, valLoss: 0.6 }] });
  assert.deepEqual(Object.keys(b).sort(), [MIME.html, MIME.plain].sort());
  // 25 % done in 30 s → 90 s left.
  assert.equal(b[MIME.plain], 'Training 25%: epoch 1 / 4, loss 0.5, val loss 0.625, elapsed 30 s, ETA 1 min 30 s');
  const html = b[MIME.html] as string;
  assert.ok(html.includes('width:25%'));
  assert.equal((html.match(/<polyline/g) ?? []).length, 2, 'training and validation curves');
  const done = progressBundle('Training', { epoch: 4, epochs: 4, loss: 0.1 }, { elapsedSeconds: 100, finished: true });
  assert.equal(done[MIME.plain], 'Training 100% (done): epoch 4 / 4, loss 0.1, elapsed 1 min 40 s');
  const loop = progressBundle('Drawing', { epoch: 2, epochs: 8 }, { unit: 'aggregate', elapsedSeconds: 4000 });
  assert.equal(loop[MIME.plain], 'Drawing 25%: aggregate 2 / 8, elapsed 1 h 06 min, ETA 3 h 20 min');
});

test('show() takes the library\'s images: an Image2D and a simulated StemImage become a PNG, not a text dump', async () => {
  const { showKind, asDisplayImage } = await import('../../kernel-ext/show.js');
  const { simulateImage, microscopePreset, generateAggregate, MODEL_PRESETS, randomStream } = await import('../../src/index.js');
  const agg = generateAggregate({ ...MODEL_PRESETS.quick, nParticles: 20 }, randomStream('show-stem', 'agg'));
  const img = simulateImage(agg.particles, microscopePreset('quick'), randomStream('show-stem', 'img'));
  assert.equal(showKind(img), 'image');
  const d = asDisplayImage(img) as { data: ArrayLike<number>; width: number; height: number; pixelSizeNm: number };
  assert.equal(d.data, img.noisy);
  assert.equal(d.width, img.widthPx);
  assert.equal(d.pixelSizeNm, img.pixelSizeNm);
  assert.equal(showKind({ data: new Float32Array(12), widthPx: 4, heightPx: 3, pixelSizeNm: 1 }), 'image');
  assert.equal(showKind({ widthPx: 4, heightPx: 3 }), 'text');
});
