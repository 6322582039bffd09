/**
 * Sending MIME bundles from a running tslab kernel.
 *
 * tslab's public API (`tslab.display.raw(mime, value)`) sends ONE MIME type per output, which
 * defeats Jupyter's "richest type the frontend can render" choice. Its internal module
 * `tslab/dist/jupyter.js` exports `lastWriteDisplayData(msg, update)`, reassigned on every execute
 * request, that sends a whole `display_data` / `update_display_data` message; we find that module
 * in the CommonJS cache. It is internal to tslab 1.0.x (pinned in package.json), so when it is
 * missing we fall back to the public single-MIME API with the best single type of the bundle.
 */
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { MIME, type MimeBundle, type MimeMetadata } from './mime.js';

const require = createRequire(import.meta.url);

interface DisplayMessage {
  data: MimeBundle;
  metadata: MimeMetadata;
  transient: { display_id?: string };
}

type WriteDisplayData = (msg: DisplayMessage, update: boolean) => void;

/** The subset of tslab's public `Display` interface the fallback uses. */
interface TslabDisplay {
  html(s: string): void;
  svg(s: string): void;
  png(b: Uint8Array): void;
  text(s: string): void;
}

interface TslabPublic {
  display: TslabDisplay;
  newDisplay(): TslabDisplay;
}

/** How bundles reach the notebook: tslab's internal multi-MIME path, its public API, or nothing. */
export type DisplayMode = 'bundle' | 'single-mime' | 'none';

function cachedModules(pattern: RegExp): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const m of Object.values(require.cache)) {
    if (m && pattern.test(m.filename) && m.exports && typeof m.exports === 'object') {
      out.push(m.exports as Record<string, unknown>);
    }
  }
  return out;
}

function findWriter(): WriteDisplayData | null {
  // With a local and a global tslab both loaded, only the copy that runs the kernel has a live writer.
  for (const e of cachedModules(/tslab[\\/]dist[\\/]jupyter\.js$/)) {
    if (typeof e.lastWriteDisplayData === 'function') return e.lastWriteDisplayData as WriteDisplayData;
  }
  return null;
}

function findPublic(): TslabPublic | null {
  for (const e of cachedModules(/tslab[\\/]dist[\\/]public\.js$/)) {
    if (e.display && typeof e.newDisplay === 'function') return e as unknown as TslabPublic;
  }
  return null;
}

/** Which display path is available in this process right now (`none` outside a tslab kernel). */
export function displayMode(): DisplayMode {
  if (findWriter()) return 'bundle';
  if (findPublic()) return 'single-mime';
  return 'none';
}

/** Thrown by the display functions when no tslab kernel is running in this process. */
export class NoKernelError extends Error {
  constructor(what: string) {
    super(
      `${what} needs a running tslab kernel (this process has no tslab display channel). ` +
        'Outside a notebook use the pure bundle builders aggregateBundle(), imageBundle(), ' +
        'vegaLiteBundle(), tableBundle() and progressBundle(), which return the MIME bundle.',
    );
    this.name = 'NoKernelError';
  }
}

// Order for the single-MIME fallback: what a frontend shows best when only one type can be sent.
const FALLBACK_ORDER = [MIME.html, MIME.svg, MIME.png, MIME.plain];

function sendSingle(d: TslabDisplay, bundle: MimeBundle): void {
  const mime = FALLBACK_ORDER.find((m) => typeof bundle[m] === 'string');
  if (mime === MIME.html) d.html(bundle[mime] as string);
  else if (mime === MIME.svg) d.svg(bundle[mime] as string);
  else if (mime === MIME.png) d.png(Buffer.from(bundle[mime] as string, 'base64'));
  else d.text(mime ? (bundle[mime] as string) : JSON.stringify(bundle));
}

/** Options of {@link displayBundle}. */
export interface DisplayBundleOptions {
  /** Per-MIME metadata, e.g. `{ 'image/png': { width: 400 } }`. */
  metadata?: MimeMetadata;
}

/**
 * Shows a MIME bundle as a new output of the running cell (all MIME types in one message, so each
 * frontend picks the one it renders best). Throws {@link NoKernelError} outside tslab.
 */
export function displayBundle(bundle: MimeBundle, opts: DisplayBundleOptions = {}): void {
  const write = findWriter();
  if (write) {
    write({ data: bundle, metadata: opts.metadata ?? {}, transient: {} }, false);
    return;
  }
  const pub = findPublic();
  if (pub) {
    sendSingle(pub.display, bundle);
    return;
  }
  throw new NoKernelError('displayBundle()');
}

/** An output that can be overwritten in place (progress views, animations). */
export interface UpdatableDisplay {
  /** Replaces the output's content with `bundle` (the first call creates the output). */
  update(bundle: MimeBundle, opts?: DisplayBundleOptions): void;
}

/**
 * A new in-place updatable output, like `tslab.newDisplay()` but carrying whole bundles: the first
 * `update` sends `display_data` with a fresh `display_id`, later ones `update_display_data`.
 * Throws {@link NoKernelError} outside tslab.
 */
export function newBundleDisplay(): UpdatableDisplay {
  if (displayMode() === 'none') throw new NoKernelError('newBundleDisplay()');
  const id = randomBytes(8).toString('hex');
  let sent = false;
  let single: TslabDisplay | null = null;
  let pending: { bundle: MimeBundle; opts: DisplayBundleOptions } | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  const send = (bundle: MimeBundle, opts: DisplayBundleOptions): void => {
    const write = findWriter();
    if (write) {
      write({ data: bundle, metadata: opts.metadata ?? {}, transient: { display_id: id } }, sent);
      sent = true;
      return;
    }
    const pub = findPublic();
    if (!pub) throw new NoKernelError('UpdatableDisplay.update()');
    single ??= pub.newDisplay();
    sendSingle(single, bundle);
  };
  const display: UpdatableDisplay = {
    update(bundle, opts = {}) {
      // A frame still waiting for the socket is superseded by this newer one.
      if (retry) {
        pending = { bundle, opts };
        return;
      }
      try {
        send(bundle, opts);
      } catch (e) {
        if (!isSocketBusy(e)) throw e;
        // Frames of a live view may be skipped: the newest one goes out once the socket is free.
        pending = { bundle, opts };
        retry = setTimeout(() => {
          retry = null;
          const p = pending;
          pending = null;
          if (p) display.update(p.bundle, p.opts);
        }, 10);
      }
    },
  };
  return display;
}

/**
 * tslab sends on its zeromq iopub socket without awaiting, and zeromq.js refuses a send while the
 * previous one is still in flight ("Socket is busy writing"): rapid updates (a progress view in a
 * loop of 15 steps per second) hit it.
 */
export function isSocketBusy(e: unknown): boolean {
  return e instanceof Error && /socket is busy/i.test(e.message);
}
