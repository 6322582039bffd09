import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const FIXTURES = resolve(repoRoot, '../shared/fixtures/stem-files');
const skip = existsSync(FIXTURES) ? false : `instrument fixtures not found at ${FIXTURES}`;

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'inspect', ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('aggstem inspect prints format, shape, dtype, pixel size, stats and key metadata of a DM3 file', { skip }, () => {
  const r = cli(join(FIXTURES, 'test_STEM_image.dm3'));
  assert.equal(r.status, 0, r.stderr);
  const line = (label: string): string => {
    const l = r.stdout.split('\n').find((x) => x.startsWith(label + ' '));
    assert.ok(l, `no "${label}" line in:\n${r.stdout}`);
    return l!.slice(label.length).trim();
  };
  assert.equal(line('format'), 'dm3');
  assert.equal(line('shape'), '68 x 68 (height x width)');
  assert.equal(line('dtype'), 'uint32');
  assert.equal(line('pixel size'), '0.248538 nm');
  assert.equal(line('min'), '29407');
  assert.equal(line('max'), '36106');
  assert.equal(line('beam energy'), '200 kV');
  assert.equal(line('dwell time'), '3.5e-6 s');
  assert.equal(line('camera length'), '135 mm');
  assert.equal(line('magnification'), '225000x');
  assert.equal(line('microscope'), 'FEI Titan');
  assert.equal(line('date'), '2016-08-08');
  assert.equal(line('time'), '16:26:37');
});

test('aggstem inspect --json gives machine-readable facts (MRC fixture)', { skip }, () => {
  const r = cli(join(FIXTURES, 'HAADFscan.mrc'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(j.format, 'mrc');
  assert.deepEqual(j.shape, [16, 16]);
  assert.equal(j.dtype, 'uint16');
  assert.equal(j.min, 3923);
  assert.equal(j.max, 9399);
  assert.ok(Math.abs((j.mean as number) - 6066.1992) < 1e-4);
  assert.ok(Math.abs((j.pixelSizeNm as number) - 5.679131) < 1e-6);
  assert.equal((j.pixelSize as { unit: string }).unit, 'nm');
  const m = j.metadata as Record<string, unknown>;
  assert.equal(m.beamEnergyKv, 300);
  assert.equal(m.detector, 'HAADF');
  assert.equal(j.raw, undefined); // only with --raw
});

test('aggstem inspect exits 2 with a one-line message for corrupt and unknown files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-inspect-'));
  try {
    // A DM4 header that promises a tag group far larger than the file.
    const bad = new Uint8Array(40);
    new DataView(bad.buffer).setUint32(0, 4);
    new DataView(bad.buffer).setUint32(12, 1);
    new DataView(bad.buffer).setUint32(22, 0x7fffffff);
    writeFileSync(join(dir, 'broken.dm4'), bad);
    const r = cli(join(dir, 'broken.dm4'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^error: .*broken\.dm4: not a readable dm4 file: tag group claims \d+ entries but only \d+ bytes are left/);
    assert.equal(r.stderr.trim().split('\n').length, 1); // no stack trace
    const u = cli(join(repoRoot, 'package.json'), '--json');
    assert.equal(u.status, 2);
    assert.match(u.stderr, /package\.json: not a readable image file: unknown format/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
