/** Page helpers shared by the browser tests. */
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
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
