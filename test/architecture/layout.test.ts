// The architecture's rules (docs/architecture.md), checked on the source text: stages never import
// from the CLI or the notebook helpers, the import graph has no cycle, files stay readable in one
// sitting, and the public API is curated (no `export *` in src/index.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const src = join(root, 'src');
const files = readdirSync(src, { recursive: true }).map(String).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => join(src, f));

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)) {
    out.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  }
  return out;
}

test('no module under src/ outside src/cli imports from src/cli or kernel-ext', () => {
  const bad: string[] = [];
  for (const f of files) {
    if (f.startsWith(join(src, 'cli'))) continue;
    for (const i of imports(f)) if (i.startsWith(join(src, 'cli')) || i.startsWith(join(root, 'kernel-ext'))) bad.push(`${relative(root, f)} → ${relative(root, i)}`);
  }
  assert.deepEqual(bad, []);
});

test('the import graph of src/ has no cycle', () => {
  const graph = new Map(files.map((f) => [f, imports(f).filter((i) => i.startsWith(src))]));
  const state = new Map<string, 1 | 2>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === 2) return;
    if (state.get(f) === 1) { cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(src, p)).join(' → ')); return; }
    state.set(f, 1);
    for (const g of graph.get(f) ?? []) visit(g, [...path, f]);
    state.set(f, 2);
  };
  for (const f of files) visit(f, []);
  assert.deepEqual(cycles, []);
});

test('no source file over 500 lines', () => {
  const long = files.map((f) => [relative(root, f), readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 500);
  assert.deepEqual(long, []);
});

test('src/index.ts exports explicitly (no export *)', () => {
  assert.doesNotMatch(readFileSync(join(src, 'index.ts'), 'utf8'), /export \*/);
});
