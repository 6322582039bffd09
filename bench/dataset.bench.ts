/**
 * Dataset generation end to end (draw θ → aggregate → image → descriptors → shard files):
 * - throughput at the `paper` image size (512² simulated, 256² stored) on 1 and 2 worker threads;
 * - peak RSS of the whole process (all threads) against the sample count, quick and paper sizes:
 *   it must stay flat, because samples stream to disk and at most 4 per worker are in memory;
 * - redraw (prior truncation) rates per parameter region, from the same runs.
 *
 * Each run is a fresh `aggstem dataset` process (through tsx, so thread start-up includes
 * compiling the sources); `steadySamplesPerSecond` excludes that start-up.
 * Counts can be changed with AGGSTEM_BENCH_DATASET_QUICK_COUNTS (comma-separated, default
 * 250,1000,2000) and AGGSTEM_BENCH_DATASET_PAPER_COUNT (default 48).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatasetManifest } from '../src/dataset/manifest.js';

const root = fileURLToPath(new URL('..', import.meta.url));

interface RunLine {
  samplesGenerated: number;
  seconds: number;
  samplesPerSecond: number;
  steadySamplesPerSecond: number;
  peakRssMiB: number;
  redrawRate: number;
  redraws: Record<string, number>;
  failures: number;
}

function runCli(dir: string, preset: 'quick' | 'paper', count: number, workers: number, shardSize: number): { line: RunLine; manifest: DatasetManifest } {
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'dataset', '--preset', preset, '--count', String(count), '--shard-size', String(shardSize), '--workers', String(workers), '--seed', 'bench', '--out', dir, '--json', '--quiet'];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`aggstem dataset ${args.slice(4).join(' ')} failed (${r.status}): ${r.stderr}`);
  return { line: JSON.parse(r.stdout) as RunLine, manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as DatasetManifest };
}

function regionRates(m: DatasetManifest): Record<string, { edges: number[]; drawn: number[]; rejectedPercent: number[] }> {
  const out: Record<string, { edges: number[]; drawn: number[]; rejectedPercent: number[] }> = {};
  for (const [name, c] of Object.entries(m.regions)) {
    out[name] = { edges: c.edges.map((e) => +e.toPrecision(4)), drawn: c.drawn, rejectedPercent: c.rejected.map((r, i) => (c.drawn[i] ? +((100 * r) / c.drawn[i]!).toFixed(2) : 0)) };
  }
  return out;
}

export async function run(): Promise<object> {
  const tmp = mkdtempSync(join(tmpdir(), 'aggstem-bench-dataset-'));
  const quickCounts = (process.env.AGGSTEM_BENCH_DATASET_QUICK_COUNTS ?? '250,1000,2000').split(',').map(Number);
  const paperCount = Number(process.env.AGGSTEM_BENCH_DATASET_PAPER_COUNT ?? 48);
  try {
    const throughput: object[] = [];
    const rss: object[] = [];
    let paperManifest: DatasetManifest | undefined;
    for (const workers of [1, 2]) {
      const dir = join(tmp, `paper-${workers}`);
      const { line, manifest } = runCli(dir, 'paper', paperCount, workers, 16);
      paperManifest = manifest;
      throughput.push({ preset: 'paper', imagePx: '512² simulated, 256² stored', workers, samples: line.samplesGenerated, seconds: line.seconds, samplesPerSecond: line.samplesPerSecond, steadySamplesPerSecond: line.steadySamplesPerSecond, peakRssMiB: line.peakRssMiB });
      rss.push({ preset: 'paper', workers, count: paperCount, peakRssMiB: line.peakRssMiB });
      rmSync(dir, { recursive: true, force: true });
    }
    {
      const dir = join(tmp, 'paper-x4');
      const { line, manifest } = runCli(dir, 'paper', 4 * paperCount, 2, 16);
      paperManifest = manifest;
      rss.push({ preset: 'paper', workers: 2, count: 4 * paperCount, peakRssMiB: line.peakRssMiB, steadySamplesPerSecond: line.steadySamplesPerSecond });
      rmSync(dir, { recursive: true, force: true });
    }
    let quickManifest: DatasetManifest | undefined;
    for (const count of quickCounts) {
      const dir = join(tmp, `quick-${count}`);
      const { line, manifest } = runCli(dir, 'quick', count, 2, 250);
      quickManifest = manifest;
      rss.push({ preset: 'quick', workers: 2, count, peakRssMiB: line.peakRssMiB, steadySamplesPerSecond: line.steadySamplesPerSecond });
      rmSync(dir, { recursive: true, force: true });
    }
    const redraws = (m: DatasetManifest | undefined) =>
      m && { samples: m.totals.samples, attempts: m.totals.attempts, redraws: m.totals.redraws, failures: m.totals.failures, redrawRatePercent: +(100 * m.totals.redrawRate).toFixed(2), regions: regionRates(m) };
    return {
      throughput,
      peakRss: rss,
      note: 'peak RSS is process.resourceUsage().maxRSS of the generating process (all worker threads); counts run as separate processes',
      redrawsQuick: redraws(quickManifest),
      redrawsPaper: redraws(paperManifest),
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
