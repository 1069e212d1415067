/**
 * The run forms and the selected run kept in step: configs loaded into a form derive back
 * unchanged, and picked upload files reach the comparison as SHA-256 references.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_ADAMW, DEFAULT_CONFIG, DEFAULT_SGD, DEFAULT_SHAMPOO32, DEFAULT_SHAMPOO4, DEFAULT_VISION_CONFIG } from '../../app/run/config';
import type { LanguageModelRunConfig, VisionRunConfig } from '../../app/run/types';
import { displayedComparison, markReady, resetComparisonStore, useComparisonStore, applyPendingChange, selectRun, addProposedRun } from '../../app/store/comparison';
import { canonicalConfig } from '../../app/store/comparison-edit';
import { deriveRunForm, loadLanguageModelForm, resetLanguageModelForm, setDatasetChoice, setDatasetFile, setDraft, setHubText, setModelChoice, useConfigStore } from '../../app/store/config';
import { forgetVerifiedUploads, verifiedUploadFor } from '../../app/store/file-hashes';
import { loadSelectedRunIntoForm, startFormSync, syncFormNow } from '../../app/store/form-sync';
import { confirmDownload, forgetDownloadConfirmations, readyToRun, useDownloadRequestStore } from '../../app/store/run-again';
import { deriveVisionRunForm, loadVisionForm, resetVisionForm, useVisionConfigStore } from '../../app/store/vision-config';

const EMBEDDED_CONTEXT = { status: 'valid' as const, value: { nPositions: 128, source: 'gpt2-moby' } };

function textFile(name: string, text: string): File {
  return new File([text], name, { type: 'text/plain' });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

let stopSync: (() => void) | null = null;

beforeEach(() => {
  resetComparisonStore();
  resetLanguageModelForm();
  resetVisionForm();
  forgetVerifiedUploads();
  forgetDownloadConfirmations();
  useDownloadRequestStore.setState({ request: null });
  useConfigStore.setState({ embeddedModelContext: EMBEDDED_CONTEXT });
});

afterEach(() => {
  stopSync?.();
  stopSync = null;
});

describe('form round trip', () => {
  const languageModelConfigs: Array<[string, LanguageModelRunConfig]> = [
    ['default SubZero', DEFAULT_CONFIG],
    ['MeZO, embeddings trained', { ...DEFAULT_CONFIG, optimizer: { name: 'mezo', learningRate: 1.5e-4, perturbationScale: 2e-3, weightDecay: 0.01 }, batchSize: 2, sequenceLength: 32, steps: 3 }],
    ['SubZero rank 4', { ...DEFAULT_CONFIG, optimizer: { name: 'subzero', learningRate: 3e-4, perturbationScale: 1e-3, weightDecay: 0, rank: 4, subspacePeriod: 50, freezeEmbeddings: true }, seed: 42, samplePrompt: 'Ahoy' }],
    ['Hub model at a revision', { ...DEFAULT_CONFIG, model: { kind: 'hub', repo: 'openai-community/gpt2', revision: 'refs/pr/1' }, sequenceLength: 1024 }],
  ];
  it.each(languageModelConfigs)('%s derives back', (_name, config) => {
    loadLanguageModelForm(config);
    expect(deriveRunForm(useConfigStore.getState()).config).toEqual(canonicalConfig(config));
  });

  const visionConfigs: Array<[string, VisionRunConfig]> = [
    ['4-bit Shampoo', { ...DEFAULT_VISION_CONFIG, optimizer: { ...DEFAULT_SHAMPOO4, factorPeriod: 2, rootPeriod: 4, maxOrder: 64, codebook: 'dynamic-tree', rectify: false } }],
    ['32-bit Shampoo on AdamW', { ...DEFAULT_VISION_CONFIG, optimizer: { ...DEFAULT_SHAMPOO32, base: { ...DEFAULT_ADAMW, beta2: 0.99 } } }],
    ['SGD on the MLP', { ...DEFAULT_VISION_CONFIG, model: { kind: 'builtin', architecture: 'mlp' }, optimizer: { ...DEFAULT_SGD, momentum: 0.5 }, batchSize: 16 }],
    ['AdamW', { ...DEFAULT_VISION_CONFIG, optimizer: DEFAULT_ADAMW, evalEvery: 0 }],
  ];
  it.each(visionConfigs)('%s derives back', (_name, config) => {
    loadVisionForm(config);
    expect(deriveVisionRunForm(useVisionConfigStore.getState()).config).toEqual(canonicalConfig(config));
  });
});

describe('form sync', () => {
  beforeEach(() => {
    markReady();
    stopSync = startFormSync();
  });

  it('applies a typed value to the selected run', async () => {
    setDraft('steps', '12');
    await vi.waitFor(() => expect(displayedComparison(useComparisonStore.getState()).runs[0].config.steps).toBe(12));
  });

  it('loads the selected run into the form', async () => {
    setDraft('batchSize', '3');
    await vi.waitFor(() => expect(displayedComparison(useComparisonStore.getState()).runs[0].config.batchSize).toBe(3));
    addProposedRun();
    setDraft('batchSize', '5');
    await vi.waitFor(() => expect(displayedComparison(useComparisonStore.getState()).runs[1].config.batchSize).toBe(5));
    selectRun('subzero');
    expect(useConfigStore.getState().drafts.batchSize).toBe('3');
    expect(useConfigStore.getState().optimizerName).toBe('subzero');
    selectRun('mezo');
    expect(useConfigStore.getState().drafts.batchSize).toBe('5');
    expect(useConfigStore.getState().optimizerName).toBe('mezo');
  });

  it('references an uploaded dataset by SHA-256', async () => {
    const text = 'First address.\nSecond address.\n';
    const file = textFile('speeches.txt', text);
    setDatasetChoice('upload');
    setDatasetFile(file);
    await vi.waitFor(() => expect(displayedComparison(useComparisonStore.getState()).dataset.kind).toBe('upload'));
    const comparison = displayedComparison(useComparisonStore.getState());
    expect(comparison.dataset).toEqual({ kind: 'upload', name: 'speeches.txt', size: text.length, files: [{ name: 'speeches.txt', size: text.length, sha256: sha256(text) }] });
    expect(comparison.runs[0].config.dataset).toEqual({ kind: 'upload', name: 'speeches.txt', size: text.length });
    expect(verifiedUploadFor(comparison.dataset)).toEqual([file]);
    expect(useComparisonStore.getState().hashing).toBeNull();
  });

  it('keeps checked files across form loads', async () => {
    const file = textFile('speeches.txt', 'Some text to train on.\n');
    setDatasetChoice('upload');
    setDatasetFile(file);
    await vi.waitFor(() => expect(displayedComparison(useComparisonStore.getState()).dataset.kind).toBe('upload'));
    loadSelectedRunIntoForm(useComparisonStore.getState());
    expect(useConfigStore.getState().datasetFile).toBe(file);

    forgetVerifiedUploads();
    loadSelectedRunIntoForm(useComparisonStore.getState());
    expect(useConfigStore.getState().datasetFile).toBeNull();
    expect(useConfigStore.getState().datasetChoice).toBe('upload');
  });

  it('holds back another file when runs have results', async () => {
    setDatasetChoice('upload');
    setDatasetFile(textFile('speeches.txt', 'The first text.\n'));
    await vi.waitFor(() => expect(displayedComparison(useComparisonStore.getState()).dataset.kind).toBe('upload'));
    const comparison = displayedComparison(useComparisonStore.getState());
    useComparisonStore.setState((state) => ({
      local: {
        ...state.local,
        'language-model': {
          ...state.local['language-model'],
          comparison: { ...comparison, runs: [{ ...comparison.runs[0], results: { series: { trainLoss: { steps: [], values: [] }, evalLoss: { steps: [], values: [] }, elapsedMs: { steps: [], values: [] } }, summary: { status: 'stopped', stepsDone: 0, elapsedMs: 0, peakMemoryBytes: {} } } }] },
        },
      },
    }));

    setDatasetFile(textFile('speeches.txt', 'Another text.\n'));
    await vi.waitFor(() => expect(useComparisonStore.getState().pendingChange).not.toBeNull());
    expect(useComparisonStore.getState().pendingChange).toMatchObject({ sharedChanged: true, clearsResultsOf: ['subzero'] });
    applyPendingChange();
    const applied = displayedComparison(useComparisonStore.getState());
    expect(applied.dataset.kind === 'upload' && applied.dataset.files[0].sha256).toBe(sha256('Another text.\n'));
    expect(applied.runs[0].results).toBeUndefined();
  });

  it('applies a typed Hub model to every run', async () => {
    addProposedRun();
    setModelChoice('hub');
    setHubText('https://huggingface.co/openai-community/gpt2/tree/v1');
    await vi.waitFor(() => expect(displayedComparison(useComparisonStore.getState()).model.kind).toBe('hub'));
    const comparison = displayedComparison(useComparisonStore.getState());
    expect(comparison.model).toEqual({ kind: 'hub', repo: 'openai-community/gpt2', revision: 'v1' });
    expect(comparison.runs.map((run) => (run.config as LanguageModelRunConfig).model)).toEqual([comparison.model, comparison.model]);

    // Run and Restart ask for consent before the first download of that repository and revision.
    expect(readyToRun(comparison, ['subzero'])).toBe(false);
    expect(useDownloadRequestStore.getState().request?.download).toMatchObject({ repo: 'openai-community/gpt2', revision: 'v1' });
    confirmDownload({ repo: 'openai-community/gpt2', revision: 'v1', pageUrl: '' });
    expect(readyToRun(comparison, ['subzero'])).toBe(true);

    // Text that does not parse proposes nothing, so the comparison keeps the last valid model.
    setHubText('openai-community/');
    await syncFormNow();
    expect(displayedComparison(useComparisonStore.getState()).model).toEqual({ kind: 'hub', repo: 'openai-community/gpt2', revision: 'v1' });
  });

  it('drops a form with problems', async () => {
    setDraft('learningRate', '-1');
    await syncFormNow();
    expect(displayedComparison(useComparisonStore.getState()).runs[0].config).toEqual(DEFAULT_CONFIG);
  });
});
