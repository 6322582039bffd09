/**
 * Statistics of a two-material label image (docs/maps.md): the B area share, B domains (number,
 * equivalent diameters), the share of B-domain boundary touching A, and the area-weighted 2D
 * solidity (area / convex-hull area) of the A and B domains. Written here rather than taken from a
 * library: the npm image-processing packages either need a canvas/browser or lack labelled convex
 * hulls, and these loops are short.
 */
import { classifyMaps, LABEL_A, LABEL_B, MapInputError, type ClassifyOptions, type MaterialLabels, type MaterialMaps } from './classify.js';

/** Options of {@link mapStatistics}: classification plus the smallest domain that counts. */
export interface MapStatisticsOptions extends ClassifyOptions {
  /** Domains smaller than this equivalent diameter are ignored (default 4 nm: noise specks). */
  minDomainDiameterNm?: number;
}

/** What {@link mapStatistics} measures. NaN where undefined (e.g. no B domain). */
export interface MapStatistics {
  /** B pixels / material pixels. */
  bAreaShare: number;
  /** Material (A or B) area, nm². */
  materialAreaNm2: number;
  /** Number of B domains (8-connected B regions ≥ the minimum size). */
  bDomains: number;
  /** Equivalent diameters √(4·area/π) of the B domains, nm, largest first. */
  bDomainDiametersNm: number[];
  /** Share of the B domains' boundary pixels with an A 4-neighbour (pooled over domains). */
  bBoundaryContactShare: number;
  /** Area-weighted mean of area / convex-hull area over the A domains. */
  solidityA: number;
  /** The same over the B domains. */
  solidityB: number;
  /** Number of A domains (8-connected A regions ≥ the minimum size). */
  aDomains: number;
  /** Pixel size of the measured map, nm. */
  pixelSizeNm: number;
  /** Options used (classification and minimum size), for the record. */
  options: Required<MapStatisticsOptions>;
}

/** Names of the scalar statistics, in report order. */
export const MAP_STATISTIC_NAMES = ['bAreaShare', 'bDomains', 'bDomainMedianDiameterNm', 'bBoundaryContactShare', 'solidityA', 'solidityB'] as const;

/** One connected region of one label. */
interface Region {
  label: number;
  area: number;
  /** Per-row leftmost and rightmost pixel, for the hull. */
  rows: Map<number, [number, number]>;
  boundary: number;
  contact: number;
}

/**
 * Measures the statistics of two element maps (classified by {@link classifyMaps}) or of a label
 * image already made.
 *
 * @example
 * const s = mapStatistics({ a: ti, b: w, widthPx, heightPx, pixelSizeNm: 0.625 });
 * s.solidityB; // e.g. 0.81
 */
export function mapStatistics(input: MaterialMaps | MaterialLabels, opts: MapStatisticsOptions = {}): MapStatistics {
  const lab = 'labels' in input ? input : classifyMaps(input, opts);
  const minD = opts.minDomainDiameterNm ?? 4;
  if (!(minD >= 0 && Number.isFinite(minD))) throw new MapInputError(`minDomainDiameterNm = ${minD}; expected a length >= 0 nm`);
  const { labels, widthPx: w, heightPx: h, pixelSizeNm: px } = lab;
  const minArea = (Math.PI / 4) * (minD / px) ** 2;
  const regions = labelRegions(labels, w, h);
  let nA = 0, nB = 0;
  for (let i = 0; i < labels.length; i++) (labels[i] === LABEL_A ? nA++ : labels[i] === LABEL_B ? nB++ : 0);
  const keep = regions.filter((r) => r.area >= minArea);
  const bDom = keep.filter((r) => r.label === LABEL_B);
  const aDom = keep.filter((r) => r.label === LABEL_A);
  const boundary = bDom.reduce((s, r) => s + r.boundary, 0);
  const contact = bDom.reduce((s, r) => s + r.contact, 0);
  return {
    bAreaShare: nA + nB > 0 ? nB / (nA + nB) : NaN,
    materialAreaNm2: (nA + nB) * px * px,
    bDomains: bDom.length,
    bDomainDiametersNm: bDom.map((r) => 2 * Math.sqrt(r.area / Math.PI) * px).sort((x, y) => y - x),
    bBoundaryContactShare: boundary > 0 ? contact / boundary : NaN,
    solidityA: weightedSolidity(aDom),
    solidityB: weightedSolidity(bDom),
    aDomains: aDom.length,
    pixelSizeNm: px,
    options: { ...lab.options, minDomainDiameterNm: minD },
  };
}

/** The scalar statistics as a flat record (median diameter for the list), NaN where undefined. */
export function mapStatisticsRecord(s: MapStatistics): Record<(typeof MAP_STATISTIC_NAMES)[number], number> {
  const d = s.bDomainDiametersNm;
  const med = d.length ? (d.length % 2 ? d[(d.length - 1) / 2]! : (d[d.length / 2 - 1]! + d[d.length / 2]!) / 2) : NaN;
  return { bAreaShare: s.bAreaShare, bDomains: s.bDomains, bDomainMedianDiameterNm: med, bBoundaryContactShare: s.bBoundaryContactShare, solidityA: s.solidityA, solidityB: s.solidityB };
}

function weightedSolidity(regions: Region[]): number {
  let area = 0, hull = 0;
  for (const r of regions) (area += r.area), (hull += r.area * (r.area / hullArea(r)));
  return area > 0 ? hull / area : NaN;
}

/**
 * 8-connected regions of each non-zero label (one breadth-first pass with an explicit queue), with
 * per-row extents for the convex hull and the boundary/contact counts: a boundary pixel has a
 * 4-neighbour of another label (or the field edge); it is a contact if one of those is the other
 * material.
 */
function labelRegions(labels: Uint8Array, w: number, h: number): Region[] {
  const seen = new Uint8Array(w * h);
  const queue = new Int32Array(w * h);
  const out: Region[] = [];
  for (let start = 0; start < w * h; start++) {
    const L = labels[start]!;
    if (L === 0 || seen[start]) continue;
    const other = L === LABEL_A ? LABEL_B : LABEL_A;
    const reg: Region = { label: L, area: 0, rows: new Map(), boundary: 0, contact: 0 };
    let head = 0, tail = 0;
    queue[tail++] = start;
    seen[start] = 1;
    while (head < tail) {
      const i = queue[head++]!;
      const x = i % w, y = (i - x) / w;
      reg.area++;
      const row = reg.rows.get(y);
      if (!row) reg.rows.set(y, [x, x]);
      else (row[0] = Math.min(row[0], x)), (row[1] = Math.max(row[1], x));
      let edge = false, touch = false;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          const nx = x + dx, ny = y + dy;
          const inside = nx >= 0 && ny >= 0 && nx < w && ny < h;
          const j = ny * w + nx;
          if (dx === 0 || dy === 0) {
            if (!inside || labels[j] !== L) edge = true;
            if (inside && labels[j] === other) touch = true;
          }
          if (inside && labels[j] === L && !seen[j]) {
            seen[j] = 1;
            queue[tail++] = j;
          }
        }
      }
      if (edge) reg.boundary++;
      if (touch) reg.contact++;
    }
    out.push(reg);
  }
  return out;
}

/** Area of the convex hull of the region's pixel squares (their corners), px². */
function hullArea(r: Region): number {
  const pts: [number, number][] = [];
  for (const [y, [x0, x1]] of r.rows) pts.push([x0, y], [x0, y + 1], [x1 + 1, y], [x1 + 1, y + 1]);
  pts.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [], upper: [number, number][] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  for (let k = pts.length - 1; k >= 0; k--) {
    const p = pts[k]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  const hull = lower.slice(0, -1).concat(upper.slice(0, -1));
  let a2 = 0;
  for (let k = 0; k < hull.length; k++) {
    const p = hull[k]!, q = hull[(k + 1) % hull.length]!;
    a2 += p[0] * q[1] - q[0] * p[1];
  }
  return Math.abs(a2) / 2;
}
