/**
 * Material maps: statistics of two-element maps (STEM-EDX element maps of TiO2–WO3, or the
 * simulator's per-material projected thickness) — B area share, B domains, B-domain boundary
 * contact with A, and the 2D solidity of A and B domains — plus reading RGB overlays and comparing
 * a real map with the model's distribution (docs/maps.md).
 *
 * ```ts
 * import { elementMapsOf, mapStatistics } from 'aggstem';
 * const s = mapStatistics(elementMapsOf(aggregate.particles, { pixelSizeNm: 0.625 }));
 * ```
 */
export {
  classifyMaps, classifyOptions, checkMaps, MapInputError, LABEL_A, LABEL_B, LABEL_BACKGROUND,
  type ClassifyOptions, type MaterialLabels, type MaterialMaps,
} from './classify.js';
export { mapStatistics, mapStatisticsRecord, MAP_STATISTIC_NAMES, type MapStatistics, type MapStatisticsOptions } from './statistics.js';
export { elementMapsOf, type ElementMapOptions } from './render.js';
export { mapsFromFiles, mapsFromOverlay, CHANNELS, type Channel, type MaskRect, type OverlayOptions } from './read.js';
export { predictiveCheck, type ModelSource, type PredictiveCheck, type PredictiveCheckOptions, type PredictiveRow } from './compare.js';
