// Shared fixtures for the STEM tests (not a test file itself).
import type { Particles } from '../../src/model/types.js';
import { resolveMicroscopeConfig, type MicroscopeConfig, type MicroscopeConfigInput } from '../../src/stem/index.js';

/** Particles from [x, y, z, r, material] rows (nm). */
export function spheres(rows: [number, number, number, number, number][]): Particles {
  return {
    x: Float64Array.from(rows, (q) => q[0]),
    y: Float64Array.from(rows, (q) => q[1]),
    z: Float64Array.from(rows, (q) => q[2]),
    r: Float64Array.from(rows, (q) => q[3]),
    material: Uint8Array.from(rows, (q) => q[4]),
  };
}

/** A small deterministic chain of touching and slightly sintered spheres (both materials). */
export function smallAggregate(): Particles {
  return spheres([
    [0, 0, 0, 5, 0],
    [9.5, 0.5, 1, 4.5, 1],
    [16, 6, -2, 4, 0],
    [5, 9, 3, 3.5, 1],
    [-6, 5, -1, 3, 1],
    [-4, -8, 2, 4.2, 0],
  ]);
}

/** An "ideal" microscope: no blur, no carbon, κ = 1, no distortion; overrides on top. */
export function idealConfig(over: MicroscopeConfigInput = {}): MicroscopeConfig {
  return resolveMicroscopeConfig({
    widthPx: 64,
    heightPx: 64,
    pixelSizeNm: 1,
    blurSigmaNm: 0,
    kappaSigma: 0,
    ...over,
    carbon: { thicknessNm: 0, ...over.carbon },
  });
}

export function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}
