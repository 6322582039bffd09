// Types for the deep import of quickhull3d's self-contained ESM bundle (see hull.ts for why).
declare module 'quickhull3d/dist/quickhull3d.js' {
  export { default, QuickHull, isPointInsideHull } from 'quickhull3d';
}
