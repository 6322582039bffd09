/**
 * Contact graph and the graph descriptors built on it: coordination, hetero-coordination, mixing
 * index and single-material domains (docs/descriptors.md, docs/descriptors.md).
 */
import type { Particles } from '../model/types.js';
import { buildHashGrid, forEachNearby } from './grid.js';
import { checkParticles, maxRadius } from './input.js';

/** Default relative contact tolerance: i and j touch when d_ij ≤ (r_i + r_j)(1 + 1e-6). */
export const CONTACT_REL_TOL = 1e-6;

/** Undirected contact graph: edge k joins particles i[k] < j[k]; edges sorted by (i, j). */
export interface ContactGraph {
  /** Number of particles N. */
  n: number;
  /** First endpoint of each edge (the smaller index). */
  i: Int32Array;
  /** Second endpoint of each edge (the larger index). */
  j: Int32Array;
  /** Centre distance of each edge, nm. */
  distanceNm: Float64Array;
  /** Coordination number (number of contacts) of each particle. */
  degree: Int32Array;
}

/**
 * Contacts between spheres: pairs i < j with d_ij ≤ (r_i + r_j)(1 + relTol), overlapping pairs
 * included. Uses a uniform hash grid with cells of 2·r_max(1 + relTol), so the cost is O(N) for
 * aggregates of similar-sized spheres.
 */
export function contactGraph(p: Particles, relTol = CONTACT_REL_TOL): ContactGraph {
  const n = checkParticles(p, 'contactGraph');
  if (!(relTol >= 0) || !Number.isFinite(relTol)) throw new RangeError(`contactGraph: relTol must be a finite number >= 0, got ${relTol}`);
  const { x, y, z, r } = p;
  const grid = buildHashGrid(x, y, z, 2 * maxRadius(r) * (1 + relTol));
  const ei: number[] = [], ej: number[] = [], ed: number[] = [];
  const degree = new Int32Array(n);
  const found: number[] = [];
  const dist: number[] = [];
  for (let a = 0; a < n; a++) {
    found.length = 0;
    dist.length = 0;
    const xa = x[a]!, ya = y[a]!, za = z[a]!, ra = r[a]!;
    forEachNearby(grid, a, (b) => {
      if (b <= a) return;
      const dx = x[b]! - xa, dy = y[b]! - ya, dz = z[b]! - za;
      const d = Math.sqrt(dx * dx + dy * dy + dz * dz);
      if (d <= (ra + r[b]!) * (1 + relTol)) {
        found.push(b);
        dist.push(d);
      }
    });
    // Sort this particle's partners so the edge list is canonical (independent of hashing).
    const order = found.map((_, k) => k).sort((u, v) => found[u]! - found[v]!);
    for (const k of order) {
      ei.push(a);
      ej.push(found[k]!);
      ed.push(dist[k]!);
      degree[a]!++;
      degree[found[k]!]!++;
    }
  }
  return { n, i: Int32Array.from(ei), j: Int32Array.from(ej), distanceNm: Float64Array.from(ed), degree };
}

/** Coordination summary. */
export interface Coordination {
  /** Number of contacts E. */
  edges: number;
  /** Mean coordination number 2E/N. */
  meanCoordination: number;
  /** Per-particle coordination numbers. */
  perParticle: Int32Array;
}

/** Coordination numbers from a contact graph: CN_i, E and mean CN = 2E/N. */
export function coordination(g: ContactGraph): Coordination {
  return { edges: g.i.length, meanCoordination: (2 * g.i.length) / g.n, perParticle: g.degree };
}

/** Hetero-coordination and mixing of a two-material aggregate. */
export interface HeteroCoordination {
  nA: number;
  nB: number;
  /** All contacts E. */
  edges: number;
  /** A–B contacts E_AB. */
  heteroEdges: number;
  /** Mean hetero-coordination number 2 E_AB / N. */
  cnHet: number;
  /** Mean number of B neighbours of an A particle, E_AB / N_A (NaN when N_A = 0). */
  cnHetPerA: number;
  /** Mean number of A neighbours of a B particle, E_AB / N_B (NaN when N_B = 0). */
  cnHetPerB: number;
  /** Hetero-contact fraction f_het = E_AB / E (NaN when E = 0). */
  heteroFraction: number;
  /**
   * Mixing index M = f_het / p0 with p0 = 2 N_A N_B / (N (N − 1)), the chance that an edge is
   * hetero when the labels are shuffled on the fixed graph: 1 = random, < 1 segregated, > 1
   * alternating. NaN when E = 0; 0 when one material is absent (no hetero contact is possible,
   * so the aggregate counts as fully segregated).
   */
  mixingIndex: number;
  /** Per-particle number of neighbours of the other material. */
  perParticle: Int32Array;
}

/** Hetero-coordination numbers, hetero-contact fraction and mixing index on a contact graph. */
export function heteroCoordination(g: ContactGraph, material: ArrayLike<number>): HeteroCoordination {
  if (material.length !== g.n) throw new RangeError(`heteroCoordination: material has length ${material.length}, expected ${g.n} (the graph's N)`);
  const n = g.n;
  let nB = 0;
  for (let k = 0; k < n; k++) nB += material[k] === 1 ? 1 : 0;
  const nA = n - nB;
  const per = new Int32Array(n);
  let het = 0;
  for (let k = 0; k < g.i.length; k++) {
    const a = g.i[k]!, b = g.j[k]!;
    if (material[a] !== material[b]) {
      het++;
      per[a]!++;
      per[b]!++;
    }
  }
  const e = g.i.length;
  const f = e > 0 ? het / e : Number.NaN;
  let m: number;
  if (e === 0) m = Number.NaN;
  else if (nA === 0 || nB === 0) m = 0;
  else m = f / ((2 * nA * nB) / (n * (n - 1)));
  return {
    nA, nB, edges: e, heteroEdges: het,
    cnHet: (2 * het) / n,
    cnHetPerA: nA > 0 ? het / nA : Number.NaN,
    cnHetPerB: nB > 0 ? het / nB : Number.NaN,
    heteroFraction: f,
    mixingIndex: m,
    perParticle: per,
  };
}

/** Connected single-material components ("homo-domains"). */
export interface HomoDomains {
  /** Domain id of each particle (0-based, numbered in order of each domain's smallest particle index). */
  label: Int32Array;
  /** Size (particle count) of each domain. */
  size: Int32Array;
  /** Material of each domain. */
  material: Uint8Array;
  /** Number of A domains. */
  countA: number;
  /** Number of B domains. */
  countB: number;
  /** Largest A domain / N_A (NaN when N_A = 0). */
  largestFractionA: number;
  /** Largest B domain / N_B (NaN when N_B = 0). */
  largestFractionB: number;
  /** Mean domain size over all domains of both materials, N / (countA + countB). */
  meanSize: number;
}

/**
 * Homo-domains: the connected components of the graph restricted to same-material contacts
 * (union–find with path halving and union by size).
 */
export function homoDomains(g: ContactGraph, material: ArrayLike<number>): HomoDomains {
  const n = g.n;
  if (material.length !== n) throw new RangeError(`homoDomains: material has length ${material.length}, expected ${n} (the graph's N)`);
  const parent = new Int32Array(n);
  const rank = new Int32Array(n).fill(1);
  for (let k = 0; k < n; k++) parent[k] = k;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!;
      a = parent[a]!;
    }
    return a;
  };
  for (let k = 0; k < g.i.length; k++) {
    const a = g.i[k]!, b = g.j[k]!;
    if (material[a] !== material[b]) continue;
    let ra = find(a), rb = find(b);
    if (ra === rb) continue;
    if (rank[ra]! < rank[rb]!) [ra, rb] = [rb, ra];
    parent[rb] = ra;
    rank[ra]! += rank[rb]!;
  }
  const label = new Int32Array(n).fill(-1);
  const rootLabel = new Int32Array(n).fill(-1);
  const sizes: number[] = [], mats: number[] = [];
  let nA = 0, nB = 0, countA = 0, countB = 0;
  for (let k = 0; k < n; k++) {
    const root = find(k);
    if (rootLabel[root] === -1) {
      rootLabel[root] = sizes.length;
      sizes.push(0);
      mats.push(material[k]!);
      if (material[k] === 1) countB++;
      else countA++;
    }
    const l = rootLabel[root]!;
    label[k] = l;
    sizes[l]!++;
    if (material[k] === 1) nB++;
    else nA++;
  }
  let maxA = 0, maxB = 0;
  for (let l = 0; l < sizes.length; l++) {
    if (mats[l] === 1) maxB = Math.max(maxB, sizes[l]!);
    else maxA = Math.max(maxA, sizes[l]!);
  }
  return {
    label, size: Int32Array.from(sizes), material: Uint8Array.from(mats), countA, countB,
    largestFractionA: nA > 0 ? maxA / nA : Number.NaN,
    largestFractionB: nB > 0 ? maxB / nB : Number.NaN,
    meanSize: n / sizes.length,
  };
}
