/**
 * `aggstem simulate aggregates.jsonl --microscope <file|preset> --seed S --out DIR
 *   [--tilt a,b,c] [--tilt-axis x|y] [--orientation identity|random] [--quiet]`
 *
 * Simulates one HAADF-STEM image (or a tilt series) per aggregate of a JSON Lines file. Aggregate
 * `id` uses the stream randomStream(S, 'image', id), so its image depends neither on the other
 * records nor on their order. Writes DIR/<id>/{counts.png, intensity.tif, clean.npy, mask.png,
 * thickness.npy} (tilt series: DIR/<id>/tilt-<k>/…) and finally DIR/manifest.json with the full
 * microscope configuration, the seed and a SHA-256 per file. Every file is written atomically.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseCommandArgs, requireFlag } from '../args.js';
import { UserError } from '../errors.js';
import { progressBar } from '../progress.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readSphereRecords } from '../../model/jsonl.js';
import { deriveStream, randomRotation, randomStream } from '../../random/index.js';
import {
  createStemWorkspace, loadMicroscopeConfig, simulateImage, tiltSeries, writeStemImage,
  type MicroscopeConfig, type StemImage, type StemImageFile,
} from '../../stem/index.js';

const USAGE = 'usage: aggstem simulate aggregates.jsonl --microscope <file|preset> --seed S --out DIR [--tilt a,b,c] [--tilt-axis x|y] [--orientation identity|random] [--quiet]';

/** One image entry of manifest.json. */
interface ManifestImage {
  id: string;
  index: number;
  dir: string;
  tiltDeg?: number;
  fits: boolean;
  marginPx: number;
  centerNm: [number, number];
  files: StemImageFile[];
}

function packageVersion(): string {
  let dir = new URL('.', import.meta.url).pathname;
  for (let i = 0; i < 6 && !existsSync(join(dir, 'package.json')); i++) dir = resolve(dir, '..');
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function parseTilts(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  return parts.map((s, k) => {
    const a = Number(s);
    if (s === '' || !Number.isFinite(a) || Math.abs(a) >= 90) {
      throw new UserError(`aggstem simulate: --tilt must be comma-separated angles in degrees in (-90, 90), but item ${k + 1} is "${s}"`);
    }
    return a;
  });
}

/** A directory name for an aggregate id: safe characters only, unique within the run. */
function dirNameFor(id: string, index: number, used: Set<string>): string {
  let name = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  if (name === '') name = `aggregate-${index}`;
  if (used.has(name)) name = `${name}-${index}`;
  used.add(name);
  return name;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('simulate', argv, {
    microscope: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    tilt: { type: 'string' },
    'tilt-axis': { type: 'string' },
    orientation: { type: 'string' },
    quiet: { type: 'boolean' },
  }, true);
  if (positionals.length !== 1) throw new UserError(`aggstem simulate: expected exactly one aggregates.jsonl file, got ${positionals.length}\n${USAGE}`);
  const input = positionals[0]!;
  const microscopeSpec = requireFlag('simulate', 'microscope', values.microscope as string | undefined);
  const seed = requireFlag('simulate', 'seed', values.seed as string | undefined);
  const outDir = requireFlag('simulate', 'out', values.out as string | undefined);
  const tilts = values.tilt === undefined ? null : parseTilts(values.tilt as string);
  const axis = (values['tilt-axis'] as string | undefined) ?? 'y';
  if (axis !== 'x' && axis !== 'y') throw new UserError(`aggstem simulate: --tilt-axis must be x or y, got "${axis}"`);
  if (values['tilt-axis'] !== undefined && !tilts) throw new UserError('aggstem simulate: --tilt-axis needs --tilt');
  const orientation = (values.orientation as string | undefined) ?? 'identity';
  if (orientation !== 'identity' && orientation !== 'random') {
    throw new UserError(`aggstem simulate: --orientation must be identity or random, got "${orientation}"`);
  }
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new UserError(`aggstem simulate: --out ${outDir} exists and is not a directory`);

  const microscope: MicroscopeConfig = loadMicroscopeConfig(microscopeSpec);
  let inputBytes: Buffer;
  try {
    inputBytes = readFileSync(input);
  } catch (e) {
    throw new UserError(`aggstem simulate: cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // Any sphere set is simulated: only the geometry is validated, `params` is metadata (docs/stem.md).
  let aggregates: ReturnType<typeof readSphereRecords>;
  try {
    aggregates = readSphereRecords(input);
  } catch (e) {
    throw new UserError(`aggstem simulate: ${(e as Error).message}`);
  }
  if (aggregates.length === 0) throw new UserError(`aggstem simulate: ${input} holds no aggregates`);
  const ids = new Set<string>();
  aggregates.forEach((a, i) => {
    if (ids.has(a.id)) throw new UserError(`aggstem simulate: ${input}: aggregate id "${a.id}" appears twice (records ${[...ids].indexOf(a.id) + 1} and ${i + 1}); ids select the random streams and must be unique`);
    ids.add(a.id);
  });

  const bar = progressBar('simulate', aggregates.length, { quiet: Boolean(values.quiet) });
  const workspace = createStemWorkspace();
  const used = new Set<string>();
  const images: ManifestImage[] = [];
  let notFitting = 0;
  aggregates.forEach((agg, index) => {
    const rng = randomStream(seed, 'image', agg.id);
    const dir = dirNameFor(agg.id, index, used);
    let rendered: { image: StemImage; sub: string }[];
    if (tilts) {
      rendered = tiltSeries(agg.particles, microscope, rng, tilts, axis, { workspace }).map((image, k) => ({ image, sub: join(dir, `tilt-${k}`) }));
    } else {
      const rotation = orientation === 'random' ? randomRotation(deriveStream(rng, 'orientation')) : undefined;
      rendered = [{ image: simulateImage(agg.particles, microscope, rng, { rotation, workspace }), sub: dir }];
    }
    for (const { image, sub } of rendered) {
      const written = writeStemImage(join(outDir, sub), image);
      if (!image.fits) notFitting++;
      images.push({
        id: agg.id,
        index,
        dir: sub,
        ...(image.tiltDeg !== undefined ? { tiltDeg: image.tiltDeg } : {}),
        fits: image.fits,
        marginPx: image.marginPx,
        centerNm: image.centerNm,
        files: written.files,
      });
    }
    bar.update(index + 1);
  });
  const manifest = {
    format: 'aggstem-simulate',
    version: 1,
    aggstemVersion: packageVersion(),
    input: { path: input, sha256: createHash('sha256').update(inputBytes).digest('hex'), aggregates: aggregates.length },
    seed,
    streams: "randomStream(seed, 'image', id); sub-streams 'kappa', 'carbon', 'scan', 'noise' (and 'orientation', or 'tilt', k)",
    orientation: tilts ? 'tilt series' : orientation,
    tilt: tilts ? { anglesDeg: tilts, axis } : null,
    microscope,
    files: {
      'counts.png': '16-bit detector counts S; pixel size in pHYs and tEXt pixelSizeNm',
      'intensity.tif': 'float32 normalised intensity (S - offset)/(gain * dose); ImageJ calibration in nm',
      'clean.npy': 'float32 [H, W] noise-free HAADF fraction',
      'mask.png': '8-bit material mask: 0 none, 1 A, 2 B, 3 both',
      'thickness.npy': 'float32 [3, H, W] projected thickness of A, B, carbon in nm',
    },
    summary: { images: images.length, notFitting },
    images,
  };
  writeFileAtomic(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  bar.finish(notFitting > 0 ? `(${notFitting} image(s) do not fit the field)` : '');
  if (notFitting > 0 && !values.quiet) {
    console.error(`aggstem simulate: warning: ${notFitting} of ${images.length} images have the aggregate closer than ${microscope.fitMarginPx} px to the field edge (see "fits" in the manifest)`);
  }
  return 0;
}
