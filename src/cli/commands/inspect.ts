/**
 * `aggstem inspect FILE [--index N | --signal NAME] [--json] [--raw]`: reads a microscope or aggstem image file (dm3, dm4, mrc,
 * emd, tif, png, npy) and prints its format, shape, dtype, pixel size, min / max / mean and the key
 * acquisition metadata. `--json` prints one JSON object instead; `--raw` adds the file's full tag
 * tree / header. Unknown or corrupt files exit with status 2 and a one-line message.
 */
import { intFlag, parseCommandArgs } from '../args.js';
import { UserError } from '../errors.js';
import { imageStats, readImageAsync, type MicroscopeImage } from '../../io/index.js';

const USAGE = 'usage: aggstem inspect FILE [--index N | --signal NAME] [--json] [--raw]';

/** Key facts shown in text mode, in this order, with labels and units. */
const KEY_FACTS: [string, string, (v: unknown) => string][] = [
  ['acquisitionMode', 'acquisition mode', String],
  ['microscope', 'microscope', String],
  ['beamEnergyKv', 'beam energy', (v) => `${v} kV`],
  ['dwellTimeS', 'dwell time', (v) => `${fmt(v as number)} s`],
  ['cameraLengthMm', 'camera length', (v) => `${fmt(v as number)} mm`],
  ['magnification', 'magnification', (v) => `${v}x`],
  ['convergenceMrad', 'convergence', (v) => `${fmt(v as number)} mrad`],
  ['title', 'signal', String],
  ['detector', 'detector', String],
  ['date', 'date', String],
  ['time', 'time', String],
];

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(6).replace(/\.?0+e/, 'e') : String(Number(v.toPrecision(7)));
}

/** The JSON-able summary printed by `inspect` (metadata without `raw` unless asked for). */
export function inspectSummary(file: string, img: MicroscopeImage, raw = false): Record<string, unknown> {
  const s = imageStats(img.data);
  const { raw: rawMeta, ...metadata } = img.metadata;
  const out: Record<string, unknown> = {
    file,
    format: img.format,
    shape: img.shape,
    width: img.width,
    height: img.height,
    frames: img.frames ?? 1,
    dtype: img.dtype,
    pixelSize: img.pixelSize,
    pixelSizeNm: img.pixelSizeNm,
    min: s.min,
    max: s.max,
    mean: s.mean,
    nonFinite: s.nonFinite,
    metadata,
  };
  if (raw && rawMeta !== undefined) out.raw = rawMeta;
  return out;
}

function textReport(sum: Record<string, unknown>, img: MicroscopeImage, raw: boolean): string {
  const rows: [string, string][] = [
    ['file', String(sum.file)],
    ['format', img.format],
    ['shape', `${img.shape.join(' x ')} (${img.frames ? 'frames x ' : ''}height x width)`],
    ['dtype', img.dtype],
    [
      'pixel size',
      img.pixelSize.value === null
        ? 'unknown (no calibration in the file)'
        : img.pixelSizeNm !== null && img.pixelSize.unit !== 'nm'
          ? `${fmt(img.pixelSizeNm)} nm (file: ${fmt(img.pixelSize.value)} ${img.pixelSize.unit})`
          : `${fmt(img.pixelSize.value)} ${img.pixelSize.unit}`,
    ],
    ['min', fmt(sum.min as number)],
    ['max', fmt(sum.max as number)],
    ['mean', fmt(sum.mean as number)],
  ];
  if ((sum.nonFinite as number) > 0) rows.push(['non-finite', String(sum.nonFinite)]);
  for (const [key, label, show] of KEY_FACTS) {
    const v = img.metadata[key];
    if (v !== undefined && v !== null && v !== '') rows.push([label, show(v)]);
  }
  if (typeof img.metadata.note === 'string') rows.push(['note', img.metadata.note]);
  // Files with several images (Velox signals): list them so --index/--signal can pick one.
  const images = img.metadata.images as { title?: string; detector?: unknown }[] | undefined;
  if (Array.isArray(images) && images.length > 1) rows.push(['images', images.map((x, i) => `${i}: ${x.title ?? x.detector ?? '?'}`).join(', ') + ' (pick with --index N or --signal NAME)']);
  const w = Math.max(...rows.map(([k]) => k.length));
  let text = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
  if (raw && img.metadata.raw !== undefined) text += `\n\nraw metadata:\n${JSON.stringify(img.metadata.raw, null, 2)}`;
  return text;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('inspect', argv, { json: { type: 'boolean' }, raw: { type: 'boolean' }, index: { type: 'string' }, signal: { type: 'string' } }, true);
  if (positionals.length !== 1) {
    throw new UserError(`aggstem inspect: expected exactly one FILE, got ${positionals.length === 0 ? 'none' : positionals.length}\n${USAGE}`);
  }
  const file = positionals[0]!;
  const index = values.index !== undefined ? intFlag('inspect', 'index', values.index as string, 0, 0) : undefined;
  if (index !== undefined && values.signal !== undefined) throw new UserError('aggstem inspect: give --index or --signal, not both');
  const img = await readImageAsync(file, { ...(index !== undefined ? { index } : {}), ...(values.signal !== undefined ? { signal: values.signal as string } : {}) });
  const raw = values.raw === true;
  const sum = inspectSummary(file, img, raw);
  if (values.json === true) {
    // NaN/Infinity are not JSON: print them as null.
    console.log(JSON.stringify(sum, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : typeof v === 'bigint' ? Number(v) : v), 2));
  } else {
    console.log(textReport(sum, img, raw));
  }
  return 0;
}
