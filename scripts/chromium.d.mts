/** Path of a Chromium executable ($AGGSTEM_CHROMIUM, /usr/bin/chromium, or @sparticuz/chromium), or null. */
export function chromiumExecutable(): Promise<string | null>;
