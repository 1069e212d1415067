/** Downloads of generated text and files through Blob URLs, so nothing leaves the browser. */
import type { Comparison } from '../share';

/** Saves `text` as the file `name` through a temporary Blob URL. */
export function downloadText(name: string, text: string, type: string): void {
  downloadBlob(name, new Blob([text], { type: `${type};charset=utf-8` }));
}

/** Saves `bytes` (backed by an ArrayBuffer, not a SharedArrayBuffer) as the file `name` through a temporary Blob URL. */
export function downloadBytes(name: string, bytes: Uint8Array, type: string): void {
  downloadBlob(name, new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
}

function downloadBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own reference to the Blob once started, so the URL can go.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** File name of a metrics export: "comparison-<task>-seed<seed>-<date>.<extension>". */
export function exportFileName(comparison: Comparison, extension: 'csv' | 'json', now = new Date()): string {
  const date = now.toISOString().slice(0, 19).replaceAll(':', '-');
  return `comparison-${comparison.task}-seed${comparison.seed}-${date}.${extension}`;
}
