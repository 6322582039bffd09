/**
 * `aggstem predict`: model parameters (mean ± sd) of real microscope files and of aggstem's own
 * simulated images, optionally with digital twins.
 *
 *   aggstem predict --model MODEL FILE... [--json] [--backend auto|tensorflow|wasm|cpu]
 *                   [--pixel-size NM] [--vacuum LEVEL] [--full-beam LEVEL] [--normalised] [--index N | --signal NAME]
 *                   [--twins K [--candidates M] --out DIR] [--seed S]
 *
 * `--model quick` (when no directory of that name exists) is the pre-trained quick model shipped in
 * the package's `datasets/quick-model/`.
 * FILEs: every format `readImageAsync` reads (dm3, dm4, mrc, emd, tif, png, npy); a stack gives one
 * prediction per frame. Each image goes through `prepareImage` with the model's input spec:
 * beam-fraction normalisation (levels from the flags, the file's metadata, or the background),
 * resampling to the model's pixel size, aggregate detection and centring; the choices are printed.
 * aggstem's own float32 `intensity.tif` and float `.npy` arrays are beam fractions already; an `.npy`
 * without a pixel size is taken at the model's pixel size with a note, as before.
 * `--resample` is accepted for compatibility: images are always resampled now.
 */
import { basename, extname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { twinsHtml } from '../../analysis/twins-page.js';
import { completeParams } from '../../model/theta.js';
import { digitalTwins, type DigitalTwinResult } from '../../analysis/twins.js';
import { codeVersion, shippedModelDir } from '../../cnn/estimator.js';
import { outOfDistributionWarnings } from '../../cnn/predict.js';
import { disposeEstimator, EstimatorInputError, loadEstimator, predictBatch, readEstimatorMeta, type EstimatorImage, type EstimatorMeta, type ParamEstimate } from '../../cnn/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { MicroscopeImage } from '../../io/image.js';
import { encodePng8 } from '../../io/png.js';
import { readImageAsync } from '../../io/read.js';
import { aggregateToJsonLine } from '../../model/jsonl.js';
import type { ModelPrior } from '../../model/params.js';
import { isAggstemBeamFraction, modelInputSpec, prepareImage, PreprocessError, type PreparedImage, type PrepareOptions } from '../../preprocess/index.js';
import type { MicroscopeConfig } from '../../stem/config.js';
import { intFlag, numberFlag, parseCommandArgs, requireFlag } from '../args.js';
import { UserError } from '../errors.js';
import { backendFlag, startBackend } from '../resources.js';
import { progressBar } from '../progress.js';


interface Item {
  file: string;
  frame: number | null;
  prepared: PreparedImage;
  /** Pixel size of the file's image, nm, and where it came from. */
  sourcePixelSizeNm: number;
}

interface LevelFlags {
  pixelSizeNm?: number;
  vacuumLevel?: number;
  fullBeamLevel?: number;
  normalised: boolean;
  /** Which image of a multi-image file (--index N / --signal NAME). */
  read?: { index?: number; signal?: string };
}

function where(file: string, frame: number | null): string {
  return `${file}${frame !== null ? `[${frame}]` : ''}`;
}

async function readFile(file: string, read: LevelFlags['read'] = {}): Promise<MicroscopeImage> {
  return readImageAsync(file, read);
}

/** Reads one file and prepares each of its frames for the model (refusals become UserErrors naming the file). */
async function readItems(file: string, flags: LevelFlags, meta: EstimatorMeta): Promise<Item[]> {
  const img = await readFile(file, flags.read);
  const spec = modelInputSpec(meta);
  const ownBeamFraction = isAggstemBeamFraction(img) && flags.vacuumLevel === undefined && flags.fullBeamLevel === undefined;
  const opts: PrepareOptions = { normalised: flags.normalised || ownBeamFraction };
  if (flags.vacuumLevel !== undefined) opts.vacuumLevel = flags.vacuumLevel;
  if (flags.fullBeamLevel !== undefined) opts.fullBeamLevel = flags.fullBeamLevel;
  let pixelSizeNm = flags.pixelSizeNm ?? img.pixelSizeNm;
  const preNotes: string[] = [];
  if (flags.pixelSizeNm !== undefined) opts.pixelSizeNm = flags.pixelSizeNm;
  if (pixelSizeNm === null && ownBeamFraction && img.format === 'npy') {
    // aggstem's dataset stacks carry no pixel size; they are at the model's grid unless told otherwise.
    pixelSizeNm = opts.pixelSizeNm = meta.input.pixelSizeNm;
    preNotes.push(`no pixel size in the file: assuming the model's ${pixelSizeNm} nm (pass --pixel-size to set it)`);
    // On stderr too: an assumption the user should see even with --json.
    process.stderr.write(`note: ${file} has no pixel size; assuming the model's ${pixelSizeNm} nm (pass --pixel-size to set it)\n`);
  }
  if (img.metadata.convertedFromRgb) preNotes.push('WARNING: an RGB(A) image converted to grey (0.299 R + 0.587 G + 0.114 B): colour overlays, scale bars and labels burnt into it count as signal');
  if (ownBeamFraction && !flags.normalised) preNotes.push(`aggstem beam-fraction file (${img.format === 'npy' ? 'float .npy' : 'intensity.tif'})`);
  const frames = img.frames ?? 1;
  const hw = img.width * img.height;
  const out: Item[] = [];
  for (let f = 0; f < frames; f++) {
    const frame = img.frames === undefined ? null : f;
    let prepared: PreparedImage;
    try {
      prepared = prepareImage(
        { data: img.data.subarray(f * hw, (f + 1) * hw), width: img.width, height: img.height, pixelSizeNm: img.pixelSizeNm, metadata: img.metadata },
        spec,
        opts,
      );
    } catch (e) {
      if (e instanceof PreprocessError) throw new UserError(`aggstem predict: ${where(file, frame)}: ${e.message}`);
      throw e;
    }
    prepared.notes.unshift(...preNotes);
    out.push({ file, frame, prepared, sourcePixelSizeNm: pixelSizeNm! });
  }
  return out;
}

/** The shipped models, by name, resolved against the package root (src/cli/commands and dist/src/cli/commands sit at different depths). */
function fmt(x: number): string {
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(3) : x.toPrecision(4);
}

function optionalNumber(name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : numberFlag('predict', name, value as string, NaN);
}

/** 8-bit preview with a display range shared by the observed image and its twins. */
function previewPng(data: Float32Array, size: number, lo: number, hi: number, pixelSizeNm: number): Uint8Array {
  const out = new Uint8Array(data.length);
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  for (let i = 0; i < data.length; i++) out[i] = Math.max(0, Math.min(255, Math.round((data[i]! - lo) * scale)));
  return encodePng8(out, size, size, { pixelSizeNm, text: { display: `linear ${lo} (black) to ${hi} (white) beam fraction` } });
}

function displayRange(data: Float32Array): [number, number] {
  const s = Float32Array.from(data).sort();
  return [s[Math.floor(0.001 * (s.length - 1))]!, s[Math.ceil(0.999 * (s.length - 1))]!];
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'predict',
    argv,
    {
      model: { type: 'string' },
      json: { type: 'boolean' },
      backend: { type: 'string' },
      resample: { type: 'boolean' },
      'pixel-size': { type: 'string' },
      vacuum: { type: 'string' },
      'full-beam': { type: 'string' },
      normalised: { type: 'boolean' },
      twins: { type: 'string' },
      candidates: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      index: { type: 'string' },
      signal: { type: 'string' },
    },
    true,
  );
  const modelDir = shippedModelDir(requireFlag('predict', 'model', values.model as string | undefined));
  if (positionals.length === 0) throw new UserError('aggstem predict: give at least one image FILE (dm3, dm4, mrc, emd, tif, png or npy)');
  const backendPref = backendFlag('predict', values.backend as string | undefined);
  const flags: LevelFlags = { normalised: Boolean(values.normalised) };
  if (values.index !== undefined && values.signal !== undefined) throw new UserError('aggstem predict: give --index or --signal, not both');
  if (values.index !== undefined) flags.read = { index: intFlag('predict', 'index', values.index as string, 0, 0) };
  if (values.signal !== undefined) flags.read = { signal: values.signal as string };
  const pixelFlag = optionalNumber('pixel-size', values['pixel-size']);
  if (pixelFlag !== undefined && !(pixelFlag > 0)) throw new UserError(`aggstem predict: --pixel-size must be > 0 nm, got ${pixelFlag}`);
  if (pixelFlag !== undefined) flags.pixelSizeNm = pixelFlag;
  const vacuum = optionalNumber('vacuum', values.vacuum);
  const fullBeam = optionalNumber('full-beam', values['full-beam']);
  if (vacuum !== undefined) flags.vacuumLevel = vacuum;
  if (fullBeam !== undefined) flags.fullBeamLevel = fullBeam;
  if (flags.normalised && (vacuum !== undefined || fullBeam !== undefined)) {
    throw new UserError('aggstem predict: --normalised (data already in beam fractions) cannot be combined with --vacuum / --full-beam (detector levels to normalise with)');
  }
  if (vacuum !== undefined && fullBeam !== undefined && !(fullBeam > vacuum)) {
    throw new UserError(`aggstem predict: --full-beam (${fullBeam}) must exceed --vacuum (${vacuum})`);
  }
  const twinsK = values.twins !== undefined ? intFlag('predict', 'twins', values.twins as string, 0, 1) : 0;
  const candidates = intFlag('predict', 'candidates', values.candidates as string | undefined, 20 * Math.max(1, twinsK), 1);
  const seed = (values.seed as string | undefined) ?? '0';
  const outDir = values.out as string | undefined;
  if (twinsK > 0 && outDir === undefined) throw new UserError('aggstem predict: --twins needs --out DIR (where the twins are written)');
  if (values.candidates !== undefined && twinsK === 0) throw new UserError('aggstem predict: --candidates only applies with --twins K');
  if (twinsK > 0 && candidates < twinsK) throw new UserError(`aggstem predict: --candidates (${candidates}) must be at least --twins (${twinsK})`);
  const note = (m: string) => process.stderr.write(m + '\n');

  // Check the model directory and read the files before starting a backend: user mistakes fail fast.
  const meta: EstimatorMeta = readEstimatorMeta(modelDir);
  let twinSetup: { prior: ModelPrior; microscope: MicroscopeConfig } | null = null;
  if (twinsK > 0) {
    if (meta.prior === undefined || meta.microscope === undefined) {
      throw new UserError(`aggstem predict: --twins needs the model's prior and microscope, but ${modelDir} does not record ${meta.prior === undefined ? 'its prior' : 'its microscope'}`);
    }
    twinSetup = { prior: meta.prior, microscope: meta.microscope };
  }
  const items: Item[] = [];
  for (const f of positionals) items.push(...(await readItems(f, flags, meta)));

  await startBackend('predict', backendPref, (line) => { if (!values.json) note(line); });
  const est = await loadEstimator(modelDir);
  let estimates: ParamEstimate[];
  const images: EstimatorImage[] = items.map((it) => ({ data: it.prepared.data, widthPx: it.prepared.size, heightPx: it.prepared.size, pixelSizeNm: it.prepared.pixelSizeNm }));
  try {
    estimates = await predictBatch(est, images);
  } catch (e) {
    if (e instanceof EstimatorInputError) {
      const m = /image (\d+)/.exec(e.message);
      const it = m ? items[Number(m[1])] : items[0];
      throw new UserError(`aggstem predict: ${it ? where(it.file, it.frame) : ''}: ${e.message.replace(/^predict( \(image \d+\))?: /, '')}`);
    }
    throw e;
  } finally {
    disposeEstimator(est);
  }

  // Output folder per image: the file's stem (+ frame), made unique when two files share a stem.
  const used = new Set<string>();
  const twinDirs: (string | null)[] = items.map((it) => {
    if (outDir === undefined) return null;
    let name = basename(it.file, extname(it.file)) + (it.frame !== null ? `-frame${it.frame}` : '');
    for (let k = 2; used.has(name); k++) name = `${basename(it.file, extname(it.file))}${it.frame !== null ? `-frame${it.frame}` : ''}-${k}`;
    used.add(name);
    return join(outDir, name);
  });
  const twinSummaries: (Record<string, unknown> | null)[] = items.map(() => null);
  if (outDir !== undefined) {
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!, e = estimates[i]!, dir = twinDirs[i]!;
      const { size, pixelSizeNm } = it.prepared;
      const [lo, hi] = displayRange(it.prepared.data);
      const observedPng = previewPng(it.prepared.data, size, lo, hi, pixelSizeNm);
      const summary: Record<string, unknown> = {
        file: it.file, frame: it.frame, model: modelDir, names: e.names, mean: e.mean, sd: e.sd, lower95: e.lower95, upper95: e.upper95,
        ...(e.descriptors ? { descriptors: e.descriptors } : {}),
        preprocessing: { notes: it.prepared.notes, levels: it.prepared.levels, aggregate: it.prepared.aggregate, windowOriginPx: it.prepared.windowOriginPx, pixelSizeNm, sizePx: size },
        files: ['observed.png', 'summary.json'],
      };
      writeFileAtomic(join(dir, 'observed.png'), observedPng);
      if (twinSetup) {
        const params = completeParams(twinSetup.prior, e.names, e.mean);
        const bar = progressBar(`twins ${where(it.file, it.frame)}`, candidates, { quiet: Boolean(values.json) });
        let res: DigitalTwinResult;
        try {
          res = digitalTwins(it.prepared.data, size, pixelSizeNm, params, twinSetup.microscope, {
            keep: twinsK, candidates, seed: `${seed}:${where(it.file, it.frame)}`, onProgress: (d) => { if (d < candidates) bar.update(d); },
          });
        } catch (err) {
          if (err instanceof RangeError) throw new UserError(`aggstem predict: ${where(it.file, it.frame)}: ${err.message}`);
          throw err;
        }
        bar.finish(`${res.twins.length} kept, ${res.failed} failed`);
        if (res.twins.length === 0) throw new UserError(`aggstem predict: ${where(it.file, it.frame)}: none of the ${candidates} candidates gave a usable projection; try more --candidates`);
        const lines = res.twins.map((t, k) => aggregateToJsonLine({
          ...t.aggregate,
          quality: { ...t.aggregate.quality, twinRank: k + 1, twinDistance: t.distance } as typeof t.aggregate.quality,
        }) + '\n');
        writeFileAtomic(join(dir, 'twins.jsonl'), lines.join(''));
        const twinPngs = res.twins.map((t) => previewPng(t.image, size, lo, hi, pixelSizeNm));
        twinPngs.forEach((png, k) => writeFileAtomic(join(dir, `twin-${k + 1}.png`), png));
        writeFileAtomic(join(dir, 'twins.html'), twinsHtml(where(it.file, it.frame), observedPng, twinPngs, res, pixelSizeNm));
        Object.assign(summary, {
          twinParams: params,
          twins: {
            seed, candidates: res.candidates, failed: res.failed,
            observed: { areaNm2: res.observed.areaNm2, rg2dNm: res.observed.rg2dNm, intensityQuantiles: Array.from(res.observed.intensityQuantiles) },
            kept: res.twins.map((t, k) => ({ rank: k + 1, id: t.aggregate.id, nParticles: t.aggregate.particles.r.length, distance: t.distance, areaNm2: t.stats.areaNm2, rg2dNm: t.stats.rg2dNm, image: `twin-${k + 1}.png` })),
          },
          files: ['observed.png', 'summary.json', 'twins.jsonl', 'twins.html', ...res.twins.map((_, k) => `twin-${k + 1}.png`)],
        });
      }
      writeFileAtomic(join(dir, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
      twinSummaries[i] = { dir, ...(summary.twins ? { twins: (summary.twins as { kept: unknown[] }).kept.length } : {}) };
    }
  }

  // Doubtful results are said, in the notes and the JSON (`warnings`), never left quiet.
  items.forEach((it, i) => it.prepared.notes.push(...outOfDistributionWarnings(meta, estimates[i]!, it.prepared.data)));
  const warnings = items.map((it) => it.prepared.notes.filter((n) => n.startsWith('WARNING')));
  const provenance = { model: resolve(modelDir), modelSha256: meta.files, modelCodeVersion: meta.codeVersion, backend: tf.getBackend(), codeVersion: codeVersion(), seed };
  if (values.json) {
    const rows = items.map((it, i) => {
      const e = estimates[i]!;
      return {
        file: it.file, frame: it.frame, pixelSizeNm: it.sourcePixelSizeNm,
        preprocessing: { notes: it.prepared.notes, levels: it.prepared.levels, aggregate: it.prepared.aggregate },
        ...e,
        ...(e.posterior ? { posterior: { bins: e.posterior.bins, targets: [...e.names, ...(e.descriptors?.names ?? [])], probs: e.posterior.probs.map((p) => Array.from(p)) } } : {}),
        ...(twinSummaries[i] ? { output: twinSummaries[i] } : {}),
        warnings: warnings[i],
        provenance,
      };
    });
    console.log(JSON.stringify(rows, null, 1));
    return 0;
  }
  const w = Math.max(...meta.paramNames.map((n) => n.length), ...(meta.descriptorNames ?? []).map((n) => n.length));
  items.forEach((it, i) => {
    const e = estimates[i]!;
    console.log(where(it.file, it.frame));
    // Parameter lines stay `name  mean ± sd` (scripts parse them); intervals follow the notes.
    e.names.forEach((n, j) => console.log(`  ${n.padEnd(w)}  ${fmt(e.mean[j]!)} ± ${fmt(e.sd[j]!)}`));
    for (const n of it.prepared.notes) console.log(`  · ${n}`);
    console.log(`  95 % intervals: ${e.names.map((n, j) => `${n} [${fmt(e.lower95[j]!)}, ${fmt(e.upper95[j]!)}]`).join(', ')}`);
    const d = e.descriptors;
    if (d) {
      console.log(`  ${'descriptor (imaged aggregate)'.padEnd(w)}`);
      d.names.forEach((n, j) => console.log(`  ${n.padEnd(w)}  ${fmt(d.mean[j]!)} ± ${fmt(d.sd[j]!)}   [${fmt(d.lower95[j]!)}, ${fmt(d.upper95[j]!)}] (95 %)`));
    }
    if (twinDirs[i]) console.log(`  → ${twinDirs[i]}`);
  });
  console.log(`model ${provenance.model} (sha256 ${meta.files.weights.slice(0, 12)}…), backend ${provenance.backend}, aggstem ${provenance.codeVersion}`);
  return 0;
}
