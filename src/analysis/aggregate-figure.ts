/**
 * Interactive 3D views of sphere aggregates as plotly figures (pure builders: a figure spec and a
 * self-contained HTML fragment), used by the notebook helpers (kernel-ext) and the CLI's pages.
 *
 * plotly's `scatter3d` markers are screen-space sprites that do not scale with zoom, so touching
 * and sintered spheres would look wrong; real spheres are drawn as ONE merged `mesh3d` trace of
 * icospheres (one trace instead of one per sphere keeps plotly fast), coloured per vertex by
 * material. Light `scatter3d` traces of the centres add a per-material legend and hover (hide the
 * "spheres" legend entry to hover the centres: plotly does not pick points hidden inside a mesh).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Particles } from '../model/types.js';
import { escapeHtml, jsonForScript } from './html.js';

/** Name and colour of each material code (0 = A, 1 = B). */
export interface MaterialStyle {
  /** Short name, e.g. `TiO2`. */
  name: string;
  /** CSS colour. */
  color: string;
}

/** Default materials: 0 = TiO2 (A), 1 = WO3 (B); blue/yellow stays distinct for colour-blind readers. */
export const MATERIAL_STYLES: readonly MaterialStyle[] = Object.freeze([
  Object.freeze({ name: 'TiO2', color: '#4C78A8' }),
  Object.freeze({ name: 'WO3', color: '#E9B200' }),
]);

/** The particle arrays a 3D view needs (an {@link Particles} or anything with the same fields). */
export type SphereSet = Pick<Particles, 'x' | 'y' | 'z' | 'r' | 'material'> | {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  z: ArrayLike<number>;
  r: ArrayLike<number>;
  material: ArrayLike<number>;
};

/** Axis-aligned bounds of the spheres (centre ± radius) over one or more sets, nm: `lo`, `hi` as [x, y, z]. */
export function sphereBounds(sets: readonly SphereSet[]): { lo: [number, number, number]; hi: [number, number, number] } {
  const lo: [number, number, number] = [Infinity, Infinity, Infinity], hi: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (const s of sets) {
    const axes = [s.x, s.y, s.z];
    for (let i = 0; i < s.r.length; i++) {
      const r = s.r[i]!;
      for (let d = 0; d < 3; d++) {
        const c = axes[d]![i]!;
        if (c - r < lo[d]!) lo[d] = c - r;
        if (c + r > hi[d]!) hi[d] = c + r;
      }
    }
  }
  return { lo, hi };
}

/** A plain plotly figure: `{ data, layout, config }` with plain arrays only (JSON-ready). */
export interface PlotlyFigure {
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
  config?: Record<string, unknown>;
  /** Animation frames (a slider over precomputed states: `aggregateFramesFigure`). */
  frames?: Array<{ name: string; data: Array<Record<string, unknown>>; layout?: Record<string, unknown> }>;
}

/** A triangulated unit sphere. */
export interface Icosphere {
  /** Vertex coordinates, `[x0, y0, z0, x1, …]`, all on the unit sphere. */
  positions: Float64Array;
  /** Triangles as vertex-index triples. */
  triangles: Uint32Array;
}

const icoCache = new Map<number, Icosphere>();

/**
 * The icosphere of subdivision `level` (0–4): `10·4^level + 2` vertices and `20·4^level`
 * triangles (level 1: 42 / 80, level 2: 162 / 320). Cached (pure: same level, same mesh).
 */
export function icosphere(level: number): Icosphere {
  if (!Number.isInteger(level) || level < 0 || level > 4) {
    throw new RangeError(`icosphere: level must be an integer 0–4, got ${level}`);
  }
  const hit = icoCache.get(level);
  if (hit) return hit;
  const t = (1 + Math.sqrt(5)) / 2;
  const pos: number[] = [];
  const push = (x: number, y: number, z: number): number => {
    const n = Math.hypot(x, y, z);
    pos.push(x / n, y / n, z / n);
    return pos.length / 3 - 1;
  };
  for (const [x, y, z] of [
    [-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0],
    [0, -1, t], [0, 1, t], [0, -1, -t], [0, 1, -t],
    [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1],
  ] as const) push(x, y, z);
  let tris: number[] = [
    0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11, 1, 5, 9, 5, 11, 4, 11, 10, 2, 10, 7, 6, 7, 1, 8,
    3, 9, 4, 3, 4, 2, 3, 2, 6, 3, 6, 8, 3, 8, 9, 4, 9, 5, 2, 4, 11, 6, 2, 10, 8, 6, 7, 9, 8, 1,
  ];
  for (let l = 0; l < level; l++) {
    const mid = new Map<number, number>();
    const midpoint = (a: number, b: number): number => {
      const key = a < b ? a * 65536 + b : b * 65536 + a;
      let m = mid.get(key);
      if (m === undefined) {
        m = push(pos[3 * a]! + pos[3 * b]!, pos[3 * a + 1]! + pos[3 * b + 1]!, pos[3 * a + 2]! + pos[3 * b + 2]!);
        mid.set(key, m);
      }
      return m;
    };
    const next: number[] = [];
    for (let f = 0; f < tris.length; f += 3) {
      const a = tris[f]!, b = tris[f + 1]!, c = tris[f + 2]!;
      const ab = midpoint(a, b), bc = midpoint(b, c), ca = midpoint(c, a);
      next.push(a, ab, ca, b, bc, ab, c, ca, bc, ab, bc, ca);
    }
    tris = next;
  }
  const ico = { positions: Float64Array.from(pos), triangles: Uint32Array.from(tris) };
  icoCache.set(level, ico);
  return ico;
}

/** Options of {@link aggregateFigure} / {@link aggregateBundle}. */
export interface AggregateFigureOptions {
  /** Icosphere subdivision level (default: 2 up to 150 spheres, else 1, which keeps the JSON small). */
  icosphereLevel?: number;
  /** Figure title. */
  title?: string;
  /** Material names and colours (default {@link MATERIAL_STYLES}). */
  materials?: readonly MaterialStyle[];
  /** Figure height in CSS pixels (default 480). */
  heightPx?: number;
  /** Show the centre markers (default true). */
  centres?: boolean;
}

/**
 * Default icosphere level for `n` spheres: level 2 (162 vertices) looks round, level 1 (42) keeps
 * large aggregates light. Measured figure JSON (bench kernel-ext): 150 × level 2 ≈ 1.4 MB,
 * 1000 × level 1 ≈ 2.4 MB, 1000 × level 2 ≈ 10 MB.
 */
export function defaultIcosphereLevel(n: number): number {
  return n <= 150 ? 2 : 1;
}

// 1 pm resolution is far below anything visible and shortens the JSON by about half.
const round3 = (v: number): number => Math.round(v * 1000) / 1000;

function checkSpheres(p: SphereSet, where: string): number {
  if (p === null || typeof p !== 'object') throw new TypeError(`${where}: expected particles {x, y, z, r, material}, got ${String(p)}`);
  const n = p.x?.length;
  for (const k of ['x', 'y', 'z', 'r', 'material'] as const) {
    const a = p[k];
    if (!a || typeof a.length !== 'number') throw new TypeError(`${where}: particles.${k} must be an array, got ${String(a)}`);
    if (a.length !== n) throw new RangeError(`${where}: particles.${k} has ${a.length} entries, expected ${n} (as x)`);
  }
  for (let i = 0; i < n; i++) {
    if (!(p.r[i]! > 0) || !Number.isFinite(p.r[i]!)) throw new RangeError(`${where}: particle ${i} has radius ${p.r[i]}, expected a finite value > 0 nm`);
    const m = p.material[i]!;
    if (m !== 0 && m !== 1) throw new RangeError(`${where}: particle ${i} has material ${m}, expected 0 (A) or 1 (B)`);
  }
  return n;
}

/**
 * A plotly figure of the spheres: trace 0 is one `mesh3d` of icospheres (per-vertex `intensity`
 * = material code, two-colour `colorscale`), then one `scatter3d` of centres per material that
 * occurs. `layout.scene.aspectmode = 'data'` keeps spheres round. Lengths in nm.
 */
export function aggregateFigure(p: SphereSet, opts: AggregateFigureOptions = {}): PlotlyFigure {
  const n = checkSpheres(p, 'aggregateFigure');
  const level = opts.icosphereLevel ?? defaultIcosphereLevel(n);
  const ico = icosphere(level);
  const styles = opts.materials ?? MATERIAL_STYLES;
  if (styles.length < 2) throw new RangeError(`aggregateFigure: materials needs 2 entries (A, B), got ${styles.length}`);
  const nv = ico.positions.length / 3;
  const nt = ico.triangles.length / 3;
  const x = new Array<number>(n * nv), y = new Array<number>(n * nv), z = new Array<number>(n * nv);
  const intensity = new Array<number>(n * nv);
  const ii = new Array<number>(n * nt), jj = new Array<number>(n * nt), kk = new Array<number>(n * nt);
  for (let s = 0; s < n; s++) {
    const cx = p.x[s]!, cy = p.y[s]!, cz = p.z[s]!, r = p.r[s]!, m = p.material[s]!;
    const v0 = s * nv;
    for (let v = 0; v < nv; v++) {
      x[v0 + v] = round3(cx + r * ico.positions[3 * v]!);
      y[v0 + v] = round3(cy + r * ico.positions[3 * v + 1]!);
      z[v0 + v] = round3(cz + r * ico.positions[3 * v + 2]!);
      intensity[v0 + v] = m;
    }
    const t0 = s * nt;
    for (let t = 0; t < nt; t++) {
      ii[t0 + t] = v0 + ico.triangles[3 * t]!;
      jj[t0 + t] = v0 + ico.triangles[3 * t + 1]!;
      kk[t0 + t] = v0 + ico.triangles[3 * t + 2]!;
    }
  }
  const [a, b] = styles as [MaterialStyle, MaterialStyle];
  const data: Array<Record<string, unknown>> = [
    {
      type: 'mesh3d',
      name: 'spheres',
      x, y, z, i: ii, j: jj, k: kk,
      intensity,
      intensitymode: 'vertex',
      cmin: 0,
      cmax: 1,
      colorscale: [[0, a.color], [0.5, a.color], [0.5, b.color], [1, b.color]],
      showscale: false,
      flatshading: false,
      lighting: { ambient: 0.45, diffuse: 0.85, specular: 0.25, roughness: 0.55, fresnel: 0.1 },
      lightposition: { x: 1e5, y: 1e5, z: 1e5 },
      hoverinfo: 'skip',
      showlegend: true,
    },
  ];
  if (opts.centres ?? true) {
    for (const mat of [0, 1] as const) {
      const idx: number[] = [];
      for (let s = 0; s < n; s++) if (p.material[s] === mat) idx.push(s);
      if (idx.length === 0) continue;
      const st = styles[mat]!;
      data.push({
        type: 'scatter3d',
        mode: 'markers',
        name: `${st.name} (${mat === 0 ? 'A' : 'B'}, ${idx.length})`,
        x: idx.map((s) => round3(p.x[s]!)),
        y: idx.map((s) => round3(p.y[s]!)),
        z: idx.map((s) => round3(p.z[s]!)),
        customdata: idx.map((s) => [s, round3(p.r[s]!)]),
        hovertemplate: `${escapeHtml(st.name)} #%{customdata[0]}<br>r = %{customdata[1]:.2f} nm<br>(%{x:.1f}, %{y:.1f}, %{z:.1f}) nm<extra></extra>`,
        marker: { size: 3, color: st.color, opacity: 0.9, line: { width: 0 } },
      });
    }
  }
  const axis = (t: string) => ({ title: { text: t }, showbackground: false, zeroline: false });
  return {
    data,
    layout: {
      ...(opts.title ? { title: { text: opts.title } } : {}),
      height: opts.heightPx ?? 480,
      margin: { l: 0, r: 0, t: opts.title ? 40 : 10, b: 0 },
      scene: { aspectmode: 'data', xaxis: axis('x (nm)'), yaxis: axis('y (nm)'), zaxis: axis('z (nm)') },
      legend: { itemsizing: 'constant' },
      paper_bgcolor: 'white',
    },
    config: { responsive: true, displaylogo: false },
  };
}

let plotlySource: string | null = null;

/** The text of plotly.js from the installed `plotly.js-dist-min` package (read once, about 4.8 MB). */
export function plotlyJsSource(): string {
  if (plotlySource === null) {
    const req = createRequire(import.meta.url);
    const src = readFileSync(req.resolve('plotly.js-dist-min/plotly.min.js'), 'utf8');
    // An inline script ends at the first "</script"; plotly's source has none today, escape it anyway.
    plotlySource = src.replace(/<\/(script)/gi, '<\\/$1');
  }
  return plotlySource;
}

/** Options of {@link plotlyHtml}. */
export interface PlotlyHtmlOptions {
  /**
   * Inline plotly.js into this HTML (default false). Needed once per page: later outputs reuse
   * `window.Plotly`. Inlining works offline and in nbconvert exports, unlike a CDN script.
   */
  includePlotlyJs?: boolean;
  /** Element id of the plot `<div>` (default: derived from a counter; must be unique on the page). */
  divId?: string;
}

let divCounter = 0;

/**
 * The `text/html` twin of a plotly figure, for frontends without a plotly MIME renderer (nbconvert
 * HTML, classic Notebook, JupyterLab without jupyterlab-plotly): a `<div>` and a script that draws
 * into it. require.js (which nbconvert and VS Code load) is hidden while plotly.js loads, so its
 * UMD wrapper sets `window.Plotly` instead of registering an AMD module.
 */
export function plotlyHtml(fig: PlotlyFigure, opts: PlotlyHtmlOptions = {}): string {
  const id = opts.divId ?? `aggstem-plotly-${process.pid}-${Date.now().toString(36)}-${++divCounter}`;
  const height = typeof fig.layout.height === 'number' ? fig.layout.height : 480;
  const parts: string[] = [];
  if (opts.includePlotlyJs) {
    parts.push(
      '<script>window.__aggstemSavedDefine = window.define; window.define = undefined;</script>',
      `<script>${plotlyJsSource()}</script>`,
      '<script>window.define = window.__aggstemSavedDefine; delete window.__aggstemSavedDefine;</script>',
    );
  }
  parts.push(
    `<div id="${escapeHtml(id)}" class="aggstem-plotly" style="width:100%;height:${height}px"></div>`,
    '<script>(function () {',
    `  var el = document.getElementById(${jsonForScript(id)});`,
    `  var fig = ${jsonForScript(fig)};`,
    '  if (window.Plotly) {',
    '    window.Plotly.newPlot(el, { data: fig.data, layout: fig.layout, config: fig.config || {}, frames: fig.frames || [] }).then(function () {',
    // layout.meta.aggstemClickToFrame: a click on a point shows the frame named by its customdata.
    '      if (!(fig.layout.meta && fig.layout.meta.aggstemClickToFrame)) return;',
    '      el.on("plotly_click", function (d) { var c = d.points && d.points[0] && d.points[0].customdata; if (c !== undefined) window.Plotly.animate(el, [String(c)], { mode: "immediate", frame: { duration: 0, redraw: true }, transition: { duration: 0 } }); });',
    '    });',
    '  }',
    "  else { el.style.height = 'auto'; el.textContent = 'plotly.js is not loaded in this page: it is inlined into the first 3D figure of each kernel session; re-run that cell, or call resetPlotlyInjection() from aggstem/kernel-ext and re-run this one.'; }",
    '})();</script>',
  );
  return parts.join('\n');
}

/** One-line description of a sphere set, used as the `text/plain` twin. */
export function describeSpheres(p: SphereSet, materials: readonly MaterialStyle[] = MATERIAL_STYLES): string {
  const n = p.x.length;
  let nb = 0, rMin = Infinity, rMax = -Infinity;
  let lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let s = 0; s < n; s++) {
    if (p.material[s] === 1) nb++;
    const r = p.r[s]!;
    rMin = Math.min(rMin, r);
    rMax = Math.max(rMax, r);
    const c = [p.x[s]!, p.y[s]!, p.z[s]!];
    lo = lo.map((v, d) => Math.min(v, c[d]! - r));
    hi = hi.map((v, d) => Math.max(v, c[d]! + r));
  }
  if (n === 0) return '<aggregate: 0 particles>';
  const ext = hi.map((v, d) => (v - lo[d]!).toFixed(1)).join(' × ');
  return `<aggregate: ${n} particles (${n - nb} ${materials[0]?.name ?? 'A'}, ${nb} ${materials[1]?.name ?? 'B'}), radius ${rMin.toFixed(2)}–${rMax.toFixed(2)} nm, extent ${ext} nm>`;
}

