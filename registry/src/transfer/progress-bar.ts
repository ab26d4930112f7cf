import type { TransferActivity } from './transfer-service.js';

/** A one-line terminal progress bar for a transfer activity (the CLI draws it only on a TTY). */
export function renderProgress(a: TransferActivity, width = 30): string {
  const total = a.bytesTotal ?? 0;
  const frac = total > 0 ? Math.min(1, a.bytesDone / total) : 0;
  const filled = Math.round(frac * width);
  const bar = total > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%` : '';
  const secs = Math.max(0.001, (Date.now() - a.startedAt) / 1000);
  return `${a.kind} ${a.phase.padEnd(10)} ${bar} ${mib(a.bytesDone)}${total ? ` / ${mib(total)}` : ''} MiB  ${mib(a.bytesDone / secs)} MiB/s`;
}

function mib(n: number): string {
  return (n / 1024 / 1024).toFixed(1);
}
