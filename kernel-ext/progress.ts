/**
 * A live training-progress output: one notebook output overwritten in place (tslab display ids)
 * with a progress bar, epoch / loss / validation loss / ETA and a small loss curve.
 * Headless runs (nbclient) keep only the final state, which is the summary you want to keep.
 */
import { MIME, escapeHtml, type MimeBundle } from './mime.js';
import { newBundleDisplay } from './tslab-bridge.js';

/** What a progress view shows. All fields optional; counts are 1-based. */
export interface ProgressState {
  /** Current (or just finished) epoch, 1-based. */
  epoch?: number;
  /** Total epochs. */
  epochs?: number;
  /** Batches done in the current epoch (1-based); without it the epoch counts as finished. */
  batch?: number;
  batchesPerEpoch?: number;
  /** Training loss (of the last batch or epoch). */
  loss?: number;
  /** Validation loss of the last finished epoch. */
  valLoss?: number;
  /** Remaining seconds; estimated from elapsed time and fraction done when absent. */
  etaSeconds?: number;
  /** Free text shown under the bar. */
  message?: string;
  /** Extra named figures shown in the table. */
  metrics?: Record<string, number | string>;
}

/** One point of the loss curve. */
export interface LossPoint {
  epoch: number;
  loss?: number;
  valLoss?: number;
}

/** Fraction of the run done (0–1), or null when `epochs` is unknown. */
export function progressFraction(s: ProgressState): number | null {
  if (!(s.epochs && s.epochs > 0) || s.epoch === undefined) return null;
  const inEpoch = s.batch !== undefined && s.batchesPerEpoch ? Math.min(1, s.batch / s.batchesPerEpoch) : 1;
  return Math.max(0, Math.min(1, (s.epoch - 1 + inEpoch) / s.epochs));
}

/** `1 h 02 min`, `3 min 05 s`, `42 s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

const fmt = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : Number(x.toPrecision(4)).toString());

/** Inline SVG of the loss curve (training blue, validation orange), hand-drawn: synchronous and tiny. */
export function lossCurveSvg(history: readonly LossPoint[], widthPx = 260, heightPx = 90): string {
  const pts = history.filter((p) => Number.isFinite(p.loss) || Number.isFinite(p.valLoss));
  if (pts.length < 2) return '';
  const vals = pts.flatMap((p) => [p.loss, p.valLoss]).filter((v): v is number => v !== undefined && Number.isFinite(v));
  let lo = Math.min(...vals), hi = Math.max(...vals);
  if (hi === lo) { hi += 1; lo -= 1; }
  const e0 = pts[0]!.epoch, e1 = pts[pts.length - 1]!.epoch;
  const pad = 6;
  const X = (e: number) => pad + ((e - e0) / Math.max(1e-9, e1 - e0)) * (widthPx - 2 * pad);
  const Y = (v: number) => pad + (1 - (v - lo) / (hi - lo)) * (heightPx - 2 * pad);
  const line = (key: 'loss' | 'valLoss', color: string) => {
    const xy = pts.filter((p) => Number.isFinite(p[key])).map((p) => `${X(p.epoch).toFixed(1)},${Y(p[key]!).toFixed(1)}`);
    return xy.length > 1 ? `<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${xy.join(' ')}"/>` : '';
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}" style="background:#fafafa;border:1px solid #ddd">` +
    `${line('loss', '#4C78A8')}${line('valLoss', '#F58518')}` +
    `<text x="${widthPx - pad}" y="14" font-size="10" text-anchor="end" fill="#555">${fmt(hi)}</text>` +
    `<text x="${widthPx - pad}" y="${heightPx - pad}" font-size="10" text-anchor="end" fill="#555">${fmt(lo)}</text></svg>`;
}

/** Options of {@link progressBundle}. */
export interface ProgressRender {
  /** Seconds since the start (for the ETA estimate and the elapsed column). */
  elapsedSeconds?: number;
  /** Loss curve points. */
  history?: readonly LossPoint[];
  /** Finished: the bar turns green and the ETA is dropped. */
  finished?: boolean;
  /** What `epoch` / `epochs` count, for the row label (default `epoch`; e.g. `aggregate`). */
  unit?: string;
}

/** Bundle `{ text/html, text/plain }` of a progress state (pure; {@link progressView} sends it). */
export function progressBundle(title: string, s: ProgressState, r: ProgressRender = {}): MimeBundle {
  const frac = progressFraction(s);
  const elapsed = r.elapsedSeconds;
  const eta = r.finished ? undefined : s.etaSeconds ?? (frac && frac > 0 && elapsed !== undefined ? (elapsed * (1 - frac)) / frac : undefined);
  const rows: Array<[string, string]> = [];
  if (s.epoch !== undefined) rows.push([r.unit ?? 'epoch', s.epochs ? `${s.epoch} / ${s.epochs}` : String(s.epoch)]);
  if (s.batch !== undefined) rows.push(['batch', s.batchesPerEpoch ? `${s.batch} / ${s.batchesPerEpoch}` : String(s.batch)]);
  if (s.loss !== undefined) rows.push(['loss', fmt(s.loss)]);
  if (s.valLoss !== undefined) rows.push(['val loss', fmt(s.valLoss)]);
  for (const [k, v] of Object.entries(s.metrics ?? {})) rows.push([k, typeof v === 'number' ? fmt(v) : v]);
  if (elapsed !== undefined) rows.push(['elapsed', formatDuration(elapsed)]);
  if (eta !== undefined) rows.push(['ETA', formatDuration(eta)]);
  const pct = frac === null ? null : Math.round(frac * 1000) / 10;
  const bar = pct === null ? '' :
    `<div style="width:320px;height:12px;background:#e6e6e6;border-radius:3px;overflow:hidden;margin:4px 0">` +
    `<div style="width:${pct}%;height:100%;background:${r.finished ? '#54A24B' : '#4C78A8'}"></div></div>`;
  const table = `<table style="font-size:90%"><tbody>${rows.map(([k, v]) => `<tr><th style="text-align:left;padding-right:1em">${escapeHtml(k)}</th><td style="text-align:right">${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>`;
  const html = `<div class="aggstem-progress" style="font-family:sans-serif"><div><b>${escapeHtml(title)}</b>${pct === null ? '' : ` — ${pct}%`}${r.finished ? ' (done)' : ''}</div>${bar}` +
    `<div style="display:flex;gap:16px;align-items:flex-start">${table}${lossCurveSvg(r.history ?? [])}</div>` +
    `${s.message ? `<div style="color:#555">${escapeHtml(s.message)}</div>` : ''}</div>`;
  const text = `${title}${pct === null ? '' : ` ${pct}%`}${r.finished ? ' (done)' : ''}: ${rows.map(([k, v]) => `${k} ${v}`).join(', ')}${s.message ? ` — ${s.message}` : ''}`;
  return { [MIME.html]: html, [MIME.plain]: text };
}

/** The shapes `trainEstimator`'s callbacks pass (0-based epoch and batch numbers). */
export interface TrainBatchInfo { epoch: number; batch: number; batchesPerEpoch: number; loss: number }
export interface TrainEpochLog { epoch: number; loss: number; valNll?: number }
export interface TrainEpochInfo { epochs: number }

/** A live progress output, see {@link progressView}. */
export interface ProgressView {
  /** Merges `state` into the current state and redraws. */
  update(state: ProgressState): void;
  /** Final redraw (green bar, no ETA); later updates are ignored. */
  done(message?: string): void;
  /** Callbacks for `trainEstimator({ onBatchEnd, onEpochEnd })`: batch updates are throttled to 4 per second. */
  trainCallbacks(): { onBatchEnd(info: TrainBatchInfo): void; onEpochEnd(log: TrainEpochLog, info: TrainEpochInfo): void };
  /** The loss curve so far. */
  readonly history: readonly LossPoint[];
}

/** Options of {@link progressView}. */
export interface ProgressViewOptions {
  /** What `epoch` / `epochs` count (default `epoch`), e.g. `aggregate` for a loop over samples. */
  unit?: string;
}

/**
 * A live progress view in the running notebook cell (created on the first `update`). Uses an
 * updatable display (like `tslab.newDisplay()`), so it redraws in place. Throws outside tslab.
 * For loops other than training, count with `epoch` / `epochs` and name the unit.
 */
export function progressView(title = 'Training', opts: ProgressViewOptions = {}): ProgressView {
  const display = newBundleDisplay();
  const t0 = Date.now();
  let state: ProgressState = {};
  let finished = false;
  let lastBatchDraw = 0;
  const history: LossPoint[] = [];
  const draw = () => display.update(progressBundle(title, state, { elapsedSeconds: (Date.now() - t0) / 1000, history, finished, ...(opts.unit ? { unit: opts.unit } : {}) }));
  const view: ProgressView = {
    history,
    update(s) {
      if (finished) return;
      state = { ...state, ...s };
      if (s.batch === undefined && 'epoch' in s) delete state.batch;
      if (s.epoch !== undefined && (s.loss !== undefined || s.valLoss !== undefined) && s.batch === undefined) {
        const last = history[history.length - 1];
        const pt: LossPoint = { epoch: s.epoch, ...(s.loss !== undefined ? { loss: s.loss } : {}), ...(s.valLoss !== undefined ? { valLoss: s.valLoss } : {}) };
        if (last && last.epoch === s.epoch) history[history.length - 1] = { ...last, ...pt };
        else history.push(pt);
      }
      draw();
    },
    done(message) {
      if (finished) return;
      finished = true;
      if (message !== undefined) state = { ...state, message };
      draw();
    },
    trainCallbacks() {
      return {
        onBatchEnd(info) {
          const now = Date.now();
          if (now - lastBatchDraw < 250 && info.batch + 1 < info.batchesPerEpoch) return;
          lastBatchDraw = now;
          view.update({ epoch: info.epoch + 1, batch: info.batch + 1, batchesPerEpoch: info.batchesPerEpoch, loss: info.loss });
        },
        onEpochEnd(log, info) {
          const valLoss = typeof log.valNll === 'number' && Number.isFinite(log.valNll) ? log.valNll : undefined;
          view.update({ epoch: log.epoch + 1, epochs: info.epochs, loss: log.loss, ...(valLoss !== undefined ? { valLoss } : {}) });
        },
      };
    },
  };
  return view;
}
