// The headless Chromium the browser tests and figure export use, found without apt:
// $AGGSTEM_CHROMIUM, else the binary shipped inside the npm package @sparticuz/chromium (a
// devDependency: brotli-compressed in the tarball, unpacked to the temp dir on first use, ~2 s), else
// a system /usr/bin/chromium. Returns null when none is available.
import { existsSync } from 'node:fs';

/** Path of a Chromium executable, or null. */
export async function chromiumExecutable() {
  const env = process.env.AGGSTEM_CHROMIUM;
  if (env) return existsSync(env) ? env : null;
  try {
    const { default: chromium } = await import('@sparticuz/chromium');
    const path = await chromium.executablePath();
    if (path && existsSync(path)) return path;
  } catch {
    // not installed (production install without devDependencies): try the system's
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null;
}
