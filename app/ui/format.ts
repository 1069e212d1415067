/** Number and duration formatting shared by the panels. */

const MIB = 1024 * 1024;

export function bytesToMiB(bytes: number): number {
  return bytes / MIB;
}

export function formatMiB(bytes: number): string {
  const mib = bytesToMiB(bytes);
  return `${mib < 10 ? mib.toFixed(2) : mib.toFixed(1)} MiB`;
}

/** Formats a byte count as "0 B", in KiB below 1 MiB, and in MiB from there on. */
export function formatBytes(bytes: number): string {
  if (bytes === 0) return '0 B';
  if (bytes < MIB) return `${(bytes / 1024).toFixed(1)} KiB`;
  return formatMiB(bytes);
}

/** Formats a duration as "850 ms", "12.3 s" or "4 min 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, '0')} s`;
}

/** Formats a count as "124 k" or "1.24 M". */
export function formatCount(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toPrecision(3)} G`;
  if (count >= 1e6) return `${(count / 1e6).toPrecision(3)} M`;
  if (count >= 1e3) return `${(count / 1e3).toPrecision(3)} k`;
  return String(count);
}

/** Formats a fraction in [0, 1] as a percentage with one decimal, such as "71.3%". */
export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : String(fraction);
}

export function formatLoss(loss: number): string {
  return Number.isFinite(loss) ? loss.toFixed(4) : String(loss);
}
