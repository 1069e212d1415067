/**
 * Browser tests of the playground page in headless Chromium with SwiftShader WebGPU.
 *
 * The app is built once per file with Vite into a temporary folder and served on 127.0.0.1.
 * Set E2E_DIST_DIR to an existing build to serve that instead (for quick reruns).
 * Screenshots go to E2E_ARTIFACTS_DIR, or to a temporary folder whose path is printed.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LanguageModelRunConfig } from '../../app/run/types';
import { WEBGPU_HELP } from '../../kernels/gpu/device-browser';
import { buildApp, collectDiagnostics, launchChromium, serveStatic, type StaticServer } from './harness';
import { downloadRunWeights, expectEnabled, expectWebGpuAvailable, finishReason, pathPoints, RUN_TIMEOUT_MS, summary, tensorShapes, valueCount, waitForRunsDone } from './page';

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

/** Checks that the page shows the WebGPU help and keeps Run disabled. */
async function expectWebGpuHelp(page: Page): Promise<void> {
  const help = page.getByTestId('webgpu-help');
  await help.waitFor({ state: 'visible', timeout: 30_000 });
  expect(await help.textContent()).toContain(WEBGPU_HELP);
  await expectEnabled(page.getByTestId('run-button'), false);
  expect(await page.getByTestId('run-button').getAttribute('title')).toBe('WebGPU is not available in this browser.');
}

async function fillSettings(page: Page, values: Record<string, string>): Promise<void> {
  for (const [field, value] of Object.entries(values)) await page.getByTestId(`field-${field}`).fill(value);
}

describe('playground page', () => {
  it('trains SubZero and charts loss and memory', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const diagnostics = collectDiagnostics(page);
    await page.goto(server.url);
    await expectWebGpuAvailable(page, diagnostics);

    expect(await page.getByTestId('optimizer-subzero').isChecked()).toBe(true);
    await fillSettings(page, { batchSize: '2', sequenceLength: '32', steps: '4', evalEvery: '2', evalBatches: '1', sampleTokens: '8' });
    await expectEnabled(page.getByTestId('run-button'), true);
    await page.getByTestId('run-button').click();

    await waitForRunsDone(page);
    await page.screenshot({ path: path.join(artifactsDir, 'subzero-run.png'), fullPage: true });
    const result = await summary(page);
    expect(result.errors, `run errors${diagnostics()}`).toEqual([]);
    expect(result.lastEvent?.type).toBe('finished');
    expect(finishReason(result)).toBe('completed');
    expect(result.steps).toBe(4);
    expect(result.evals).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('step-count').textContent()).toBe('step 4 / 4');
    expect(await page.getByTestId('status').getAttribute('data-finish-reason')).toBe('completed');

    const lossChart = page.getByTestId('loss-chart');
    expect(await lossChart.getAttribute('data-points')).toBe('4');
    const trainPath = await lossChart.locator('.loss-train path.recharts-line-curve').getAttribute('d');
    expect(pathPoints(trainPath), `train loss path: ${trainPath}`).toBe(4);
    const evalPath = await lossChart.locator('.loss-eval path.recharts-line-curve').getAttribute('d');
    expect(pathPoints(evalPath), `eval loss path: ${evalPath}`).toBe(result.evals);

    // A fresh page is a comparison of one run: the embedded model fine-tuned with SubZero.
    expect(result.comparison.runs.map((run) => run.id)).toEqual(['subzero']);
    expect(result.comparison.runs[0].results?.summary.status).toBe('completed');
    const row = page.getByTestId('runs-table').locator('tr[data-run-id="subzero"]');
    expect(await row.getAttribute('data-status')).toBe('completed');
    expect(await row.getAttribute('data-steps-done')).toBe('4');

    const memoryChart = page.getByTestId('memory-chart');
    expect(await memoryChart.locator('.memory-bar-weights .recharts-bar-rectangle').count()).toBe(1);
    const weightsCell = row.locator('td[data-category="weights"]');
    expect(Number(await weightsCell.getAttribute('data-bytes'))).toBe(result.comparison.runs[0].results?.summary.peakMemoryBytes.weights);
    expect(Number(await weightsCell.getAttribute('data-bytes'))).toBeGreaterThan(0);
    expect(await weightsCell.textContent()).toMatch(/^\d+\.\d+ MiB$/);

    // A language-model run shows samples and no accuracy chart.
    expect(result.task).toBe('language-model');
    expect(await page.getByTestId('accuracy-chart').count()).toBe(0);
    expect((await page.getByTestId('sample-before').textContent())?.trim()).not.toBe('');
    expect((await page.getByTestId('sample-after').textContent())?.trim()).not.toBe('');
    expect(await page.getByTestId('run-button').isEnabled()).toBe(true);
    expect(await page.getByTestId('error-banner').count()).toBe(0);

    // The trained weights download as safetensors in the Hugging Face GPT-2 layout.
    expect(await page.getByTestId('weights-note').textContent()).toContain('kept until the page is closed');
    const weights = await downloadRunWeights(page, 'subzero');
    expect(weights.fileName).toBe('gpt2-moby-subzero-step4.safetensors');
    const shapes = tensorShapes(weights.tensors);
    expect(shapes['transformer.wte.weight']).toEqual([256, 128]);
    expect(shapes['transformer.wpe.weight']).toEqual([128, 128]);
    expect(shapes['transformer.h.3.attn.c_attn.weight']).toEqual([128, 384]);
    expect(shapes['transformer.ln_f.bias']).toEqual([128]);
    expect(Object.keys(shapes).every((name) => name.startsWith('transformer.')), Object.keys(shapes).join(', ')).toBe(true);
    expect(valueCount(weights.tensors)).toBe(result.comparison.runs[0].results?.summary.parameterCount);
    expect([...weights.tensors.values()].every((tensor) => tensor.data.every(Number.isFinite))).toBe(true);
    await page.close();
  });

  it('stops a run and starts another', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const diagnostics = collectDiagnostics(page);
    await page.goto(server.url);
    await expectWebGpuAvailable(page, diagnostics);

    await page.getByTestId('optimizer-mezo').check({ force: true });
    await fillSettings(page, { batchSize: '2', sequenceLength: '32', steps: '1000', evalEvery: '0', sampleTokens: '0' });
    await page.getByTestId('run-button').click();
    await page.waitForFunction(() => (window.__playground?.steps ?? 0) >= 1 || window.__playground?.phase === 'finished', undefined, {
      timeout: RUN_TIMEOUT_MS,
      polling: 250,
    });
    expect((await summary(page)).errors, `run errors${diagnostics()}`).toEqual([]);
    await expectEnabled(page.getByTestId('stop-button'), true);
    await page.getByTestId('stop-button').click();
    await waitForRunsDone(page, 120_000);
    const stopped = await summary(page);
    expect(finishReason(stopped)).toBe('stopped');
    expect(stopped.steps).toBeLessThan(1000);
    expect(await page.getByTestId('status').getAttribute('data-finish-reason')).toBe('stopped');
    expect(stopped.comparison.runs[0].results?.summary.status).toBe('stopped');

    // A stopped run exports its weights too, at the step it stopped after.
    const weights = await downloadRunWeights(page, 'mezo');
    expect(weights.fileName).toBe(`gpt2-moby-mezo-step${stopped.comparison.runs[0].results?.summary.stepsDone}.safetensors`);
    expect(tensorShapes(weights.tensors)['transformer.wte.weight']).toEqual([256, 128]);

    // The stopped run has results, so a new step count is held back until applied.
    await fillSettings(page, { steps: '2' });
    await page.getByTestId('pending-change').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.getByTestId('pending-change-list').textContent()).toContain('steps 1000 → 2');
    await expectEnabled(page.getByTestId('run-button'), false);
    await page.getByTestId('apply-changes').click();
    expect((await summary(page)).comparison.runs[0].results).toBeUndefined();
    // The cleared results took the weights with them.
    await expectEnabled(page.getByTestId('run-download-weights'), false);

    // The second run reuses the worker and its GPU device.
    await expectEnabled(page.getByTestId('run-button'), true);
    await page.getByTestId('run-button').click();
    await waitForRunsDone(page);
    const second = await summary(page);
    expect(second.errors, `run errors${diagnostics()}`).toEqual([]);
    expect(finishReason(second)).toBe('completed');
    expect(second.steps).toBe(2);
    await page.close();
  });

  it('reports malformed JSONL by file and line', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const diagnostics = collectDiagnostics(page);
    await page.goto(server.url);
    await expectWebGpuAvailable(page, diagnostics);

    await page.getByTestId('dataset-upload').check();
    await expectEnabled(page.getByTestId('run-button'), false);
    await fillSettings(page, { batchSize: '2', sequenceLength: '32', steps: '2', evalEvery: '0', sampleTokens: '0' });
    await page.getByTestId('dataset-file-input').setInputFiles({
      name: 'broken.jsonl',
      mimeType: 'application/jsonl',
      buffer: Buffer.from('{"text": "The first record is fine."}\n{"text": "The second record never closes its string}\n{"text": "third"}\n'),
    });
    expect(await page.getByTestId('dataset-file-name').textContent()).toContain('broken.jsonl');

    // The file is parsed when picked, so the problem shows under the picker before Run.
    const datasetError = page.getByTestId('field-error-dataset');
    await datasetError.waitFor({ state: 'visible', timeout: 10_000 });
    const errorText = (await datasetError.textContent()) ?? '';
    expect(errorText, diagnostics()).toContain('broken.jsonl');
    // The parser may write "line 2" or "broken.jsonl:2"; either names the line.
    expect(errorText).toMatch(/line 2\b|broken\.jsonl:2\b/i);
    await expectEnabled(page.getByTestId('run-button'), false);
    expect(await page.getByTestId('run-button').getAttribute('title')).toBe('Fix the problem in the form first.');
    await page.screenshot({ path: path.join(artifactsDir, 'malformed-jsonl.png'), fullPage: true });
    const result = await summary(page);
    expect(result.phase).toBe('idle');
    expect(result.errors).toEqual([]);
    expect(await page.getByTestId('error-banner').count()).toBe(0);

    // A CSV without a "text" column is rejected the same way.
    await page.getByTestId('dataset-file-input').setInputFiles({
      name: 'no-text.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('title,body\nfirst,hello\n'),
    });
    await expect.poll(() => datasetError.textContent(), { timeout: 10_000 }).toContain('no-text.csv');
    expect(await datasetError.textContent()).toContain('text');
    await expectEnabled(page.getByTestId('run-button'), false);

    // A valid file clears the problem and offers Run again.
    await page.getByTestId('dataset-file-input').setInputFiles({
      name: 'fixed.jsonl',
      mimeType: 'application/jsonl',
      buffer: Buffer.from('{"text": "The first record is fine."}\n{"text": "So is the second."}\n'),
    });
    await expect.poll(() => datasetError.count(), { timeout: 10_000 }).toBe(0);
    expect(await page.getByTestId('dataset-file-name').textContent()).toContain('2 texts');
    await expectEnabled(page.getByTestId('run-button'), true);

    // The page stays usable: the form edits, and Run is offered again.
    await page.getByTestId('dataset-embedded').check();
    await page.getByTestId('field-steps').fill('abc');
    expect(await page.getByTestId('field-error-steps').textContent()).toContain('steps must be a number (got "abc")');
    await expectEnabled(page.getByTestId('run-button'), false);
    await page.getByTestId('field-steps').fill('3');
    expect(await page.getByTestId('field-error-steps').count()).toBe(0);
    await expectEnabled(page.getByTestId('run-button'), true);
    await page.close();
  });

  it('flags sequence length beyond context', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const diagnostics = collectDiagnostics(page);
    await page.goto(server.url);
    await expectWebGpuAvailable(page, diagnostics);
    await expectEnabled(page.getByTestId('run-button'), true);
    expect(await page.getByTestId('model-context').textContent()).toContain('128 tokens');

    // The embedded gpt2-moby has n_positions 128.
    await fillSettings(page, { sequenceLength: '1000' });
    const lengthError = page.getByTestId('field-error-sequenceLength');
    expect(await lengthError.textContent(), diagnostics()).toContain("Sequence length 1000 exceeds the model's context of 128 tokens");
    expect(await page.getByTestId('field-sequenceLength').getAttribute('aria-invalid')).toBe('true');
    await expectEnabled(page.getByTestId('run-button'), false);
    await page.screenshot({ path: path.join(artifactsDir, 'sequence-too-long.png'), fullPage: true });

    await fillSettings(page, { sequenceLength: '128' });
    expect(await lengthError.count()).toBe(0);
    await expectEnabled(page.getByTestId('run-button'), true);

    // A config.json picked from disk is parsed when picked and sets the context.
    await page.getByTestId('model-files').check();
    await page.getByTestId('model-files-input').setInputFiles({
      name: 'config.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ model_type: 'gpt2', vocab_size: 256, n_positions: 64, n_embd: 128, n_layer: 2, n_head: 4 })),
    });
    await expect.poll(() => lengthError.textContent(), { timeout: 10_000 }).toContain("Sequence length 128 exceeds the model's context of 64 tokens");
    await fillSettings(page, { sequenceLength: '64' });
    expect(await lengthError.count()).toBe(0);

    // A config.json that does not parse is reported under the model picker.
    await page.getByTestId('model-files-input').setInputFiles({ name: 'config.json', mimeType: 'application/json', buffer: Buffer.from('{"model_type": "gpt2",') });
    const modelError = page.getByTestId('field-error-model');
    await expect.poll(() => modelError.textContent(), { timeout: 10_000 }).toContain('config.json: not valid JSON');
    await expectEnabled(page.getByTestId('run-button'), false);

    // Back on the embedded model, 128 fits again.
    await page.getByTestId('model-embedded').check();
    await fillSettings(page, { sequenceLength: '128' });
    expect(await lengthError.count()).toBe(0);
    await expectEnabled(page.getByTestId('run-button'), true);
    await page.close();
  });

  it('takes a Hub model and asks first', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const diagnostics = collectDiagnostics(page);
    // No test may reach the Hub: any request to it is recorded and aborted.
    const hubRequests: string[] = [];
    await page.route(/^https?:\/\/([^/]*\.)?huggingface\.co\//, (route) => {
      hubRequests.push(route.request().url());
      return route.abort();
    });
    await page.goto(server.url);
    await expectWebGpuAvailable(page, diagnostics);

    await page.getByTestId('model-hub-choice').check();
    const input = page.getByTestId('model-hub-input');
    const modelError = page.getByTestId('field-error-model');
    expect(await modelError.textContent()).toContain('type a Hugging Face repository');
    await expectEnabled(page.getByTestId('run-button'), false);

    // The field is parsed as the person types, and the parser's message shows under it.
    await input.fill('gpt2');
    await expect.poll(() => modelError.textContent()).toContain('Invalid Hugging Face repository id "gpt2": expected owner/name');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    await expectEnabled(page.getByTestId('run-button'), false);
    await input.fill('https://huggingface.co/openai-community/gpt2/tree/v1.0');
    await expect.poll(() => modelError.count()).toBe(0);
    expect(await page.getByTestId('model-hub-reference').textContent()).toContain('openai-community/gpt2 at revision v1.0');

    // The context is unknown until a run downloads config.json, so a sequence beyond the embedded
    // model's 128 tokens is accepted, with a hint.
    await fillSettings(page, { sequenceLength: '1000' });
    expect(await page.getByTestId('field-error-sequenceLength').count()).toBe(0);
    expect(await page.getByTestId('field-sequenceLength-hint').textContent()).toContain("Checked against the Hub model's context once a run downloads it.");
    expect(await page.getByTestId('model-context').textContent()).toContain('The context length is unknown until a run downloads config.json');
    await expectEnabled(page.getByTestId('run-button'), true);
    await expect.poll(async () => (await summary(page)).comparison.model).toEqual({ kind: 'hub', repo: 'openai-community/gpt2', revision: 'v1.0' });
    const runConfig = (await summary(page)).comparison.runs[0].config as LanguageModelRunConfig;
    expect(runConfig.model).toEqual({ kind: 'hub', repo: 'openai-community/gpt2', revision: 'v1.0' });
    expect(runConfig.sequenceLength).toBe(1000);

    // Run requests consent before the first download of this repository and revision, and Cancel starts nothing.
    await page.getByTestId('run-button').click();
    const request = page.getByTestId('download-request');
    await request.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await request.textContent()).toContain('openai-community/gpt2 at revision v1.0');
    await page.screenshot({ path: path.join(artifactsDir, 'hub-model-request.png'), fullPage: true });
    await page.getByTestId('download-request-cancel').click();
    expect(await request.count()).toBe(0);
    const afterCancel = await summary(page);
    expect(afterCancel.phase).toBe('idle');
    expect(afterCancel.running).toBe(false);
    expect(hubRequests).toEqual([]);

    // Back on the embedded model, 1000 exceeds its context again.
    await page.getByTestId('model-embedded').check();
    expect(await page.getByTestId('field-error-sequenceLength').textContent()).toContain("Sequence length 1000 exceeds the model's context of 128 tokens");
    expect(await page.getByTestId('field-sequenceLength-hint').count()).toBe(0);
    await page.close();
  });

  it('explains a missing adapter and disables Run', async () => {
    const plainBrowser = await launchChromium(false);
    try {
      const page = await plainBrowser.newPage();
      await page.goto(server.url);
      await expectWebGpuHelp(page);
    } finally {
      await plainBrowser.close();
    }
  });

  it('explains missing navigator.gpu and disables Run', async () => {
    const context = await browser.newContext();
    try {
      await context.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'gpu', { configurable: true, get: () => undefined });
      });
      const page = await context.newPage();
      await page.goto(server.url);
      await expectWebGpuHelp(page);
    } finally {
      await context.close();
    }
  });
});
