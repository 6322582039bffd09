// Regression: wasserstein1 looped forever on NaN (a descriptor undefined for some aggregates, e.g.
// fractalDimPairCount of a small one), which hung descriptorErrorTable and `aggstem evaluate`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wasserstein1 } from '../../src/analysis/metrics.js';

test('wasserstein1 ignores non-finite values and is NaN when a side has none', () => {
  assert.equal(wasserstein1([0, NaN, 1, Infinity], [1, NaN, 2]), wasserstein1([0, 1], [1, 2]));
  assert.ok(Math.abs(wasserstein1([0, NaN, 1], [1, 2]) - 1) < 1e-15);
  assert.ok(Number.isNaN(wasserstein1([NaN, NaN], [1, 2])));
  assert.ok(Number.isNaN(wasserstein1([1], [-Infinity])));
});
