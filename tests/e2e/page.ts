/** Page helpers shared by the browser tests. */
import { readFile } from 'node:fs/promises';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { parseSafetensors, type SafetensorsTensor } from '../../app/model/safetensors';
import type { PlaygroundSummary } from '../../app/store/summary';

/** Maximum wait for a short run on SwiftShader, which is about 100 times slower than a GPU. */
export const RUN_TIMEOUT_MS = 480_000;

/** Waits up to 10 s for a control to become enabled or disabled. */
export async function expectEnabled(control: Locator, enabled: boolean): Promise<void> {
  await expect.poll(() => control.isEnabled(), { timeout: 10_000, message: `enabled state of ${control}` }).toBe(enabled);
}

/** Returns a JSON copy of `window.__playground`. */
export function summary(page: Page): Promise<PlaygroundSummary> {
  return page.evaluate(() => {
    const value = window.__playground;
    if (!value) throw new Error('window.__playground is not defined');
    return JSON.parse(JSON.stringify(value)) as PlaygroundSummary;
  });
}

/** Waits until no run executes or waits in the queue and the last run has finished. */
export async function waitForRunsDone(page: Page, timeout = RUN_TIMEOUT_MS): Promise<void> {
  await page.waitForFunction(() => window.__playground !== undefined && !window.__playground.running && window.__playground.phase === 'finished', undefined, { timeout, polling: 500 });
}

/** Waits until the page has restored its saved comparisons (or found storage unavailable). */
export async function waitForReady(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__playground?.ready === true, undefined, { timeout: 30_000 });
}

/** Returns the reason of the run's `finished` event, or null when the last event is another type. */
export function finishReason(result: PlaygroundSummary): string | null {
  return result.lastEvent?.type === 'finished' ? result.lastEvent.reason : null;
}

/**
 * Waits until the page has checked WebGPU and restored its saved comparisons; throws with the
 * page's message when it found no adapter.
 */
export async function expectWebGpuAvailable(page: Page, diagnostics: () => string): Promise<void> {
  await waitForReady(page);
  const adapterName = page.getByTestId('adapter-name');
  const help = page.getByTestId('webgpu-help');
  await expect
    .poll(async () => (await help.isVisible()) || (await adapterName.textContent()) !== 'no adapter', { timeout: 30_000 })
    .toBe(true);
  if (await help.isVisible()) {
    throw new Error(`No WebGPU adapter in headless Chromium: ${await help.textContent()}${diagnostics()}`);
  }
}

/** Counts the points of an SVG path drawn by recharts ("M x,y L x,y …"). */
export function pathPoints(d: string | null): number {
  return (d ?? '').match(/[ML]/g)?.length ?? 0;
}

/**
 * Clicks the Weights action of the runs-table row `runId`, waits for the browser download, and
 * returns the file's name and tensors (parsed with the app's safetensors reader).
 */
export async function downloadRunWeights(page: Page, runId: string): Promise<{ fileName: string; tensors: Map<string, SafetensorsTensor> }> {
  const button = page.getByTestId('runs-table').locator(`tr[data-run-id="${runId}"]`).getByTestId('run-download-weights');
  await expectEnabled(button, true);
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), button.click()]);
  const fileName = download.suggestedFilename();
  const bytes = await readFile(await download.path());
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { fileName, tensors: parseSafetensors(buffer, fileName) };
}

/** Returns each tensor's shape, by name. */
export function tensorShapes(tensors: Map<string, SafetensorsTensor>): Record<string, number[]> {
  return Object.fromEntries([...tensors].map(([name, tensor]) => [name, tensor.shape]));
}

/** Returns the number of values in all tensors together. */
export function valueCount(tensors: Map<string, SafetensorsTensor>): number {
  return [...tensors.values()].reduce((sum, tensor) => sum + tensor.data.length, 0);
}
