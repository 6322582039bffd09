/**
 * A terminal progress line (count, rate, ETA) written to stderr. On a TTY it redraws in place;
 * otherwise (CI logs, pipes) it prints a line at most every `intervalMs`.
 */
export interface ProgressBar {
  /** Report that `done` of `total` units are finished. */
  update(done: number, extra?: string): void;
  /** Print the final line. */
  finish(extra?: string): void;
}

export function progressBar(label: string, total: number, opts: { stream?: NodeJS.WriteStream; intervalMs?: number; quiet?: boolean } = {}): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const interval = opts.intervalMs ?? (tty ? 100 : 5000);
  const t0 = Date.now();
  let last = 0;
  const line = (done: number, extra?: string) => {
    const s = (Date.now() - t0) / 1000;
    const rate = s > 0 ? done / s : 0;
    const eta = rate > 0 ? (total - done) / rate : NaN;
    const pct = total > 0 ? ((100 * done) / total).toFixed(1) : '100.0';
    const width = 24;
    const filled = total > 0 ? Math.round((width * done) / total) : width;
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    return `${label} [${bar}] ${done}/${total} ${pct}% ${rate.toFixed(rate < 10 ? 2 : 0)}/s ETA ${formatSeconds(eta)}${extra ? ' ' + extra : ''}`;
  };
  return {
    update(done, extra) {
      if (opts.quiet) return;
      const now = Date.now();
      if (now - last < interval && done < total) return;
      last = now;
      if (tty) stream.write('\r' + line(done, extra) + '\x1b[K');
      else stream.write(line(done, extra) + '\n');
    },
    finish(extra) {
      if (opts.quiet) return;
      const s = ((Date.now() - t0) / 1000).toFixed(1);
      stream.write((tty ? '\r' : '') + line(total, extra) + ` done in ${s} s` + (tty ? '\x1b[K\n' : '\n'));
    },
  };
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
