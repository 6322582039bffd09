// Shared by the browser tests: the Chromium that `npm install` provides, or — when it is missing —
// a skip with the reason locally and a failure under CI, where it is required.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { chromiumExecutable } from '../../kernel-ext/browser.js';

/** The Chromium executable, or null after skipping `t` (failing it under CI). */
export async function requireChromium(t: TestContext): Promise<string | null> {
  const exe = await chromiumExecutable();
  if (exe) return exe;
  if (process.env.CI) assert.fail('Chromium not found — required under CI');
  t.skip('no Chromium (npm install provides it)');
  return null;
}
