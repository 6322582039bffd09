/**
 * aggstem: characterise 3D nanoparticle hetero-aggregates from 2D HAADF-STEM images.
 *
 * Data flow: ModelParams → generate → Aggregate → describe / simulate → Dataset → train →
 * Estimator → predict → digital twins → evaluate. Each stage lives in its own folder of `src/`.
 *
 * @packageDocumentation
 */
export * from './random/index.js';
export * from './model/index.js';
export * from './descriptors/index.js';
export * from './io/index.js';
export * from './stem/index.js';
export * from './cnn/index.js';
export * from './dataset/index.js';
export * from './preprocess/index.js';
export * from './analysis/index.js';
