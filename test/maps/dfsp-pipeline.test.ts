// Issue 17 item 5: the whole pipeline (dataset → training → evaluation → report) runs on the `dfsp`
// preset at a small count: 819 nm fields simulated at 0.8 nm/px and stored binned to 256² px, N 300–600,
// and the estimator predicts the domain-morphology parameters too.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'aggstem-dfsp-pipe-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('aggstem pipeline --preset dfsp runs end to end at a small count', { timeout: 600_000 }, () => {
  const out = join(tmp, 'run');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'pipeline', '--preset', 'dfsp', '--count', '30', '--epochs', '1', '--draws', '1', '--max-samples', '4', '--workers', '1', '--out', out], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const manifest = JSON.parse(readFileSync(join(out, 'dataset', 'manifest.json'), 'utf8'));
  assert.deepEqual([manifest.image.widthPx, manifest.image.pixelSizeNm], [256, 3.2]);
  assert.equal(manifest.totals.failures, 0);
  assert.ok(manifest.paramNames.includes('domainSizeB') && manifest.paramNames.includes('domainFractalDimB'), manifest.paramNames.join());
  assert.ok(manifest.columns.includes('domainPrefactorB'));
  const meta = JSON.parse(readFileSync(join(out, 'model', 'aggstem-model.json'), 'utf8'));
  assert.ok(meta.paramNames.includes('domainSizeB'));
  assert.ok(existsSync(join(out, 'report', 'index.html')));
});
