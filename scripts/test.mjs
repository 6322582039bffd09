// Runs every test/**/*.test.ts with Node's built-in test runner (through tsx).
// Node 20 neither globs nor picks up .ts files, hence this small finder.
// Usage: node scripts/test.mjs [substring ...]   (filters test files by path)
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = readdirSync(join(root, 'test'), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => join('test', f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const concurrency = process.env.AGGSTEM_TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files],
  { cwd: root, stdio: ['inherit', 'pipe', 'inherit'] },
);
// Pass the TAP output through, and collect why tests were skipped for one closing summary line
// (e.g. reader tests whose instrument fixtures are absent).
const reasons = new Map();
let rest = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const lines = (rest + chunk.toString('utf8')).split('\n');
  rest = lines.pop() ?? '';
  for (const line of lines) {
    const m = /^\s*ok \d+ - .*# SKIP ?(.*)$/.exec(line);
    if (m) reasons.set(m[1] || 'no reason given', (reasons.get(m[1] || 'no reason given') ?? 0) + 1);
  }
});
child.on('close', (code) => {
  if (reasons.size > 0) {
    const n = [...reasons.values()].reduce((a, b) => a + b, 0);
    console.log(`# skipped ${n}: ${[...reasons].map(([why, k]) => `${why} (${k})`).join('; ')}`);
  }
  process.exit(code ?? 1);
});
