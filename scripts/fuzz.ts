/**
 * A small deterministic fuzzer for the image readers (issue 16; docs/image-files.md "What the readers
 * promise"). Each seed file is mutated in four classes — truncation, bit flips, 4-byte field
 * overwrites in the first 4 kB (where headers and HDF5 superblocks live), zeroed blocks — and every
 * mutant goes through `readImageAsync` (EMD/HDF5 in a worker with a time limit). Outcomes: `ok`
 * (read), `refused` (ImageFormatError), `timeout` (the HDF5 time limit fired: still a clean
 * refusal), `crash` (anything else: a bug). Mutant k of file f is a pure function of (seed, f, k).
 *
 *   npm run fuzz                          # every file of ../shared/fixtures/stem-files, 40 mutants each
 *   npm run fuzz -- --count 200 --seed 7 --dir path/to/files
 *
 * Prints a summary by file and class and writes bench/results/fuzz.json.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageFormatError } from '../src/io/errors.js';
import { readImageAsync } from '../src/io/read.js';
import { randomStream, type Seed } from '../src/random/index.js';

export type MutationClass = 'truncate' | 'bitflip' | 'overwrite' | 'zeroblock';
export const MUTATION_CLASSES: readonly MutationClass[] = ['truncate', 'bitflip', 'overwrite', 'zeroblock'];
export type Outcome = 'ok' | 'refused' | 'timeout' | 'crash';

/** Mutant `k` of `bytes`: its class cycles through {@link MUTATION_CLASSES}; the rest is drawn from (seed, name, k). */
export function mutate(bytes: Uint8Array, seed: Seed, name: string, k: number): { bytes: Uint8Array; kind: MutationClass; detail: string } {
  const rng = randomStream(seed, 'fuzz', name, k);
  const kind = MUTATION_CLASSES[k % MUTATION_CLASSES.length]!;
  const out = Uint8Array.from(bytes);
  const n = out.length;
  switch (kind) {
    case 'truncate': {
      const len = rng.uint32() % Math.max(1, n);
      return { bytes: out.subarray(0, len), kind, detail: `to ${len} of ${n} bytes` };
    }
    case 'bitflip': {
      const flips = 1 + (rng.uint32() % 8);
      const at: number[] = [];
      for (let i = 0; i < flips; i++) {
        const p = rng.uint32() % n;
        out[p]! ^= 1 << (rng.uint32() & 7);
        at.push(p);
      }
      return { bytes: out, kind, detail: `bits at ${at.join(',')}` };
    }
    case 'overwrite': {
      const p = rng.uint32() % Math.max(1, Math.min(4096, n - 4));
      const v = rng.uint32();
      new DataView(out.buffer).setUint32(p, v, true);
      return { bytes: out, kind, detail: `u32 ${v} at ${p}` };
    }
    default: {
      const p = rng.uint32() % n;
      const len = 1 + (rng.uint32() % 256);
      out.fill(0, p, Math.min(n, p + len));
      return { bytes: out, kind, detail: `${len} zero bytes at ${p}` };
    }
  }
}

/** One mutant's record. */
export interface FuzzRecord {
  file: string;
  k: number;
  kind: MutationClass;
  detail: string;
  outcome: Outcome;
  ms: number;
  message?: string;
}

/** Fuzzes every file: `count` mutants each, in this process. */
export async function fuzzReaders(files: string[], opts: { count?: number; seed?: Seed; timeoutMs?: number; onRecord?: (r: FuzzRecord) => void } = {}): Promise<{ records: FuzzRecord[]; maxRssMb: number }> {
  const count = opts.count ?? 40;
  const seed = opts.seed ?? 0;
  const work = mkdtempSync(join(tmpdir(), 'aggstem-fuzz-'));
  const records: FuzzRecord[] = [];
  try {
    for (const file of files) {
      const src = readFileSync(file);
      const name = basename(file);
      for (let k = 0; k < count; k++) {
        const m = mutate(src, seed, name, k);
        // Keep the extension: some formats are recognised by it when the magic bytes are gone.
        const path = join(work, `m${k}-${name}`);
        writeFileSync(path, m.bytes);
        const t0 = performance.now();
        let outcome: Outcome = 'ok', message: string | undefined;
        try {
          await readImageAsync(path, { timeoutMs: opts.timeoutMs ?? 5000 });
        } catch (e) {
          message = (e as Error).message.slice(0, 200);
          outcome = e instanceof ImageFormatError ? (/did not finish within/.test(message) ? 'timeout' : 'refused') : 'crash';
        }
        const r: FuzzRecord = { file: name, k, kind: m.kind, detail: m.detail, outcome, ms: +(performance.now() - t0).toFixed(1), ...(message ? { message } : {}) };
        records.push(r);
        opts.onRecord?.(r);
        rmSync(path, { force: true });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { records, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

/** Counts of outcomes per mutation class. */
export function summarise(records: FuzzRecord[]): Record<MutationClass, Record<Outcome, number>> {
  const out = {} as Record<MutationClass, Record<Outcome, number>>;
  for (const c of MUTATION_CLASSES) out[c] = { ok: 0, refused: 0, timeout: 0, crash: 0 };
  for (const r of records) out[r.kind][r.outcome]++;
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const root = fileURLToPath(new URL('..', import.meta.url));
  const dir = flag('dir') ?? join(root, '..', 'shared', 'fixtures', 'stem-files');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.(dm3|dm4|mrc|emd|tiff?|png|npy)$/i.test(f)).sort().map((f) => join(dir, f));
  } catch {
    console.error(`fuzz: no seed files: ${dir} is not readable (give --dir DIR)`);
    process.exit(2);
  }
  const count = Number(flag('count') ?? 40);
  const seed = flag('seed') ?? '0';
  let done = 0;
  const total = files.length * count;
  const t0 = Date.now();
  const { records, maxRssMb } = await fuzzReaders(files, {
    count, seed,
    onRecord: () => {
      done++;
      if (done % 25 === 0 || done === total) process.stderr.write(`\rfuzz ${done}/${total} mutants (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    },
  });
  process.stderr.write('\n');
  const byClass = summarise(records);
  console.log('class       ok  refused  timeout  crash');
  for (const [c, v] of Object.entries(byClass)) console.log(`${c.padEnd(10)} ${String(v.ok).padStart(3)} ${String(v.refused).padStart(8)} ${String(v.timeout).padStart(8)} ${String(v.crash).padStart(6)}`);
  const crashes = records.filter((r) => r.outcome === 'crash');
  for (const r of crashes.slice(0, 20)) console.log(`CRASH ${r.file} #${r.k} (${r.kind}: ${r.detail}): ${r.message}`);
  const slowest = records.reduce((a, b) => (b.ms > a.ms ? b : a), records[0]!);
  console.log(`${records.length} mutants of ${files.length} files, seed ${seed}; peak RSS ${maxRssMb.toFixed(0)} MB; slowest ${slowest?.ms} ms (${slowest?.file} #${slowest?.k}, ${slowest?.outcome})`);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'fuzz.json'), JSON.stringify({ date: new Date().toISOString(), seed, count, files: files.map((f) => basename(f)), byClass, maxRssMb, crashes, timeouts: records.filter((r) => r.outcome === 'timeout') }, null, 1) + '\n');
  process.exit(crashes.length ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
