/**
 * Browser tests of comparisons in headless Chromium with SwiftShader WebGPU. SubZero and MeZO run
 * one after another, are restored after a reload, and are shared by a link opened in a fresh
 * browser context. Tampered links change nothing, a shared uploaded dataset is checked by SHA-256
 * before it runs again, a run cut by a reload comes back interrupted, only one tab at a time saves,
 * and 4-bit and 32-bit Shampoo are compared on the CNN.
 *
 * Like playground.test.ts, the app is built into a temporary folder (or E2E_DIST_DIR is served) and
 * screenshots go to E2E_ARTIFACTS_DIR or a temporary folder. E2E_COMPARISON_STEPS sets the steps of
 * the comparison runs (default 3) and turns on text samples; the README screenshots were made with 20.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import LZString from 'lz-string';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../app/run/config';
import type { LanguageModelRunConfig } from '../../app/run/types';
import { crc32Hex } from '../../app/share/crc32';
import { buildComparison, decodeComparison, metricsCsv, metricsJson, prepareForShare, shareUrl, type Comparison } from '../../app/share';
import type { ChartData } from '../../app/store/chart-data';
import { buildApp, collectDiagnostics, launchChromium, serveStatic, type StaticServer } from './harness';
import { expectEnabled, expectWebGpuAvailable, pathPoints, summary, waitForReady, waitForRunsDone } from './page';

const STEPS = Number(process.env.E2E_COMPARISON_STEPS ?? '3');
/** Evaluations before training and at the last step (and in between for longer runs). */
const EVAL_EVERY = STEPS > 4 ? Math.ceil(STEPS / 4) : STEPS;
/** Tokens sampled before and after fine-tuning: none in the default short runs, some for screenshots. */
const SAMPLE_TOKENS = process.env.E2E_COMPARISON_STEPS ? 24 : 0;

let server: StaticServer;
let browser: Browser;
let artifactsDir: string;

beforeAll(async () => {
  const distDir = process.env.E2E_DIST_DIR ?? (await buildApp());
  server = await serveStatic(distDir);
  browser = await launchChromium(true);
  artifactsDir = process.env.E2E_ARTIFACTS_DIR ?? (await mkdtemp(path.join(tmpdir(), 'playground-e2e-artifacts-')));
  await mkdir(artifactsDir, { recursive: true });
  console.log(`Serving ${distDir} at ${server.url}; screenshots in ${artifactsDir}`);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(context: BrowserContext, url = server.url): Promise<{ page: Page; diagnostics: () => string }> {
  const page = await context.newPage();
  const diagnostics = collectDiagnostics(page);
  await page.goto(url);
  await expectWebGpuAvailable(page, diagnostics);
  return { page, diagnostics };
}

async function fill(page: Page, prefix: 'field' | 'vision-field', values: Record<string, string>): Promise<void> {
  for (const [field, value] of Object.entries(values)) await page.getByTestId(`${prefix}-${field}`).fill(value);
}

/** Waits until IndexedDB contains every change, so a reload restores all of it. */
async function waitForSaved(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__playground?.storage.saved === true && window.__playground.storage.status !== 'saving', undefined, { timeout: 10_000 });
}

/** The points drawn per run, as (step, value) pairs: what both pages must agree on. */
function drawnSeries(charts: ChartData): Record<string, { train: number[][]; eval: number[][]; accuracy: number[][] | null }> {
  return Object.fromEntries(
    charts.runs.map((run) => [
      run.id,
      {
        train: run.trainLoss.map((point) => [point.step, point.y]),
        eval: run.evalLoss.map((point) => [point.step, point.y]),
        accuracy: run.accuracy?.map((point) => [point.step, point.y]) ?? null,
      },
    ]),
  );
}

/** Expects the same steps and values equal to the 6 significant digits a link keeps. */
function expectSameSeries(actual: ReturnType<typeof drawnSeries>, expected: ReturnType<typeof drawnSeries>): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const [runId, series] of Object.entries(expected)) {
    for (const kind of ['train', 'eval', 'accuracy'] as const) {
      const want = series[kind];
      const got = actual[runId][kind];
      if (want === null) {
        expect(got, `${runId} ${kind}`).toBeNull();
        continue;
      }
      expect(got?.map(([step]) => step), `${runId} ${kind} steps`).toEqual(want.map(([step]) => step));
      got?.forEach(([, value], index) => expect(Math.abs(value - want[index][1]), `${runId} ${kind} value ${index}`).toBeLessThanOrEqual(Math.abs(want[index][1]) * 1e-5));
    }
  }
}

/** Replaces the character in the middle of the link's payload by another one of the same alphabet. */
function tamper(url: string): string {
  const hashAt = url.indexOf('#');
  const middle = hashAt + Math.floor((url.length - hashAt) / 2);
  const replacement = url[middle] === 'A' ? 'B' : 'A';
  return url.slice(0, middle) + replacement + url.slice(middle + 1);
}

describe('comparisons', () => {
  it('compares SubZero and MeZO, restores them and shares them', async () => {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const { page, diagnostics } = await openPage(context);

    // 1. SubZero with tiny settings, then MeZO added with the same settings.
    await fill(page, 'field', { batchSize: '2', sequenceLength: '32', steps: String(STEPS), evalEvery: String(EVAL_EVERY), evalBatches: '1', sampleTokens: String(SAMPLE_TOKENS) });
    await page.getByTestId('add-run').click();
    const table = page.getByTestId('runs-table');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    const planned = (await summary(page)).comparison;
    expect(planned.runs.map((run) => [run.id, run.label, run.config.optimizer.name])).toEqual([
      ['subzero', 'SubZero', 'subzero'],
      ['mezo', 'MeZO', 'mezo'],
    ]);
    expect(planned.runs[1].config).toMatchObject({ batchSize: 2, sequenceLength: 32, steps: STEPS, evalBatches: 1 });
    expect(planned.runs[0].colour).not.toBe(planned.runs[1].colour);
    expect(await page.getByTestId('run-editor').getAttribute('data-run-id')).toBe('mezo');
    expect(await page.getByTestId('optimizer-mezo').isChecked()).toBe(true);

    // 2. Run executes both, one after another.
    await expectEnabled(page.getByTestId('run-button'), true);
    expect(await page.getByTestId('run-button').getAttribute('title')).toBe('Run SubZero and MeZO, one after another');
    await page.getByTestId('run-button').click();
    await page.waitForFunction(() => window.__playground?.activeRunId === 'subzero', undefined, { timeout: 30_000 });
    expect((await summary(page)).queue).toEqual(['mezo']);
    expect(await table.locator('tr[data-run-id="mezo"]').getAttribute('data-status')).toBe('queued');
    await waitForRunsDone(page);
    const finished = await summary(page);
    expect(finished.errors, `run errors${diagnostics()}`).toEqual([]);
    const evalCount = Math.floor(STEPS / EVAL_EVERY) + 1 + (STEPS % EVAL_EVERY === 0 ? 0 : 1);
    for (const run of finished.comparison.runs) {
      expect(run.results?.summary.status, run.id).toBe('completed');
      expect(run.results?.summary.stepsDone, run.id).toBe(STEPS);
      expect(run.results?.series.trainLoss.steps, run.id).toEqual(Array.from({ length: STEPS }, (_, index) => index + 1));
      expect(run.results?.series.evalLoss.steps.length, run.id).toBe(evalCount);
      expect(await table.locator(`tr[data-run-id="${run.id}"]`).getAttribute('data-status')).toBe('completed');
      expect(Number(await table.locator(`tr[data-run-id="${run.id}"]`).getAttribute('data-final-eval-loss'))).toBe(run.results?.summary.finalEvalLoss);
    }
    // SubZero's low-rank perturbation state (U, V) is larger than MeZO's seeds on this model.
    const perturbation = finished.comparison.runs.map((run) => run.results?.summary.peakMemoryBytes.perturbation ?? 0);
    expect(perturbation[0]).toBeGreaterThan(0);
    expect(perturbation[1]).toBeGreaterThan(0);

    // 3. The charts overlay both runs in their colours.
    const lossChart = page.getByTestId('loss-chart');
    for (const run of finished.comparison.runs) {
      const train = lossChart.locator(`.loss-train-${run.id} path.recharts-line-curve`);
      expect(pathPoints(await train.getAttribute('d')), `${run.id} train path`).toBe(STEPS);
      expect(await train.getAttribute('stroke')).toBe(run.colour);
      expect(pathPoints(await lossChart.locator(`.loss-eval-${run.id} path.recharts-line-curve`).getAttribute('d')), `${run.id} eval path`).toBe(evalCount);
    }
    expect(await page.getByTestId('memory-chart').locator('.memory-bar-weights .recharts-bar-rectangle').count()).toBe(2);
    expect(drawnSeries(finished.charts).subzero.train.map(([, value]) => value)).toEqual(finished.comparison.runs[0].results?.series.trainLoss.values);

    // 4. Against wall time, a point's x is the training time at its step.
    await page.getByTestId('x-axis-time').check({ force: true });
    const timed = await summary(page);
    expect(timed.charts.xAxis).toBe('time');
    const subzero = finished.comparison.runs[0].results!;
    expect(timed.charts.runs[0].trainLoss.map((point) => point.x)).toEqual(subzero.series.elapsedMs.steps.filter((step) => step > 0).map((step) => subzero.series.elapsedMs.values[subzero.series.elapsedMs.steps.indexOf(step)]));
    await page.getByTestId('x-axis-step').check({ force: true });

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(artifactsDir, 'comparison-lm.png'), fullPage: true });

    // 5. The exports hold what the comparison recorded.
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    expect(csvDownload.suggestedFilename()).toMatch(/^comparison-language-model-seed1-.*\.csv$/);
    expect(await readFile((await csvDownload.path())!, 'utf8')).toBe(metricsCsv(finished.comparison));
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    expect(await readFile((await jsonDownload.path())!, 'utf8')).toBe(metricsJson(finished.comparison));

    // 6. A reload restores the comparison exactly, charts and table included.
    await waitForSaved(page);
    await page.reload();
    await waitForReady(page);
    const restored = await summary(page);
    expect(restored.comparison).toEqual(finished.comparison);
    expect(restored.charts).toEqual(finished.charts);
    expect(restored.source).toBe('local');
    expect(await table.locator('tr[data-run-id="mezo"]').getAttribute('data-status')).toBe('completed');
    expect(pathPoints(await lossChart.locator('.loss-train-mezo path.recharts-line-curve').getAttribute('d'))).toBe(STEPS);

    // 7. Share builds the link; it decodes to the comparison with its series rounded.
    await page.getByTestId('share-button').click();
    const url = await page.getByTestId('share-url').inputValue();
    expect(url.startsWith(`${server.url}#v2.`)).toBe(true);
    const decoded = decodeComparison(new URL(url).hash);
    if (!decoded.ok) throw new Error(`The page's share link does not decode: ${decoded.error}`);
    expect(decoded.comparison).toEqual(prepareForShare(restored.comparison));

    // 8. A fresh browser context shows the same series at once, without running anything.
    const viewer = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page: linkPage } = await openPage(viewer, url);
    await linkPage.getByTestId('link-banner').waitFor({ state: 'visible', timeout: 10_000 });
    const opened = await summary(linkPage);
    expect(opened.source).toBe('link');
    expect(opened.running).toBe(false);
    expect(opened.phase).toBe('idle');
    expect(opened.comparison).toEqual(decoded.comparison);
    expectSameSeries(drawnSeries(opened.charts), drawnSeries(restored.charts));
    for (const run of opened.comparison.runs) {
      expect(pathPoints(await linkPage.getByTestId('loss-chart').locator(`.loss-train-${run.id} path.recharts-line-curve`).getAttribute('d'))).toBe(STEPS);
    }
    await expectEnabled(linkPage.getByTestId('run-again-button'), true);
    await expectEnabled(linkPage.getByTestId('run-button'), false);
    expect(await linkPage.getByTestId('config-panel').locator('input[data-testid="field-steps"]').isDisabled()).toBe(true);
    await linkPage.screenshot({ path: path.join(artifactsDir, 'comparison-link.png'), fullPage: true });
    await viewer.close();

    // 9. Tampered links show an error and change nothing.
    const before = await summary(page);
    const corrupt = tamper(url);
    const hash = new URL(url).hash;
    // '#v2.<data>.<checksum>': the data ends at the last '.'.
    const data = hash.slice('#v2.'.length, hash.lastIndexOf('.'));
    const invalid = JSON.parse(LZString.decompressFromEncodedURIComponent(data)!) as Comparison;
    (invalid.runs[1].config as LanguageModelRunConfig).optimizer.learningRate = -1;
    const badData = LZString.compressToEncodedURIComponent(JSON.stringify(invalid));
    const badValue = `${server.url}#v2.${badData}.${crc32Hex(badData)}`;
    const badVersion = `${server.url}#v9.${hash.slice('#v2.'.length)}`;
    const cases: Array<[string, string, RegExp]> = [
      ['corrupt data', corrupt, /^This link cannot be opened, so nothing was changed\. The link's data does not match its checksum/],
      ['out-of-range value', badValue, /runs\.1\.config\.optimizer\.learningRate must be > 0 \(got -1\)/],
      ['unknown version', badVersion, /The link has version v9, which this page cannot read; it reads v1, v2/],
    ];
    for (const [name, link, message] of cases) {
      await page.goto(link);
      const notice = page.getByTestId('notice-link-error').last();
      await notice.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await notice.getByTestId('notice-message').textContent(), name).toMatch(message);
      const after = await summary(page);
      expect(after.source, name).toBe('local');
      expect(after.comparison, name).toEqual(before.comparison);
      expect(after.charts, name).toEqual(before.charts);
      await notice.getByTestId('notice-dismiss').click();
    }
    expect(await page.getByTestId('link-banner').count()).toBe(0);
    await context.close();
  });

  it('checks a shared upload before running it again', async () => {
    const text = 'The state of the union is strong. '.repeat(40) + '\n' + 'We will work together for a better future. '.repeat(40) + '\n';
    const bytes = Buffer.from(text);
    const config: LanguageModelRunConfig = {
      ...DEFAULT_CONFIG,
      dataset: { kind: 'upload', name: 'speeches.txt', size: bytes.length },
      batchSize: 2,
      sequenceLength: 32,
      steps: 2,
      evalEvery: 0,
      // A few tokens, so the run records samples that the reload below must show again.
      sampleTokens: 4,
    };
    const comparison = buildComparison([config], { title: 'An uploaded text', datasetFiles: [{ name: 'speeches.txt', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }] });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page, diagnostics } = await openPage(context, shareUrl(server.url, comparison));
    await page.getByTestId('link-banner').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.getByTestId('link-title').textContent()).toContain('An uploaded text');

    // Run again requests the file; a different file is rejected by its SHA-256 and nothing runs.
    await page.getByTestId('run-again-button').click();
    await page.getByTestId('file-prompt').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.getByTestId('file-prompt-references').textContent()).toContain('speeches.txt');
    const wrong = Buffer.from(text.replace('strong', 'STRONG'));
    await page.getByTestId('file-prompt-dataset-input').setInputFiles({ name: 'speeches.txt', mimeType: 'text/plain', buffer: wrong });
    await page.getByTestId('file-prompt-check').click();
    const problems = page.getByTestId('file-prompt-problems');
    await problems.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await problems.textContent()).toContain(`"speeches.txt" has SHA-256 ${createHash('sha256').update(wrong).digest('hex')}`);
    const waiting = await summary(page);
    expect(waiting.source).toBe('link');
    expect(waiting.running).toBe(false);
    expect(waiting.phase).toBe('idle');

    // The same bytes under another name pass (with a warning), and the runs start.
    await page.getByTestId('file-prompt-dataset-input').setInputFiles({ name: 'copy-of-speeches.txt', mimeType: 'text/plain', buffer: bytes });
    await page.getByTestId('file-prompt-check').click();
    await waitForRunsDone(page);
    const ran = await summary(page);
    expect(ran.errors, `run errors${diagnostics()}`).toEqual([]);
    expect(ran.source).toBe('local');
    expect(ran.comparison.dataset).toEqual(comparison.dataset);
    expect(ran.comparison.runs[0].results?.summary).toMatchObject({ status: 'completed', stepsDone: 2 });
    expect(new URL(page.url()).hash).toBe('');
    const samples = ran.comparison.runs[0].results?.samples;
    expect(samples?.before?.step).toBe(0);
    expect(samples?.after?.step).toBe(2);

    // After a reload the file must be picked again; the same bytes keep the results.
    await waitForSaved(page);
    await page.reload();
    await waitForReady(page);

    // The reload shows the finished run's samples and log lines from its saved results.
    const samplesPanel = page.getByTestId('samples');
    expect(await samplesPanel.getAttribute('data-source')).toBe('saved');
    expect(await samplesPanel.getAttribute('data-run-id')).toBe('subzero');
    expect(await page.getByTestId('sample-before').textContent()).toBe(samples?.before?.text);
    expect(await page.getByTestId('sample-after').textContent()).toBe(samples?.after?.text);
    expect(await page.getByTestId('sample-prompt').textContent()).toBe(config.samplePrompt);
    const logPanel = page.getByTestId('log-panel');
    expect(await logPanel.getAttribute('data-source')).toBe('saved');
    expect(await logPanel.getByTestId('log-line').last().textContent()).toContain('Run completed after 2 steps.');

    const datasetError = page.getByTestId('field-error-dataset');
    await datasetError.waitFor({ state: 'visible', timeout: 10_000 });
    await expectEnabled(page.getByTestId('run-button'), false);
    expect(await page.getByTestId('dataset-reference').textContent()).toContain('speeches.txt');
    await page.getByTestId('dataset-file-input').setInputFiles({ name: 'speeches.txt', mimeType: 'text/plain', buffer: bytes });
    await expectEnabled(page.getByTestId('run-button'), true);
    const kept = await summary(page);
    expect(kept.pendingChange).toBeNull();
    expect(kept.comparison.runs[0].results?.summary.status).toBe('completed');

    // Another file would clear the results, so it is held back.
    await page.getByTestId('dataset-file-input').setInputFiles({ name: 'speeches.txt', mimeType: 'text/plain', buffer: wrong });
    await page.getByTestId('pending-change').waitFor({ state: 'visible', timeout: 10_000 });
    expect((await summary(page)).pendingChange?.clearsResultsOf).toEqual(['subzero']);
    await page.getByTestId('revert-changes').click();
    expect((await summary(page)).comparison.runs[0].results?.summary.status).toBe('completed');
    await context.close();
  });

  it('shows a run cut by a reload as interrupted', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page, diagnostics } = await openPage(context);
    await page.getByTestId('optimizer-mezo').check({ force: true });
    await fill(page, 'field', { batchSize: '2', sequenceLength: '32', steps: '1000', evalEvery: '0', sampleTokens: '0' });
    await expectEnabled(page.getByTestId('run-button'), true);
    await page.getByTestId('run-button').click();
    await page.waitForFunction(() => (window.__playground?.comparison.runs[0].results?.series.trainLoss.steps.length ?? 0) >= 2, undefined, { timeout: 240_000, polling: 250 });
    expect((await summary(page)).errors, `run errors${diagnostics()}`).toEqual([]);
    await waitForSaved(page);
    const saved = (await summary(page)).comparison.runs[0].results!;

    await page.reload();
    await waitForReady(page);
    const restored = await summary(page);
    expect(restored.running).toBe(false);
    const results = restored.comparison.runs[0].results!;
    expect(results.summary.status).toBe('interrupted');
    expect(results.series.trainLoss.steps.length).toBeGreaterThanOrEqual(saved.series.trainLoss.steps.length);
    const row = page.getByTestId('runs-table').locator('tr[data-run-id="mezo"]');
    expect(await row.getAttribute('data-status')).toBe('interrupted');
    expect(await row.getByTestId('run-restart').textContent()).toBe('Restart');
    await expectEnabled(row.getByTestId('run-restart'), true);
    await context.close();
  });

  it('saves from one tab at a time', async () => {
    // Pages of one context share IndexedDB and Web Locks, as tabs of one browser profile do.
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const first = await openPage(context);
    await waitForReady(first.page);
    await fill(first.page, 'field', { steps: '7' });
    await waitForSaved(first.page);

    // A second tab restores what the first saved, shows that it does not save, and keeps its edits to itself.
    const second = await openPage(context);
    await waitForReady(second.page);
    const secondStart = await summary(second.page);
    expect(secondStart.comparison.runs[0].config.steps).toBe(7);
    expect(secondStart.storage.status).toBe('unavailable');
    expect(secondStart.notices.map((notice) => notice.kind)).toContain('storage');
    expect(await second.page.getByTestId('notice-storage').textContent()).toContain('Another tab of this playground is open');
    await fill(second.page, 'field', { steps: '9' });
    await expect.poll(async () => (await summary(second.page)).comparison.runs[0].config.steps).toBe(9);
    await second.page.waitForTimeout(500);

    // The first tab still owns the saves: its reload shows its own value, not the second tab's.
    await first.page.reload();
    await waitForReady(first.page);
    const firstAgain = await summary(first.page);
    expect(firstAgain.comparison.runs[0].config.steps).toBe(7);
    expect(firstAgain.storage.status).not.toBe('unavailable');

    // Once the saving tab is closed, a new tab takes over the saves.
    await first.page.close();
    const third = await openPage(context);
    await waitForReady(third.page);
    const thirdStart = await summary(third.page);
    expect(thirdStart.storage.status).not.toBe('unavailable');
    expect(thirdStart.comparison.runs[0].config.steps).toBe(7);
    expect(`${first.diagnostics()}${second.diagnostics()}${third.diagnostics()}`).not.toMatch(/page error/);
    await context.close();
  });

  it('compares 4-bit and 32-bit Shampoo on the CNN', async () => {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1300 } });
    const { page, diagnostics } = await openPage(context);
    await page.getByTestId('task-vision').check({ force: true });
    await page.getByTestId('vision-config-panel').waitFor({ state: 'visible', timeout: 10_000 });
    await page.getByTestId('vision-model-cnn').check({ force: true });
    await page.getByTestId('vision-optimizer-shampoo4').check({ force: true });
    await fill(page, 'vision-field', { batchSize: '16', steps: String(STEPS + 1), factorPeriod: '2', rootPeriod: '4', maxOrder: '64', evalEvery: String(Math.ceil((STEPS + 1) / 2)), evalExamples: '64' });
    await page.getByTestId('add-run').click();
    await expect.poll(async () => (await summary(page)).comparison.runs.length).toBe(2);
    const planned = (await summary(page)).comparison;
    expect(planned.runs.map((run) => run.label)).toEqual(['4-bit Shampoo', '32-bit Shampoo']);
    expect(planned.runs[1].config.optimizer).toMatchObject({ name: 'shampoo32', factorPeriod: 2, rootPeriod: 4, maxOrder: 64 });
    expect(await page.getByTestId('vision-optimizer-shampoo32').isChecked()).toBe(true);

    await expectEnabled(page.getByTestId('run-button'), true);
    await page.getByTestId('run-button').click();
    await waitForRunsDone(page);
    const result = await summary(page);
    expect(result.errors, `run errors${diagnostics()}`).toEqual([]);
    const [fourBit, fullPrecision] = result.comparison.runs.map((run) => run.results!);
    for (const results of [fourBit, fullPrecision]) {
      expect(results.summary.status).toBe('completed');
      expect(results.series.accuracy?.steps[0]).toBe(0);
      expect(results.series.accuracy?.steps.at(-1)).toBe(STEPS + 1);
    }
    // 4-bit Shampoo stores its preconditioner in 4 bits plus absmax scales; 32-bit Shampoo has no scales.
    expect(fourBit.summary.peakMemoryBytes['quantization-scales']).toBeGreaterThan(0);
    expect(fullPrecision.summary.peakMemoryBytes['quantization-scales'] ?? 0).toBe(0);
    expect(fourBit.summary.peakMemoryBytes.preconditioner).toBeLessThan(fullPrecision.summary.peakMemoryBytes.preconditioner ?? 0);
    expect(await page.getByTestId('optimizer-state-chart').locator('.memory-bar-preconditioner .recharts-bar-rectangle').count()).toBe(2);
    for (const run of result.comparison.runs) {
      const points = run.results?.series.accuracy?.steps.length;
      expect(pathPoints(await page.getByTestId('accuracy-chart').locator(`.accuracy-eval-${run.id} path.recharts-line-curve`).getAttribute('d'))).toBe(points);
    }

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(artifactsDir, 'comparison-vision.png'), fullPage: true });
    await context.close();
  });
});
