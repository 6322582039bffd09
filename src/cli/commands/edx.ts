/**
 * `aggstem edx MAP... [--a red --b green] [--pixel-size NM] [--json]`
 * `aggstem edx --a ti.tif --b w.tif [--pixel-size NM] [--json]`
 * Statistics of STEM-EDX element maps (src/maps, docs/maps.md): RGB overlays (one element per
 * channel; white/grey scale bars and labels are masked) or two single-element maps. With
 * `--compare PRIOR` (a preset's prior: dfsp, quick, paper; or a prior JSON file) or `--at PARAMS`
 * (a parameter preset or file) it places every statistic in the model's distribution.
 */
import { existsSync, readFileSync } from 'node:fs';
import { DATASET_PRESETS, type DatasetPresetName } from '../../dataset/config.js';
import { predictiveCheck, type ModelSource } from '../../maps/compare.js';
import { CHANNELS, mapsFromFiles, mapsFromOverlay, type Channel, type MaskRect } from '../../maps/read.js';
import { mapStatistics, mapStatisticsRecord, type MapStatisticsOptions } from '../../maps/statistics.js';
import { resolveModelParams, validateModelPrior } from '../../model/params.js';
import { intFlag, numberFlag, parseCommandArgs } from '../args.js';
import { UserError } from '../errors.js';
import { progressBar } from '../progress.js';

const USAGE = [
  'usage: aggstem edx MAP... [--a red|green|blue --b red|green|blue] [options]   (RGB overlays)',
  '       aggstem edx --a A_MAP --b B_MAP [options]                             (two element maps)',
  'options: --pixel-size NM  --smooth PX (2)  --threshold F (0.2)  --min-domain NM (4)',
  '         --mask x,y,w,h (repeatable)  --no-auto-mask  --json',
  '         --compare PRIOR (dfsp|quick|paper|prior.json) | --at PARAMS (preset|params.json)  --count K (40)  --seed S',
].join('\n');

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('edx', argv, {
    a: { type: 'string' },
    b: { type: 'string' },
    'pixel-size': { type: 'string' },
    smooth: { type: 'string' },
    threshold: { type: 'string' },
    'min-domain': { type: 'string' },
    mask: { type: 'string', multiple: true },
    'no-auto-mask': { type: 'boolean' },
    compare: { type: 'string' },
    at: { type: 'string' },
    count: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  }, true);
  const a = values.a as string | undefined, b = values.b as string | undefined;
  const isChannel = (s: string | undefined) => s === undefined || CHANNELS.includes(s as Channel);
  const overlays = positionals;
  const twoFiles = !isChannel(a) || !isChannel(b);
  if (twoFiles && overlays.length) throw new UserError(`aggstem edx: --a/--b name files, so no overlay may be given (got ${overlays.join(', ')})\n${USAGE}`);
  if (twoFiles && (a === undefined || b === undefined || isChannel(a) || isChannel(b))) throw new UserError(`aggstem edx: two element maps need both --a FILE and --b FILE\n${USAGE}`);
  if (!twoFiles && overlays.length === 0) throw new UserError(`aggstem edx: give at least one RGB overlay, or --a FILE --b FILE\n${USAGE}`);
  if (values.compare !== undefined && values.at !== undefined) throw new UserError('aggstem edx: give --compare PRIOR or --at PARAMS, not both');
  const pixelSizeNm = values['pixel-size'] !== undefined ? numberFlag('edx', 'pixel-size', values['pixel-size'] as string, NaN) : undefined;
  if (pixelSizeNm !== undefined && !(pixelSizeNm > 0)) throw new UserError(`aggstem edx: --pixel-size ${String(values['pixel-size'])}: expected a positive number of nm`);
  const maskRects = ((values.mask as string[] | undefined) ?? []).map(parseRect);
  const stats: MapStatisticsOptions = {};
  if (values.smooth !== undefined) stats.smoothPx = numberFlag('edx', 'smooth', values.smooth as string, 2);
  if (values.threshold !== undefined) stats.threshold = numberFlag('edx', 'threshold', values.threshold as string, 0.2);
  if (values['min-domain'] !== undefined) stats.minDomainDiameterNm = numberFlag('edx', 'min-domain', values['min-domain'] as string, 4);
  const source = values.compare !== undefined ? priorSource(values.compare as string) : values.at !== undefined ? { params: resolveModelParams(values.at as string) } : null;
  const count = intFlag('edx', 'count', values.count as string | undefined, 40, 2);

  const inputs = twoFiles
    ? [{ name: `${a} + ${b}`, maps: () => mapsFromFiles(a!, b!, { ...(pixelSizeNm ? { pixelSizeNm } : {}), maskRects }) }]
    : overlays.map((f) => ({ name: f, maps: () => mapsFromOverlay(f, { a: (a ?? 'red') as Channel, b: (b ?? 'green') as Channel, ...(pixelSizeNm ? { pixelSizeNm } : {}), maskRects, maskAnnotations: !values['no-auto-mask'] }) }));
  const results = [];
  for (const input of inputs) {
    const maps = input.maps();
    const s = mapStatistics(maps, stats);
    const masked = maps.mask ? maps.mask.reduce((n, m) => n + m, 0) : 0;
    let check = null;
    if (source) {
      const bar = progressBar('edx model draws', count, { quiet: Boolean(values.quiet) || Boolean(values.json) });
      check = predictiveCheck(s, source, { ...stats, count, seed: (values.seed as string | undefined) ?? '0', onProgress: (d) => bar.update(d) });
      bar.finish();
    }
    results.push({ input: input.name, widthPx: maps.widthPx, heightPx: maps.heightPx, pixelSizeNm: maps.pixelSizeNm, maskedPixels: masked, statistics: { ...s, options: undefined }, options: s.options, ...(check ? { modelCheck: check } : {}) });
    if (!values.json) printText(input.name, maps.widthPx, maps.heightPx, masked, s, check);
  }
  if (values.json) console.log(JSON.stringify(results.length === 1 ? results[0] : results, null, 1));
  return 0;
}

function parseRect(s: string): MaskRect {
  const v = s.split(',').map(Number);
  if (v.length !== 4 || !v.every((x) => Number.isInteger(x) && x >= 0) || v[2]! < 1 || v[3]! < 1) throw new UserError(`aggstem edx: --mask ${s}: expected x,y,width,height in pixels (non-negative integers)`);
  return v as MaskRect;
}

function priorSource(spec: string): ModelSource {
  if (Object.prototype.hasOwnProperty.call(DATASET_PRESETS, spec)) return { prior: DATASET_PRESETS[spec as DatasetPresetName].prior };
  if (!existsSync(spec)) throw new UserError(`aggstem edx: --compare ${spec} is neither a preset (${Object.keys(DATASET_PRESETS).join(', ')}) nor a file`);
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(spec, 'utf8'));
  } catch (e) {
    throw new UserError(`aggstem edx: --compare ${spec} is not valid JSON: ${(e as Error).message}`);
  }
  const o = obj as { prior?: unknown };
  return { prior: validateModelPrior(o && typeof o === 'object' && 'prior' in o ? o.prior : obj) };
}

function printText(name: string, w: number, h: number, masked: number, s: ReturnType<typeof mapStatistics>, check: ReturnType<typeof predictiveCheck> | null): void {
  const r = mapStatisticsRecord(s);
  const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  console.log(`${name}: ${w}×${h} px at ${s.pixelSizeNm} nm/px${masked ? `, ${masked} px masked (annotations)` : ''}; smoothing σ ${s.options.smoothPx} px, threshold ${s.options.threshold}, domains ≥ ${s.options.minDomainDiameterNm} nm`);
  console.log(`  B area share          ${f(r.bAreaShare)}`);
  console.log(`  B domains             ${s.bDomains} (equivalent diameters ${s.bDomainDiametersNm.slice(0, 8).map((d) => d.toFixed(0)).join(', ')}${s.bDomains > 8 ? ', …' : ''} nm)`);
  console.log(`  B boundary on A       ${f(r.bBoundaryContactShare)}`);
  console.log(`  solidity A / B        ${f(r.solidityA)} / ${f(r.solidityB)}`);
  if (check) {
    console.log(`  model check (${check.draws} draws${check.failed ? `, ${check.failed} failed` : ''}, seed ${check.seed}): statistic  observed  model median [5 %, 95 %]  percentile`);
    for (const row of check.rows) {
      const d = row.statistic === 'bDomains' || row.statistic === 'bDomainMedianDiameterNm' ? 1 : 3;
      const flag = row.percentile < 0.05 || row.percentile > 0.95 ? '  ← outside the model\'s central 90 %' : '';
      console.log(`    ${row.statistic.padEnd(24)} ${f(row.observed, d).padStart(8)}  ${f(row.modelMedian, d)} [${f(row.modelLow5, d)}, ${f(row.modelHigh95, d)}]  ${f(row.percentile, 2)}${flag}`);
    }
  }
}
