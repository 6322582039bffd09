/**
 * Bookkeeping of rejected draws. A draw θ is rejected when the generator cannot build the aggregate
 * (GenerationError) or the aggregate does not fit the image field; the sample is then redrawn, which
 * truncates the prior. These counts say where in parameter space that happens, so the truncation
 * can be reported and kept rare.
 */

/** Rejected draws by reason. */
export interface RedrawCounts {
  /** The generator exhausted its restarts (GenerationError; deterministic). */
  generation: number;
  /**
   * The generator ran out of wall-clock time (GenerationError at the deadline). This depends on
   * machine load, so a non-zero count means the dataset may not be reproducible bit for bit.
   */
  deadline: number;
  /** The aggregate did not fit the field of view even after re-centring. */
  notFit: number;
}

/**
 * Per varying parameter: bin edges over its prior range (log-spaced for log-uniform parameters),
 * and per bin how many draws fell there and how many of those were rejected. The rejection rate of
 * a region is `rejected[b] / drawn[b]`.
 */
export type RegionCounts = Record<string, { edges: number[]; drawn: number[]; rejected: number[] }>;

/** Range of one varying parameter, as the regions need it. */
export interface RegionAxis {
  name: string;
  lo: number;
  hi: number;
  log: boolean;
}

/** Number of regions per parameter. Four keeps each bin well populated in a 2 000-sample dataset. */
export const REGION_BINS = 4;

export function emptyRedrawCounts(): RedrawCounts {
  return { generation: 0, deadline: 0, notFit: 0 };
}

/** Empty region counts over the given axes. */
export function emptyRegionCounts(axes: readonly RegionAxis[], bins = REGION_BINS): RegionCounts {
  const out: RegionCounts = {};
  for (const a of axes) {
    const edges: number[] = [];
    for (let b = 0; b <= bins; b++) {
      const t = b / bins;
      const e = a.log ? Math.exp(Math.log(a.lo) + t * (Math.log(a.hi) - Math.log(a.lo))) : a.lo + t * (a.hi - a.lo);
      edges.push(+e.toPrecision(12)); // 20 rather than 19.999999999999996
    }
    out[a.name] = { edges, drawn: new Array<number>(bins).fill(0), rejected: new Array<number>(bins).fill(0) };
  }
  return out;
}

/** Counts one draw into its region of every axis. */
export function tallyDraw(counts: RegionCounts, values: Readonly<Record<string, number>>, rejected: boolean): void {
  for (const [name, c] of Object.entries(counts)) {
    const v = values[name];
    if (v === undefined || !Number.isFinite(v)) continue;
    const bins = c.drawn.length;
    let b = 0;
    while (b < bins - 1 && v >= c.edges[b + 1]!) b++;
    c.drawn[b]!++;
    if (rejected) c.rejected[b]!++;
  }
}

/** Sum of two region counts (axes present in only one are kept as they are). */
export function addRegionCounts(a: RegionCounts, b: RegionCounts): RegionCounts {
  const out: RegionCounts = {};
  for (const src of [a, b]) {
    for (const [name, c] of Object.entries(src)) {
      const t = out[name];
      if (!t) {
        out[name] = { edges: [...c.edges], drawn: [...c.drawn], rejected: [...c.rejected] };
        continue;
      }
      if (t.drawn.length !== c.drawn.length) throw new Error(`addRegionCounts: ${name} has ${t.drawn.length} vs ${c.drawn.length} bins`);
      c.drawn.forEach((x, i) => (t.drawn[i]! += x));
      c.rejected.forEach((x, i) => (t.rejected[i]! += x));
    }
  }
  return out;
}
