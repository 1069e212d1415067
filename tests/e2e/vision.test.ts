/**
 * Browser tests of the vision task in headless Chromium with SwiftShader WebGPU: a short 4-bit
 * Shampoo run of the CNN on the embedded Fashion-MNIST subset, and image uploads that fail to parse.
 *
 * Like playground.test.ts, the app is built into a temporary folder (or E2E_DIST_DIR is served) and
 * screenshots go to E2E_ARTIFACTS_DIR or a temporary folder.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initVisionParameters, visionNetSpec } from '../../app/model/vision';
import { DEFAULT_CONFIG } from '../../app/run/config';
import { METRIC_RANGES } from '../../app/share';
import { formatBytes } from '../../app/ui/format';
import { gzip, idxImages, idxLabels, rampPixels } from '../fixtures/images/build';
import { buildApp, collectDiagnostics, launchChromium, serveStatic, type StaticServer } from './harness';
import { downloadRunWeights, expectEnabled, expectWebGpuAvailable, finishReason, pathPoints, summary, tensorShapes, valueCount, waitForRunsDone } from './page';

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

async function fillVisionSettings(page: Page, values: Record<string, string>): Promise<void> {
  for (const [field, value] of Object.entries(values)) await page.getByTestId(`vision-field-${field}`).fill(value);
}

/** Opens the page, waits for WebGPU and switches the form to the vision task. */
async function openVisionForm(page: Page, diagnostics: () => string): Promise<void> {
  await page.goto(server.url);
  await expectWebGpuAvailable(page, diagnostics);
  await page.getByTestId('task-vision').check({ force: true });
  await page.getByTestId('vision-config-panel').waitFor({ state: 'visible', timeout: 10_000 });
}

/** An IDX images file and a labels file whose headers declare different counts (3 images, 2 labels). */
const MISMATCHED_IDX = [
  { name: 'bad-images-idx3-ubyte', mimeType: 'application/octet-stream', buffer: Buffer.from(idxImages(3, 28, 28, rampPixels(3, 28, 28))) },
  { name: 'bad-labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: Buffer.from(idxLabels(2, [0, 1])) },
];
const MISMATCH_MESSAGE = 'bad-images-idx3-ubyte and bad-labels-idx1-ubyte: 3 images but 2 labels';

describe('vision task', () => {
  it('trains the CNN with 4-bit Shampoo', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
    const diagnostics = collectDiagnostics(page);
    await openVisionForm(page, diagnostics);

    await page.getByTestId('vision-model-cnn').check({ force: true });
    const parameterCount = page.getByTestId('vision-parameter-count');
    // conv1 16·1·9 + 16, conv2 16·16·9 + 16, fc 10·784 + 10.
    expect(await parameterCount.getAttribute('data-count')).toBe('10330');
    expect(await page.getByTestId('vision-layers').locator('li').count()).toBe(8);

    await page.getByTestId('vision-optimizer-shampoo4').check({ force: true });
    expect(await page.getByTestId('vision-field-bits').inputValue()).toBe('4');
    expect(await page.getByTestId('codebook-linear-2').isChecked()).toBe(true);
    expect(await page.getByTestId('quantize-eigenvectors').isChecked()).toBe(true);
    expect(await page.getByTestId('rectify').isChecked()).toBe(true);
    // Max order 64 splits the fc weight's 784 columns into blocks of 64, whose 64×64 factors
    // (4096 elements) are still quantized.
    await fillVisionSettings(page, { batchSize: '16', steps: '6', factorPeriod: '2', rootPeriod: '4', maxOrder: '64', evalEvery: '3', evalExamples: '64' });
    await expectEnabled(page.getByTestId('run-button'), true);
    expect(await page.getByTestId('run-button').getAttribute('title')).toBe('Run 4-bit Shampoo');
    await page.getByTestId('run-button').click();

    await waitForRunsDone(page);
    // Filling the form scrolled the page; the sticky top bar would otherwise cover the middle of the screenshot.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(artifactsDir, 'vision-shampoo4-run.png'), fullPage: true });
    const result = await summary(page);
    expect(result.errors, `run errors${diagnostics()}`).toEqual([]);
    expect(finishReason(result)).toBe('completed');
    expect(result.task).toBe('vision');
    expect(result.steps).toBe(6);
    expect(await page.getByTestId('step-count').textContent()).toBe('step 6 / 6');

    // Evaluations before training, at step 3 and at step 6.
    expect(result.accuracy.map((point) => point.step)).toEqual([0, 3, 6]);
    for (const point of result.accuracy) {
      expect(point.accuracy).toBeGreaterThanOrEqual(0);
      expect(point.accuracy).toBeLessThanOrEqual(1);
    }

    // The optimizer state splits into momentum, preconditioner and quantization scales.
    const memory = result.memoryBytes;
    expect(memory).not.toBeNull();
    expect(memory?.['optimizer-state']).toBeGreaterThan(0);
    expect(memory?.preconditioner).toBeGreaterThan(0);
    expect(memory?.['quantization-scales']).toBeGreaterThan(0);
    expect(result.optimizerStateBytes).toBe((memory?.['optimizer-state'] ?? 0) + (memory?.preconditioner ?? 0) + (memory?.['quantization-scales'] ?? 0));

    const lossChart = page.getByTestId('loss-chart');
    expect(await lossChart.getAttribute('data-points')).toBe('6');
    expect(pathPoints(await lossChart.locator('.loss-train path.recharts-line-curve').getAttribute('d'))).toBe(6);
    expect(pathPoints(await lossChart.locator('.loss-eval path.recharts-line-curve').getAttribute('d'))).toBe(3);

    const accuracyChart = page.getByTestId('accuracy-chart');
    expect(await accuracyChart.getAttribute('data-points')).toBe('3');
    expect(pathPoints(await accuracyChart.locator('.accuracy-eval path.recharts-line-curve').getAttribute('d'))).toBe(3);
    const lastAccuracy = `${(result.accuracy[2].accuracy * 100).toFixed(1)}%`;
    expect(await page.getByTestId('accuracy-latest').textContent()).toBe(`accuracy ${lastAccuracy}`);
    const bestAccuracy = Math.max(...result.accuracy.map((point) => point.accuracy));
    expect(await page.getByTestId('accuracy-best').textContent()).toBe(`best ${(bestAccuracy * 100).toFixed(1)}% (4-bit Shampoo)`);

    // Both the full memory chart and the optimizer-state chart draw the three categories as separate
    // bar segments, and the runs table lists their peak bytes, which equal the bytes of every step.
    const row = page.getByTestId('runs-table').locator('tr[data-run-id="shampoo4"]');
    for (const chartId of ['memory-chart', 'optimizer-state-chart']) {
      const chart = page.getByTestId(chartId);
      for (const category of ['optimizer-state', 'preconditioner', 'quantization-scales'] as const) {
        expect(await chart.locator(`.memory-bar-${category} .recharts-bar-rectangle`).count(), `${chartId}: ${category} bar`).toBe(1);
        expect(Number(await row.locator(`td[data-category="${category}"]`).getAttribute('data-bytes')), `runs table: ${category}`).toBe(memory?.[category]);
      }
      const legend = (await chart.locator('.recharts-legend-wrapper').textContent()) ?? '';
      expect(legend, `${chartId} legend`).toContain('optimizer state (first-order)');
      expect(legend, `${chartId} legend`).toContain('preconditioner');
      expect(legend, `${chartId} legend`).toContain('quantization scales');
    }
    expect(await page.getByTestId('optimizer-state-chart').locator('.recharts-bar-rectangle').count()).toBe(3);
    expect(await page.getByTestId('optimizer-state-totals').textContent()).toContain(`4-bit Shampoo ${formatBytes(result.optimizerStateBytes ?? 0)}`);
    expect(await page.getByTestId('optimizer-state-latest').textContent()).not.toContain('–');
    expect(await page.getByTestId('samples').count()).toBe(0);

    // A malformed upload afterwards is reported under the picker, and the run's results stay.
    await page.getByTestId('vision-dataset-upload').check();
    await page.getByTestId('vision-dataset-input').setInputFiles(MISMATCHED_IDX);
    const datasetError = page.getByTestId('vision-field-error-dataset');
    await expect.poll(() => datasetError.textContent(), { timeout: 10_000 }).toContain(MISMATCH_MESSAGE);
    await expectEnabled(page.getByTestId('run-button'), false);
    expect(await lossChart.getAttribute('data-points')).toBe('6');
    expect(await accuracyChart.getAttribute('data-points')).toBe('3');
    expect((await summary(page)).steps).toBe(6);
    await page.close();
  });

  it('downloads the trained MLP weights', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const diagnostics = collectDiagnostics(page);
    await openVisionForm(page, diagnostics);

    await page.getByTestId('vision-model-mlp').check({ force: true });
    await page.getByTestId('vision-optimizer-sgd').check({ force: true });
    await fillVisionSettings(page, { batchSize: '16', steps: '3', evalEvery: '0' });
    const parameterCount = Number(await page.getByTestId('vision-parameter-count').getAttribute('data-count'));
    // fc1 128·784 + 128, fc2 10·128 + 10 on 28×28 grayscale images in 10 classes.
    expect(parameterCount).toBe(128 * 784 + 128 + 10 * 128 + 10);
    const row = page.getByTestId('runs-table').locator('tr[data-run-id="sgd"]');
    await expectEnabled(row.getByTestId('run-download-weights'), false);
    await expectEnabled(page.getByTestId('run-button'), true);
    await page.getByTestId('run-button').click();

    await waitForRunsDone(page);
    const result = await summary(page);
    expect(result.errors, `run errors${diagnostics()}`).toEqual([]);
    expect(finishReason(result)).toBe('completed');

    const weights = await downloadRunWeights(page, 'sgd');
    expect(weights.fileName).toBe('mlp-sgd-step3.safetensors');
    expect(tensorShapes(weights.tensors)).toEqual({ 'fc1.weight': [128, 784], 'fc1.bias': [128], 'fc2.weight': [10, 128], 'fc2.bias': [10] });
    expect(valueCount(weights.tensors)).toBe(parameterCount);
    expect([...weights.tensors.values()].every((tensor) => tensor.data.every(Number.isFinite))).toBe(true);
    // The file contains the trained weights: every tensor moved from its seeded initial values, which
    // the same spec and seed reproduce.
    const spec = visionNetSpec('mlp', { height: 28, width: 28, channels: 1 }, 10);
    const initial = initVisionParameters(spec, result.comparison.seed);
    spec.parameters.forEach((parameter, index) => {
      const trained = weights.tensors.get(parameter.name)?.data;
      expect(trained?.length, parameter.name).toBe(initial[index].length);
      expect(trained?.some((value, i) => value !== initial[index][i]), `${parameter.name} changed by training`).toBe(true);
    });
    await page.close();
  });

  it('keeps results when training diverges', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const diagnostics = collectDiagnostics(page);
    await openVisionForm(page, diagnostics);

    // SGD at the largest allowed rate with heavy momentum grows the MLP's loss about 100-fold per
    // step, so it overflows to a non-finite value after a few dozen steps.
    await page.getByTestId('vision-model-mlp').check({ force: true });
    await page.getByTestId('vision-optimizer-sgd').check({ force: true });
    await fillVisionSettings(page, { learningRate: '10', momentum: '0.99', batchSize: '16', steps: '200', evalEvery: '10', evalExamples: '64' });
    await expectEnabled(page.getByTestId('run-button'), true);
    await page.getByTestId('run-button').click();

    await waitForRunsDone(page);
    const result = await summary(page);
    expect(finishReason(result), diagnostics()).toBe('error');
    expect(result.errors).toHaveLength(1);
    const failedStep = Number(/^Training diverged at step (\d+): the batch loss is/.exec(result.errors[0])?.[1]);
    expect(failedStep, result.errors[0]).toBeGreaterThan(1);
    expect(result.errors[0]).toContain(`Results up to step ${failedStep - 1} are kept. Lower the learning rate (now 10) and run again.`);
    expect(await page.getByTestId('error-message').textContent()).toBe(result.errors[0]);

    // Every step before the failing one is recorded. The comparison keeps losses up to
    // METRIC_RANGES.loss (1e15), so the charts draw the steps before the loss passed that bound.
    expect(result.steps).toBe(failedStep - 1);
    const run = result.comparison.runs[0];
    expect(run.results?.summary).toMatchObject({ status: 'error', stepsDone: failedStep - 1 });
    const recorded = run.results?.series.trainLoss;
    expect(recorded?.steps.length).toBeGreaterThan(1);
    expect(recorded?.steps).toEqual(Array.from({ length: recorded?.steps.length ?? 0 }, (_, index) => index + 1));
    expect(Math.max(...(recorded?.values ?? []))).toBeLessThanOrEqual(METRIC_RANGES.loss[1]);
    expect(await page.getByTestId('loss-chart').getAttribute('data-points')).toBe(String(recorded?.steps.length));
    const evalSteps = result.accuracy.map((point) => point.step);
    expect(evalSteps[0]).toBe(0);
    expect(evalSteps.every((step) => step % 10 === 0 && step < failedStep)).toBe(true);
    expect(await page.getByTestId('accuracy-chart').getAttribute('data-points')).toBe(String(evalSteps.length));
    expect(await page.getByTestId('status').getAttribute('data-finish-reason')).toBe('error');
    await expectEnabled(page.getByTestId('run-button'), true);
    await page.close();
  });

  it('reports an IDX count mismatch', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const diagnostics = collectDiagnostics(page);
    await openVisionForm(page, diagnostics);

    await page.getByTestId('vision-dataset-upload').check();
    await expectEnabled(page.getByTestId('run-button'), false);
    await page.getByTestId('vision-dataset-input').setInputFiles(MISMATCHED_IDX);

    // The files are parsed when picked, so the problem shows under the picker before Run.
    const datasetError = page.getByTestId('vision-field-error-dataset');
    await expect.poll(() => datasetError.textContent(), { timeout: 10_000 }).toContain(MISMATCH_MESSAGE);
    expect(await datasetError.textContent(), diagnostics()).toContain('Pick the labels file that came with these images.');
    await expectEnabled(page.getByTestId('run-button'), false);
    expect(await page.getByTestId('run-button').getAttribute('title')).toBe('Fix the problem in the form first.');
    expect(await page.getByTestId('vision-layers').count()).toBe(0);
    await page.screenshot({ path: path.join(artifactsDir, 'vision-idx-mismatch.png'), fullPage: true });
    const result = await summary(page);
    expect(result.phase).toBe('idle');
    expect(result.errors).toEqual([]);
    expect(await page.getByTestId('error-banner').count()).toBe(0);

    // A matching gzip pair of 8×8 images in 3 classes clears the problem, and the network follows its shape.
    const labels = Array.from({ length: 12 }, (_, index) => index % 3);
    await page.getByTestId('vision-dataset-input').setInputFiles([
      { name: 'small-images-idx3-ubyte.gz', mimeType: 'application/gzip', buffer: Buffer.from(gzip(idxImages(12, 8, 8, rampPixels(12, 8, 8)))) },
      { name: 'small-labels-idx1-ubyte.gz', mimeType: 'application/gzip', buffer: Buffer.from(gzip(idxLabels(12, labels))) },
    ]);
    await expect.poll(() => datasetError.count(), { timeout: 10_000 }).toBe(0);
    expect(await page.getByTestId('vision-dataset-summary').textContent()).toBe('IDX: 9 training and 3 held-out images, 8×8 grayscale, 3 classes (labels 0–2)');
    // CNN on 8×8: conv1 160, conv2 2320, fc 3·(16·2·2) + 3 = 195.
    expect(await page.getByTestId('vision-parameter-count').getAttribute('data-count')).toBe(String(160 + 2320 + 195));
    await expectEnabled(page.getByTestId('run-button'), true);

    // A field error names its config path, and the language-model form keeps its values.
    await page.getByTestId('vision-field-maxOrder').fill('1');
    expect(await page.getByTestId('vision-field-error-maxOrder').textContent()).toContain('optimizer.maxOrder must be >= 2 (got 1)');
    await expectEnabled(page.getByTestId('run-button'), false);
    await page.getByTestId('vision-field-maxOrder').fill('1200');

    // T2 shorter than T1 is allowed, with a note that explains the cost.
    const periodNote = page.getByTestId('shampoo-period-note');
    expect(await periodNote.count()).toBe(0);
    await page.getByTestId('vision-field-rootPeriod').fill('5');
    expect(await periodNote.textContent()).toContain('T2 is shorter than T1');
    await expectEnabled(page.getByTestId('run-button'), true);
    await page.getByTestId('vision-field-rootPeriod').fill('50');
    expect(await periodNote.count()).toBe(0);
    await page.getByTestId('task-language-model').check({ force: true });
    expect(await page.getByTestId('field-steps').inputValue()).toBe(String(DEFAULT_CONFIG.steps));
    await expectEnabled(page.getByTestId('run-button'), true);
    await page.close();
  });
});
