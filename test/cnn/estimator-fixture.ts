// Synthetic image/parameter pairs for the estimator tests: two parameters in [0, 1] encoded in a
// position-invariant way a small CNN can read: `a` sets the mean brightness, `b` the amplitude of a
// pixel checkerboard. Optional target noise with a known, image-dependent standard deviation.
import { normal, randomStream, type Seed } from '../../src/random/index.js';
import type { ParamScaling } from '../../src/cnn/index.js';
import type { ModelParamName } from '../../src/model/types.js';

export const FIXTURE_NAMES: ModelParamName[] = ['fractionB', 'segregation'];
export const FIXTURE_SCALING: ParamScaling = [
  { name: 'fractionB', kind: 'linear', lo: 0, hi: 1 },
  { name: 'segregation', kind: 'linear', lo: 0, hi: 1 },
];

export interface FixtureData {
  images: Float32Array;
  params: Float64Array;
  /** Per sample: the true sd of the target noise of parameter 0 (0 without noise). */
  trueSd: Float64Array;
  /** Per sample: the noise-free targets. */
  clean: Float64Array;
}

/**
 * `n` images of `side`² px. With `noiseSd(b)`, parameter 0's target is `a + N(0, noiseSd(b)²)`:
 * the image determines the mean (through a) and the spread (through b).
 */
export function fixtureData(n: number, side: number, seed: Seed, noiseSd?: (b: number) => number): FixtureData {
  const rng = randomStream(seed, 'estimator-fixture');
  const pix = side * side;
  const images = new Float32Array(n * pix);
  const params = new Float64Array(n * 2);
  const clean = new Float64Array(n * 2);
  const trueSd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.double(), b = rng.double();
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const checker = (x + y) % 2 === 0 ? 1 : -1;
        images[i * pix + y * side + x] = 0.01 + 0.05 * a + 0.02 * b * checker + normal(rng, 0, 0.001);
      }
    }
    const sd = noiseSd ? noiseSd(b) : 0;
    trueSd[i] = sd;
    clean[2 * i] = noiseSd ? 0.2 + 0.6 * a : a;
    clean[2 * i + 1] = b;
    params[2 * i] = clean[2 * i]! + (sd > 0 ? normal(rng, 0, sd) : 0);
    params[2 * i + 1] = b;
  }
  return { images, params, trueSd, clean };
}
