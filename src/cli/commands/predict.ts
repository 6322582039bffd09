/**
 * `aggstem predict`: model parameters (mean ± sd) of simulated images.
 *
 *   aggstem predict --model MODEL FILE... [--json] [--backend auto|tensorflow|wasm|cpu]
 *                   [--resample] [--pixel-size NM]
 *
 * `--model quick` (when no directory of that name exists) is the pre-trained quick model shipped in
 * the package's `datasets/quick-model/`.
 * FILEs are `.npy` (2-D image or 3-D stack) or float32 `.tif` images in the model's intensity units
 * (normalised HAADF beam fraction, as `aggstem simulate` / `aggstem dataset` write them). A stack
 * gives one prediction per frame. Files without a pixel size (NPY) are taken at `--pixel-size`, or
 * at the model's pixel size with a note. Real microscope files need normalising first (a later
 * preprocessing step slots in through `predict`'s `preprocess` option).
 */
import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendUnavailableError, initBackend, type BackendPreference } from '../../cnn/backend/index.js';
import { disposeEstimator, EstimatorFileError, EstimatorInputError, loadEstimator, predictBatch, readEstimatorMeta, type EstimatorImage, type EstimatorMeta, type ParamEstimate } from '../../cnn/index.js';
import { ImageFormatError } from '../../io/errors.js';
import { readImage } from '../../io/read.js';
import { numberFlag, parseCommandArgs, requireFlag } from '../args.js';
import { UserError } from '../errors.js';

const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'];
const SIMULATED_EXTENSIONS = ['.npy', '.tif', '.tiff'];

interface Item {
  file: string;
  frame: number | null;
  image: EstimatorImage;
}

function readItems(file: string, pixelSizeFlag: number | undefined, modelPixelNm: number, note: (m: string) => void): Item[] {
  const ext = extname(file).toLowerCase();
  if (!SIMULATED_EXTENSIONS.includes(ext)) {
    throw new UserError(
      `aggstem predict: ${file}: predict reads simulated images (.npy, float32 .tif) for now; ` +
        `real microscope files (${ext || 'no extension'}) need intensity normalisation first`,
    );
  }
  let img;
  try {
    img = readImage(file);
  } catch (e) {
    if (e instanceof ImageFormatError) throw new UserError(`aggstem predict: ${e.message}`);
    throw e;
  }
  let pixelSizeNm = pixelSizeFlag ?? img.pixelSizeNm ?? null;
  if (pixelSizeNm === null) {
    pixelSizeNm = modelPixelNm;
    note(`note: ${file} has no pixel size; assuming the model's ${modelPixelNm} nm (pass --pixel-size to set it)`);
  }
  const frames = img.frames ?? 1;
  const hw = img.width * img.height;
  const out: Item[] = [];
  for (let f = 0; f < frames; f++) {
    out.push({
      file,
      frame: img.frames === undefined ? null : f,
      image: { data: img.data.subarray(f * hw, (f + 1) * hw), widthPx: img.width, heightPx: img.height, pixelSizeNm },
    });
  }
  return out;
}

/** The shipped models, by name, resolved against the package root (src/cli/commands and dist/src/cli/commands sit at different depths). */
function resolveModelDir(value: string): string {
  if (existsSync(value) || value !== 'quick') return value;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'datasets', 'quick-model');
}

function fmt(x: number): string {
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(3) : x.toPrecision(4);
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
    },
    true,
  );
  const modelDir = resolveModelDir(requireFlag('predict', 'model', values.model as string | undefined));
  if (positionals.length === 0) throw new UserError('aggstem predict: give at least one image FILE (.npy or .tif)');
  const backendPref = (values.backend as string | undefined) ?? 'auto';
  if (!BACKENDS.includes(backendPref)) throw new UserError(`aggstem predict: --backend must be one of ${BACKENDS.join(', ')}, got "${backendPref}"`);
  const pixelFlag = values['pixel-size'] !== undefined ? numberFlag('predict', 'pixel-size', values['pixel-size'] as string, NaN) : undefined;
  if (pixelFlag !== undefined && !(pixelFlag > 0)) throw new UserError(`aggstem predict: --pixel-size must be > 0 nm, got ${pixelFlag}`);
  const note = (m: string) => process.stderr.write(m + '\n');

  // Check the model directory and read the files before starting a backend: user mistakes fail fast.
  let meta: EstimatorMeta;
  try {
    meta = readEstimatorMeta(modelDir);
  } catch (e) {
    if (e instanceof EstimatorFileError) throw new UserError(`aggstem predict: ${e.message}`);
    throw e;
  }
  const items = positionals.flatMap((f) => readItems(f, pixelFlag, meta.input.pixelSizeNm, note));

  let be;
  try {
    be = await initBackend(backendPref as BackendPreference);
  } catch (e) {
    if (e instanceof BackendUnavailableError) throw new UserError(`aggstem predict: ${e.message}`);
    throw e;
  }
  if (!values.json) note(`backend: ${be.name} (${be.reason})`);
  let est;
  try {
    est = await loadEstimator(modelDir);
  } catch (e) {
    if (e instanceof EstimatorFileError) throw new UserError(`aggstem predict: ${e.message}`);
    throw e;
  }
  let estimates: ParamEstimate[];
  try {
    estimates = await predictBatch(est, items.map((it) => it.image), { resample: Boolean(values.resample) });
  } catch (e) {
    if (e instanceof EstimatorInputError) {
      const m = /image (\d+)/.exec(e.message);
      const it = m ? items[Number(m[1])] : items[0];
      const where = it ? `${it.file}${it.frame !== null ? `[${it.frame}]` : ''}` : '';
      throw new UserError(`aggstem predict: ${where}: ${e.message.replace(/^predict( \(image \d+\))?: /, '')}`);
    }
    throw e;
  } finally {
    disposeEstimator(est);
  }
  if (values.json) {
    const rows = items.map((it, i) => ({ file: it.file, frame: it.frame, pixelSizeNm: it.image.pixelSizeNm, ...estimates[i]! }));
    console.log(JSON.stringify(rows, null, 1));
    return 0;
  }
  const w = Math.max(...meta.paramNames.map((n) => n.length));
  items.forEach((it, i) => {
    const e = estimates[i]!;
    console.log(`${it.file}${it.frame !== null ? `[${it.frame}]` : ''}`);
    e.names.forEach((n, j) => console.log(`  ${n.padEnd(w)}  ${fmt(e.mean[j]!)} ± ${fmt(e.sd[j]!)}`));
  });
  return 0;
}
