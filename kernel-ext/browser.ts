/**
 * The headless Chromium that figure export (PDF/PNG) and the browser tests use, found without apt:
 * $AGGSTEM_CHROMIUM, else the binary shipped inside the npm package @sparticuz/chromium (a
 * devDependency: brotli-compressed in the tarball, unpacked to the temp dir on first use, ~2 s), else a
 * system /usr/bin/chromium.
 */
import { existsSync } from 'node:fs';

/** Path of a Chromium executable, or null when none is available. */
export async function chromiumExecutable(): Promise<string | null> {
  const env = process.env.AGGSTEM_CHROMIUM;
  if (env) return existsSync(env) ? env : null;
  try {
    const mod = (await import('@sparticuz/chromium')) as unknown as { default: { executablePath(): Promise<string> } };
    const path = await mod.default.executablePath();
    if (path && existsSync(path)) return path;
  } catch {
    // not installed (an install without devDependencies): try the system's
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null;
}

/** Flags for a sandbox-free, offline headless run (containers, CI). */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
