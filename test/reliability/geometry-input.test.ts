// Issue 16 item 8: `aggstem simulate` and `describe` take any sphere set — a hand-made file of two
// spheres whose `params` the model would refuse (nParticles = 2) and whose id is a number — because
// only the geometry is validated; `params` is metadata.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AggregateFormatError, parseSphereLine } from '../../src/model/jsonl.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'aggstem-spheres-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

const TWO = JSON.stringify({ id: 7, params: { nParticles: 2, fractalDim: 9 }, particles: { x: [0, 11], y: [0, 0], z: [0, 0], r: [6, 5], material: [0, 1] } });

test('simulate and describe accept a hand-made two-sphere file with a numeric id and params the model would refuse', () => {
  const input = join(tmp, 'two.jsonl');
  writeFileSync(input, TWO + '\n');
  const sim = cli('simulate', input, '--microscope', 'quick', '--seed', '1', '--out', join(tmp, 'img'));
  assert.equal(sim.status, 0, sim.stderr);
  const manifest = JSON.parse(readFileSync(join(tmp, 'img', 'manifest.json'), 'utf8'));
  assert.equal(manifest.images[0].id, '7');
  assert.ok(existsSync(join(tmp, 'img', manifest.images[0].dir)));
  const des = cli('describe', input, '--out', join(tmp, 'd.csv'), '--quiet');
  assert.equal(des.status, 0, des.stderr);
  const [header, row] = readFileSync(join(tmp, 'd.csv'), 'utf8').trim().split('\n');
  const cols = header!.split(','), vals = row!.split(',');
  assert.equal(vals[cols.indexOf('id')], '7');
  assert.equal(vals[cols.indexOf('nParticles')], '2');
  assert.equal(vals[cols.indexOf('contacts')], '1', 'the two spheres touch (d = r1 + r2)');
});

test('the geometry is still validated, naming the line and field', () => {
  const bad = (p: object) => JSON.stringify({ id: 'a', particles: { x: [0], y: [0], z: [0], r: [1], material: [0], ...p } });
  assert.throws(() => parseSphereLine(bad({ r: [-1] }), 's.jsonl:3'), (e: unknown) => e instanceof AggregateFormatError && /s\.jsonl:3: particles\.r\[0\] = -1 is not a positive radius/.test((e as Error).message));
  assert.throws(() => parseSphereLine(bad({ y: [0, 1] }), 's.jsonl:1'), /particles\.y has 2 entries but particles\.x has 1/);
  assert.throws(() => parseSphereLine(bad({ x: [], y: [], z: [], r: [], material: [] }), 's.jsonl:1'), /holds no sphere/);
  assert.throws(() => parseSphereLine(JSON.stringify({ id: {}, particles: {} }), 's.jsonl:1'), /"id" must be a non-empty string or a number/);
  assert.equal(parseSphereLine(bad({}), 'x').id, 'a');
});
