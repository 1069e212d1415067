/**
 * The comparison store's actions: building the list of runs, form edits applied or held back,
 * recording runs from their events, restoring saved comparisons, links, and the autosave.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG, DEFAULT_SHAMPOO4, DEFAULT_VISION_CONFIG, EMBEDDED_DATASET_ID } from '../../app/run/config';
import type { LanguageModelRunConfig, RunConfig, ShampooConfig, VisionRunConfig } from '../../app/run/types';
import { resultsFromEvents, type Comparison, type FileReference } from '../../app/share';
import { EDIT_DELAY_MS, RUN_SAVE_INTERVAL_MS, startAutosave, useStorageStore } from '../../app/store/autosave';
import {
  addPendingAsNewRun,
  addProposedRun,
  adoptSharedComparison,
  applyPendingChange,
  beginRunRecording,
  closeSharedComparison,
  discardPendingChange,
  displayedComparison,
  duplicateRunById,
  finishRunRecording,
  markReady,
  openSharedComparison,
  proposeFormTarget,
  queueRuns,
  recordRunEvents,
  removeRunById,
  renameRunById,
  resetComparisonStore,
  restoreSaved,
  runsToRun,
  selectRun,
  switchTask,
  takeNextQueued,
  useComparisonStore,
  type FormTarget,
} from '../../app/store/comparison';
import { canonicalConfig, configChanges } from '../../app/store/comparison-edit';
import { memoryStorage, RECORD_VERSION } from '../../app/store/persistence';
import { languageModelComparison, syntheticEvents, visionComparison } from './share-fixtures';

function local(task: 'language-model' | 'vision' = 'language-model'): Comparison {
  return useComparisonStore.getState().local[task].comparison;
}

function selected(): string {
  const state = useComparisonStore.getState();
  return state.local[state.task].selectedRunId;
}

/** The form target of `config` with the comparison's embedded model and dataset. */
function target(config: RunConfig): FormTarget {
  const model = config.model.kind === 'builtin' ? { kind: 'builtin' as const, architecture: config.model.architecture } : { kind: 'embedded' as const, id: (config.model as { id: string }).id };
  return { config, shared: { model, dataset: { kind: 'embedded', id: (config.dataset as { id: string }).id }, seed: config.seed } };
}

/** Runs `runId` through the store from queue to finish with synthetic events. */
function recordRun(runId: string, variant = 0): void {
  queueRuns([runId]);
  expect(takeNextQueued()).toBe(runId);
  beginRunRecording(runId);
  const run = local().runs.find((candidate) => candidate.id === runId)!;
  recordRunEvents(runId, syntheticEvents(run.config, variant));
  finishRunRecording(runId);
  expect(takeNextQueued()).toBeNull();
}

beforeEach(() => {
  resetComparisonStore();
  markReady();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('comparison defaults', () => {
  it('starts each task with one default run', () => {
    expect(local().runs.map((run) => [run.id, run.label])).toEqual([['subzero', 'SubZero']]);
    expect(local().runs[0].config).toEqual(DEFAULT_CONFIG);
    expect(local('vision').runs.map((run) => [run.id, run.label])).toEqual([['shampoo4', '4-bit Shampoo']]);
    expect(local('vision').runs[0].config).toEqual(DEFAULT_VISION_CONFIG);
  });

  it('refuses to run before restore', () => {
    resetComparisonStore();
    expect(() => queueRuns(['subzero'])).toThrow('before the saved comparisons are restored');
    expect(() => addProposedRun()).toThrow('before the saved comparisons are restored');
  });
});

describe('run list', () => {
  it('adds MeZO with the selected run settings', () => {
    const small: LanguageModelRunConfig = { ...DEFAULT_CONFIG, batchSize: 2, sequenceLength: 32, steps: 3, optimizer: { ...DEFAULT_CONFIG.optimizer, learningRate: 1e-3 } };
    proposeFormTarget(target(small));
    const runId = addProposedRun();
    expect(runId).toBe('mezo');
    expect(selected()).toBe('mezo');
    const added = local().runs[1];
    expect(added.label).toBe('MeZO');
    expect(added.config).toMatchObject({ batchSize: 2, sequenceLength: 32, steps: 3 });
    expect(added.config.optimizer).toEqual({ name: 'mezo', learningRate: 1e-3, perturbationScale: 1e-3, weightDecay: 0, freezeEmbeddings: true });
    expect(added.colour).not.toBe(local().runs[0].colour);
  });

  it('adds 32-bit Shampoo with the same Shampoo settings', () => {
    switchTask('vision');
    const shampoo4: ShampooConfig = { ...DEFAULT_SHAMPOO4, factorPeriod: 2, rootPeriod: 4, maxOrder: 64, codebook: 'dynamic-tree' };
    proposeFormTarget(target({ ...DEFAULT_VISION_CONFIG, steps: 6, optimizer: shampoo4 }));
    addProposedRun();
    const [first, second] = local('vision').runs;
    expect(first.config.optimizer).toEqual(shampoo4);
    expect(second.label).toBe('32-bit Shampoo');
    expect(second.config.steps).toBe(6);
    const { name: _name, bits: _bits, codebook: _codebook, rectify: _rectify, quantize: _quantize, ...shared } = shampoo4;
    expect(second.config.optimizer).toEqual({ ...shared, name: 'shampoo32' });
  });

  it('proposes the next unused optimizer', () => {
    switchTask('vision');
    expect([addProposedRun(), addProposedRun(), addProposedRun()]).toEqual(['shampoo32', 'adamw', 'sgd']);
    expect(addProposedRun()).toBe('sgd-2');
    expect(local('vision').runs.at(-1)?.label).toBe('SGD (2)');
  });

  it('duplicates a run after it and selects the copy', () => {
    addProposedRun();
    const copy = duplicateRunById('subzero');
    expect(local().runs.map((run) => run.id)).toEqual(['subzero', copy, 'mezo']);
    expect(local().runs[1].label).toBe('SubZero (2)');
    expect(local().runs[1].config).toEqual(local().runs[0].config);
    expect(selected()).toBe(copy);
  });

  it('duplicates settings but not results', () => {
    recordRun('subzero');
    const copy = duplicateRunById('subzero');
    expect(local().runs.find((run) => run.id === copy)?.results).toBeUndefined();
    expect(local().runs[0].results?.summary.status).toBe('completed');
  });

  it('removes a run and moves the selection', () => {
    addProposedRun();
    selectRun('mezo');
    removeRunById('mezo');
    expect(local().runs.map((run) => run.id)).toEqual(['subzero']);
    expect(selected()).toBe('subzero');
  });

  it('keeps the last run', () => {
    expect(() => removeRunById('subzero')).toThrow('its last run cannot be removed');
  });

  it('renames a run', () => {
    renameRunById('subzero', 'SubZero, rank 8');
    expect(local().runs[0].label).toBe('SubZero, rank 8');
    expect(() => renameRunById('subzero', '')).toThrow('runs.0.label');
  });

  it('bumps the revision on each change', () => {
    const before = useComparisonStore.getState().revisions['language-model'];
    addProposedRun();
    renameRunById('mezo', 'MeZO frozen');
    expect(useComparisonStore.getState().revisions['language-model']).toBe(before + 2);
    expect(useComparisonStore.getState().revisions.vision).toBe(0);
  });
});

describe('form edits', () => {
  it('applies an edit of a run without results', () => {
    proposeFormTarget(target({ ...DEFAULT_CONFIG, steps: 7 }));
    expect(useComparisonStore.getState().pendingChange).toBeNull();
    expect(local().runs[0].config.steps).toBe(7);
  });

  it('ignores a form that matches the run', () => {
    const revision = useComparisonStore.getState().revisions['language-model'];
    proposeFormTarget(target(DEFAULT_CONFIG));
    proposeFormTarget(null);
    expect(useComparisonStore.getState().revisions['language-model']).toBe(revision);
  });

  it('relabels a run whose optimizer changes', () => {
    proposeFormTarget(target({ ...DEFAULT_CONFIG, optimizer: { name: 'mezo', learningRate: 3e-4, perturbationScale: 1e-3, weightDecay: 0 } }));
    expect(local().runs[0].id).toBe('mezo');
    expect(local().runs[0].label).toBe('MeZO');
    expect(selected()).toBe('mezo');
  });

  it('keeps a label the person chose', () => {
    renameRunById('subzero', 'baseline');
    proposeFormTarget(target({ ...DEFAULT_CONFIG, optimizer: { name: 'mezo', learningRate: 3e-4, perturbationScale: 1e-3, weightDecay: 0 } }));
    expect(local().runs[0].id).toBe('subzero');
    expect(local().runs[0].label).toBe('baseline');
  });

  it('holds back an edit that would clear results', () => {
    recordRun('subzero');
    proposeFormTarget(target({ ...DEFAULT_CONFIG, steps: 7 }));
    const change = useComparisonStore.getState().pendingChange;
    expect(change).toMatchObject({ runId: 'subzero', sharedChanged: false, clearsResultsOf: ['subzero'] });
    expect(change?.changes).toEqual([{ path: 'steps', from: '300', to: '7' }]);
    expect(local().runs[0].config.steps).toBe(DEFAULT_CONFIG.steps);
    expect(local().runs[0].results?.summary.status).toBe('completed');
    expect(() => queueRuns(['subzero'])).not.toThrow();
  });

  it('applies held edits and clears results', () => {
    recordRun('subzero');
    proposeFormTarget(target({ ...DEFAULT_CONFIG, steps: 7 }));
    applyPendingChange();
    expect(useComparisonStore.getState().pendingChange).toBeNull();
    expect(local().runs[0].config.steps).toBe(7);
    expect(local().runs[0].results).toBeUndefined();
  });

  it('adds held edits as a new run', () => {
    recordRun('subzero');
    proposeFormTarget(target({ ...DEFAULT_CONFIG, steps: 7 }));
    const runId = addPendingAsNewRun();
    expect(local().runs.map((run) => [run.id, run.config.steps, run.results?.summary.status])).toEqual([
      ['subzero', 300, 'completed'],
      [runId, 7, undefined],
    ]);
    expect(local().runs[1].label).toBe('SubZero (2)');
    expect(selected()).toBe(runId);
  });

  it('reverts held edits', () => {
    recordRun('subzero');
    proposeFormTarget(target({ ...DEFAULT_CONFIG, steps: 7 }));
    const loads = useComparisonStore.getState().formLoads;
    discardPendingChange();
    expect(useComparisonStore.getState().pendingChange).toBeNull();
    expect(useComparisonStore.getState().formLoads).toBe(loads + 1);
    expect(local().runs[0].config.steps).toBe(DEFAULT_CONFIG.steps);
  });

  it('applies a seed change to every run', () => {
    addProposedRun();
    recordRun('mezo');
    selectRun('subzero');
    proposeFormTarget(target({ ...DEFAULT_CONFIG, seed: 9 }));
    const change = useComparisonStore.getState().pendingChange;
    expect(change).toMatchObject({ sharedChanged: true, clearsResultsOf: ['mezo'] });
    expect(() => addPendingAsNewRun()).toThrow('applies to every run');
    applyPendingChange();
    expect(local().seed).toBe(9);
    expect(local().runs.map((run) => [run.config.seed, run.results])).toEqual([
      [9, undefined],
      [9, undefined],
    ]);
  });

  it('keeps results for the same upload under another name', () => {
    const files: FileReference[] = [{ name: 'speeches.txt', size: 120, sha256: 'c'.repeat(64) }];
    const upload = { ...DEFAULT_CONFIG, dataset: { kind: 'upload' as const, name: 'speeches.txt', size: 120 } };
    proposeFormTarget({ config: upload, shared: { model: { kind: 'embedded', id: DEFAULT_CONFIG.model.kind === 'embedded' ? DEFAULT_CONFIG.model.id : '' }, dataset: { kind: 'upload', name: 'speeches.txt', size: 120, files }, seed: 1 } });
    expect(local().dataset).toEqual({ kind: 'upload', name: 'speeches.txt', size: 120, files });
    recordRun('subzero');

    const renamed = { ...upload, dataset: { kind: 'upload' as const, name: 'copy.txt', size: 120 } };
    proposeFormTarget({ config: renamed, shared: { model: { kind: 'embedded', id: 'gpt2-moby' }, dataset: { kind: 'upload', name: 'copy.txt', size: 120, files: [{ ...files[0], name: 'copy.txt' }] }, seed: 1 } });
    expect(useComparisonStore.getState().pendingChange).toBeNull();
    expect(local().runs[0].results?.summary.status).toBe('completed');

    const other = [{ name: 'speeches.txt', size: 120, sha256: 'd'.repeat(64) }];
    proposeFormTarget({ config: upload, shared: { model: { kind: 'embedded', id: 'gpt2-moby' }, dataset: { kind: 'upload', name: 'speeches.txt', size: 120, files: other }, seed: 1 } });
    expect(useComparisonStore.getState().pendingChange).toMatchObject({ sharedChanged: true, clearsResultsOf: ['subzero'] });
  });

  it('ignores edits while a link is open', () => {
    openSharedComparison(languageModelComparison());
    proposeFormTarget(target({ ...DEFAULT_CONFIG, steps: 7 }));
    expect(local().runs[0].config.steps).toBe(DEFAULT_CONFIG.steps);
  });
});

describe('config comparison', () => {
  it('fills the 4-bit defaults', () => {
    const { codebook: _codebook, rectify: _rectify, quantize: _quantize, ...bare } = DEFAULT_SHAMPOO4;
    const config: VisionRunConfig = { ...DEFAULT_VISION_CONFIG, optimizer: bare };
    expect(canonicalConfig(config)).toEqual(DEFAULT_VISION_CONFIG);
    expect(configChanges(config, DEFAULT_VISION_CONFIG)).toEqual([]);
  });

  it('drops freezeEmbeddings false', () => {
    const config = { ...DEFAULT_CONFIG, optimizer: { ...DEFAULT_CONFIG.optimizer, freezeEmbeddings: false } };
    expect(canonicalConfig(config).optimizer).not.toHaveProperty('freezeEmbeddings');
  });

  it('lists changed and removed fields', () => {
    const mezo: LanguageModelRunConfig = { ...DEFAULT_CONFIG, optimizer: { name: 'mezo', learningRate: 1e-3, perturbationScale: 1e-3, weightDecay: 0, freezeEmbeddings: true } };
    expect(configChanges(DEFAULT_CONFIG, mezo)).toEqual([
      { path: 'optimizer.name', from: '"subzero"', to: '"mezo"' },
      { path: 'optimizer.learningRate', from: '0.0003', to: '0.001' },
      { path: 'optimizer.rank', from: '8', to: undefined },
      { path: 'optimizer.subspacePeriod', from: '1000', to: undefined },
    ]);
  });
});

describe('run recording', () => {
  it('records events as resultsFromEvents does', () => {
    recordRun('subzero');
    const run = local().runs[0];
    expect(run.results).toEqual(resultsFromEvents('language-model', syntheticEvents(run.config)));
    expect(useComparisonStore.getState().activeRunId).toBeNull();
    expect(useComparisonStore.getState().lastRunId).toBe('subzero');
  });

  it('leaves earlier states unchanged', () => {
    queueRuns(['subzero']);
    takeNextQueued();
    beginRunRecording('subzero');
    const events = syntheticEvents(local().runs[0].config);
    recordRunEvents('subzero', events.slice(0, 3));
    const before = local();
    const beforeSteps = before.runs[0].results?.series.trainLoss.steps.slice();
    recordRunEvents('subzero', events.slice(3));
    expect(before.runs[0].results?.series.trainLoss.steps).toEqual(beforeSteps);
    expect(local().runs[0].results?.series.trainLoss.steps.length).toBeGreaterThan(beforeSteps?.length ?? 0);
  });

  it('marks the active run and the queue', () => {
    addProposedRun();
    queueRuns(['subzero', 'mezo']);
    expect(useComparisonStore.getState().queue).toEqual(['subzero', 'mezo']);
    expect(takeNextQueued()).toBe('subzero');
    beginRunRecording('subzero');
    expect(useComparisonStore.getState().activeRunId).toBe('subzero');
    expect(local().runs[0].results?.summary.status).toBe('running');
    queueRuns(['subzero', 'mezo']);
    expect(useComparisonStore.getState().queue).toEqual(['mezo']);
    expect(() => addProposedRun()).toThrow('while runs execute');
    expect(() => switchTask('vision')).toThrow('while runs execute');
  });

  it('records a lost device as interrupted', () => {
    queueRuns(['subzero']);
    takeNextQueued();
    beginRunRecording('subzero');
    const events = syntheticEvents(local().runs[0].config).slice(0, 5);
    recordRunEvents('subzero', [
      ...events,
      { type: 'error', message: 'The GPU device was lost (unknown: test).' },
      { type: 'finished', reason: 'error', step: 2, elapsedMs: 7 },
    ]);
    finishRunRecording('subzero', { deviceLost: true });
    const summary = local().runs[0].results?.summary;
    expect(summary?.status).toBe('interrupted');
    expect(summary?.message).toBe('The GPU device was lost (unknown: test).');
    expect(local().runs[0].results?.series.trainLoss.steps.length).toBeGreaterThan(0);
  });

  it('records a page error as an error', () => {
    queueRuns(['subzero']);
    takeNextQueued();
    beginRunRecording('subzero');
    finishRunRecording('subzero', { pageError: 'Reading the picked files failed: gone' });
    expect(local().runs[0].results?.summary).toMatchObject({ status: 'error', message: 'Reading the picked files failed: gone' });
  });

  it('runs what has not completed', () => {
    addProposedRun();
    expect(runsToRun(local())).toEqual(['subzero', 'mezo']);
    recordRun('subzero');
    expect(runsToRun(local())).toEqual(['mezo']);
    recordRun('mezo', 1);
    expect(runsToRun(local())).toEqual(['subzero', 'mezo']);
  });
});

describe('restore', () => {
  it('marks running runs interrupted', () => {
    const comparison = languageModelComparison();
    comparison.runs[1].results!.summary.status = 'running';
    resetComparisonStore();
    restoreSaved([{ ok: true, record: { id: 'language-model', recordVersion: RECORD_VERSION, comparison, selectedRunId: comparison.runs[1].id, savedAt: 5, activatedAt: 4 } }]);
    const state = useComparisonStore.getState();
    expect(state.ready).toBe(true);
    expect(local().runs.map((run) => run.results?.summary.status)).toEqual(['completed', 'interrupted']);
    expect(local().runs[1].results?.series).toEqual(comparison.runs[1].results?.series);
    expect(selected()).toBe(comparison.runs[1].id);
  });

  it('opens the task used last', () => {
    const lm = languageModelComparison();
    const vision = visionComparison();
    resetComparisonStore();
    restoreSaved([
      { ok: true, record: { id: 'language-model', recordVersion: RECORD_VERSION, comparison: lm, selectedRunId: lm.runs[0].id, savedAt: 5, activatedAt: 4 } },
      { ok: true, record: { id: 'vision', recordVersion: RECORD_VERSION, comparison: vision, selectedRunId: vision.runs[0].id, savedAt: 9, activatedAt: 8 } },
    ]);
    expect(useComparisonStore.getState().task).toBe('vision');
    expect(displayedComparison(useComparisonStore.getState())).toEqual(vision);
  });

  it('reports records it cannot restore', () => {
    resetComparisonStore();
    restoreSaved([{ ok: false, id: 'vision', error: 'The saved vision comparison has record version 7.' }]);
    const notices = useComparisonStore.getState().notices;
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ kind: 'restore' });
    expect(notices[0].message).toContain('record version 7');
    expect(local('vision').runs[0].config).toEqual(DEFAULT_VISION_CONFIG);
  });
});

describe('shared comparison', () => {
  it('shows a link without touching the saved one', () => {
    const shared = visionComparison();
    const revisions = useComparisonStore.getState().revisions;
    openSharedComparison(shared);
    const state = useComparisonStore.getState();
    expect(state.task).toBe('vision');
    expect(displayedComparison(state)).toBe(shared);
    expect(state.revisions).toEqual(revisions);
    expect(() => queueRuns(['shampoo4'])).toThrow('Keep the shared comparison');
    expect(() => addProposedRun()).toThrow('in a shared comparison');
  });

  it('closes back to the saved comparison', () => {
    openSharedComparison(visionComparison());
    closeSharedComparison();
    const state = useComparisonStore.getState();
    expect(state.shared).toBeNull();
    expect(displayedComparison(state)).toEqual(local('vision'));
  });

  it('keeps a link with its results', () => {
    const shared = languageModelComparison();
    openSharedComparison(shared);
    adoptSharedComparison({ clearResults: false });
    expect(local()).toEqual(shared);
    expect(useComparisonStore.getState().shared).toBeNull();
  });

  it('runs a link again without its results', () => {
    const shared = languageModelComparison();
    openSharedComparison(shared);
    adoptSharedComparison({ clearResults: true });
    expect(local().runs.map((run) => run.results)).toEqual([undefined, undefined]);
    expect(local().runs.map((run) => run.config)).toEqual(shared.runs.map((run) => run.config));
  });

  it('refuses a link while runs execute', () => {
    queueRuns(['subzero']);
    expect(() => openSharedComparison(visionComparison())).toThrow('stop it before opening a shared link');
  });
});

describe('autosave', () => {
  it('saves an edit after a short delay', async () => {
    vi.useFakeTimers();
    const storage = memoryStorage();
    const autosave = startAutosave(storage, () => Date.now());
    renameRunById('subzero', 'first');
    expect(await storage.loadAll()).toEqual([]);
    await vi.advanceTimersByTimeAsync(EDIT_DELAY_MS);
    const [saved] = await storage.loadAll();
    expect(saved.ok && saved.record.comparison.runs[0].label).toBe('first');
    expect(useStorageStore.getState().status).toBe('saved');
    expect(useStorageStore.getState().savedRevisions['language-model']).toBe(useComparisonStore.getState().revisions['language-model']);
    autosave.stop();
  });

  it('saves a running run at most once per interval', async () => {
    vi.useFakeTimers();
    const storage = memoryStorage();
    const save = vi.spyOn(storage, 'save');
    const autosave = startAutosave(storage, () => Date.now());
    queueRuns(['subzero']);
    takeNextQueued();
    beginRunRecording('subzero');
    await vi.advanceTimersByTimeAsync(EDIT_DELAY_MS);
    expect(save).toHaveBeenCalledTimes(1);

    const events = syntheticEvents(local().runs[0].config);
    for (let i = 0; i < 10; i++) {
      recordRunEvents('subzero', events.slice(i, i + 1));
      await vi.advanceTimersByTimeAsync(RUN_SAVE_INTERVAL_MS / 10);
    }
    expect(save.mock.calls.length).toBeLessThanOrEqual(3);
    await autosave.flush();
    const [saved] = await storage.loadAll();
    expect(saved.ok && saved.record.comparison).toEqual(local());
    autosave.stop();
  });

  it('reports a failed save', async () => {
    vi.useFakeTimers();
    const storage = memoryStorage();
    storage.save = () => Promise.reject(new Error('QuotaExceededError: the quota has been exceeded'));
    const autosave = startAutosave(storage, () => Date.now());
    renameRunById('subzero', 'second');
    await vi.advanceTimersByTimeAsync(EDIT_DELAY_MS);
    expect(useStorageStore.getState().status).toBe('error');
    const notice = useComparisonStore.getState().notices.find((candidate) => candidate.kind === 'storage');
    expect(notice?.message).toContain('the quota has been exceeded');
    autosave.stop();
  });

  it('saves nothing of a shared comparison', async () => {
    vi.useFakeTimers();
    const storage = memoryStorage();
    const autosave = startAutosave(storage, () => Date.now());
    openSharedComparison(languageModelComparison());
    await vi.advanceTimersByTimeAsync(EDIT_DELAY_MS * 2);
    expect(await storage.loadAll()).toEqual([]);
    autosave.stop();
  });
});

describe('default dataset', () => {
  it('uses the embedded text', () => {
    expect(local().dataset).toEqual({ kind: 'embedded', id: EMBEDDED_DATASET_ID });
  });
});
