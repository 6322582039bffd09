import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePng } from '../../src/io/png.js';
import { decodeTiff } from '../../src/io/tiff-read.js';
import { readNpy } from '../../src/io/npy.js';
import { smallAggregate } from './helpers.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'simulate', ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function jsonLine(id: string, shift: number): string {
  const p = smallAggregate();
  return JSON.stringify({
    id,
    seed: `test-${id}`,
    params: { nParticles: 6, fractionB: 0.5, radiusMedianA: 4, radiusMedianB: 4, radiusSigmaA: 1.25, radiusSigmaB: 1.25, fractalDim: 1.8, prefactor: 1.3, segregation: 0, overlap: 0.05 },
    particles: { x: Array.from(p.x, (v) => v + shift), y: Array.from(p.y), z: Array.from(p.z), r: Array.from(p.r), material: Array.from(p.material) },
    quality: { maxOverlap: 0, rgRelError: 0, restarts: 0 },
  });
}

test('aggstem simulate: files, manifest checksums, PNG/TIFF/NPY read back with size and pixel size; tilt series; determinism', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-simulate-'));
  try {
    const input = join(dir, 'aggs.jsonl');
    writeFileSync(input, [jsonLine('a-0', 0), jsonLine('a/1', 3)].join('\n') + '\n');
    const cfgFile = join(dir, 'scope.json');
    writeFileSync(cfgFile, JSON.stringify({ preset: 'quick', widthPx: 48, heightPx: 40, pixelSizeNm: 1.25 }));
    const out = join(dir, 'out');
    const r = cli([input, '--microscope', cfgFile, '--seed', '11', '--out', out, '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.seed, '11');
    assert.equal(manifest.microscope.widthPx, 48);
    assert.equal(manifest.images.length, 2);
    assert.deepEqual(manifest.images.map((m: { dir: string }) => m.dir), ['a-0', 'a_1']);
    for (const img of manifest.images) {
      for (const f of img.files) {
        const bytes = readFileSync(join(out, img.dir, f.name));
        assert.equal(createHash('sha256').update(bytes).digest('hex'), f.sha256, `${img.dir}/${f.name}`);
      }
      const png = decodePng(readFileSync(join(out, img.dir, 'counts.png')));
      assert.deepEqual([png.width, png.height, png.bitDepth, png.pixelSizeNm], [48, 40, 16, 1.25]);
      const tif = decodeTiff(readFileSync(join(out, img.dir, 'intensity.tif')));
      assert.deepEqual([tif.width, tif.height, tif.dtype], [48, 40, 'float32']);
      assert.ok(Math.abs(tif.pixelSizeNm! - 1.25) < 1e-9);
      const clean = readNpy(join(out, img.dir, 'clean.npy'));
      assert.deepEqual(clean.shape, [40, 48]);
      assert.deepEqual(readNpy(join(out, img.dir, 'thickness.npy')).shape, [3, 40, 48]);
      const mask = decodePng(readFileSync(join(out, img.dir, 'mask.png')));
      assert.ok(mask.bitDepth === 8 && Array.from(mask.data).some((v) => v === 3));
      assert.equal(img.fits, true);
    }
    // Same seed again: identical bytes (the manifest too: no timestamps).
    const out2 = join(dir, 'out2');
    assert.equal(cli([input, '--microscope', cfgFile, '--seed', '11', '--out', out2, '--quiet']).status, 0);
    for (const name of ['a-0/counts.png', 'a_1/intensity.tif', 'a-0/clean.npy']) {
      assert.deepEqual(readFileSync(join(out2, name)), readFileSync(join(out, name)));
    }
    // Tilt series.
    const out3 = join(dir, 'tilt');
    const t = cli([input, '--microscope', cfgFile, '--seed', '11', '--out', out3, '--tilt=-30,0,30', '--tilt-axis', 'x', '--quiet']);
    assert.equal(t.status, 0, t.stderr);
    const m3 = JSON.parse(readFileSync(join(out3, 'manifest.json'), 'utf8'));
    assert.equal(m3.images.length, 6);
    assert.deepEqual(m3.images.slice(0, 3).map((m: { tiltDeg: number }) => m.tiltDeg), [-30, 0, 30]);
    assert.ok(existsSync(join(out3, 'a-0', 'tilt-2', 'counts.png')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('aggstem simulate: clear errors (exit 2) for missing flags, bad preset, bad tilt, missing input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-simulate-err-'));
  try {
    const input = join(dir, 'aggs.jsonl');
    writeFileSync(input, jsonLine('x', 0) + '\n');
    const broken = join(dir, 'broken.jsonl');
    writeFileSync(broken, jsonLine('x', 0) + '\n{"id": \n');
    const twice = join(dir, 'twice.jsonl');
    writeFileSync(twice, jsonLine('x', 0) + '\n' + jsonLine('x', 1) + '\n');
    const cases: [string[], RegExp][] = [
      [[input, '--seed', '1', '--out', join(dir, 'o')], /--microscope is required/],
      [[input, '--microscope', 'huge', '--seed', '1', '--out', join(dir, 'o')], /microscope "huge" is neither a preset \(paper, quick, dfsp\) nor an existing file/],
      [[input, '--microscope', 'quick', '--seed', '1', '--out', join(dir, 'o'), '--tilt', '10,95'], /--tilt must be comma-separated angles in degrees in \(-90, 90\), but item 2 is "95"/],
      [[join(dir, 'nope.jsonl'), '--microscope', 'quick', '--seed', '1', '--out', join(dir, 'o')], /cannot read .*nope\.jsonl/],
      [[input, '--microscope', 'quick', '--seed', '1', '--out', join(dir, 'o'), '--orientation', 'sideways'], /--orientation must be identity or random/],
      [[broken, '--microscope', 'quick', '--seed', '1', '--out', join(dir, 'o')], /broken\.jsonl:2: invalid JSON/],
      [[twice, '--microscope', 'quick', '--seed', '1', '--out', join(dir, 'o')], /aggregate id "x" appears twice/],
    ];
    for (const [args, re] of cases) {
      const r = cli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.ok(!existsSync(join(dir, 'o')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
