/**
 * The in-memory store of trained weights: one file per run, kept apart per task, and dropped
 * whenever the comparison clears or replaces the results those weights belong to.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, EMBEDDED_DATASET_ID, EMBEDDED_MODEL_ID } from '../../app/run/config';
import type { Task } from '../../app/run/types';
import {
  addProposedRun,
  adoptSharedComparison,
  applyPendingChange,
  beginRunRecording,
  finishRunRecording,
  markReady,
  openSharedComparison,
  proposeFormTarget,
  queueRuns,
  recordRunEvents,
  removeRunById,
  renameRunById,
  resetComparisonStore,
  switchTask,
  takeNextQueued,
  useComparisonStore,
} from '../../app/store/comparison';
import { forgetRunWeights, runWeights, storeRunWeights, useWeightsStore, type RunWeights } from '../../app/store/weights';
import { languageModelComparison, syntheticEvents } from './share-fixtures';

function weightsFile(step: number, fileName = `model-step${step}.safetensors`): RunWeights {
  return { step, fileName, safetensors: new Uint8Array([step, 1, 2, 3]) };
}

function weightsOf(task: Task, runId: string): RunWeights | undefined {
  return runWeights(useWeightsStore.getState(), task, runId);
}

/** Runs `runId` of the language-model comparison through the store, and stores weights as the worker's event would. */
function recordRunWithWeights(runId: string, step: number): void {
  queueRuns([runId]);
  expect(takeNextQueued()).toBe(runId);
  beginRunRecording(runId);
  const run = useComparisonStore.getState().local['language-model'].comparison.runs.find((candidate) => candidate.id === runId)!;
  recordRunEvents(runId, syntheticEvents(run.config));
  storeRunWeights('language-model', runId, weightsFile(step));
  finishRunRecording(runId);
  expect(takeNextQueued()).toBeNull();
}

beforeEach(() => {
  resetComparisonStore();
  markReady();
  useWeightsStore.setState({ byRun: {} });
});

describe('run weights store', () => {
  it('keeps the latest weights per run and task', () => {
    storeRunWeights('language-model', 'subzero', weightsFile(2));
    storeRunWeights('language-model', 'subzero', weightsFile(4));
    storeRunWeights('vision', 'subzero', weightsFile(6));
    expect(weightsOf('language-model', 'subzero')?.step).toBe(4);
    expect(weightsOf('vision', 'subzero')?.step).toBe(6);
    expect(weightsOf('language-model', 'mezo')).toBeUndefined();
  });

  it('forgets named runs or a whole task', () => {
    storeRunWeights('language-model', 'subzero', weightsFile(1));
    storeRunWeights('language-model', 'mezo', weightsFile(2));
    storeRunWeights('vision', 'sgd', weightsFile(3));
    forgetRunWeights('language-model', ['mezo']);
    expect(Object.keys(useWeightsStore.getState().byRun).sort()).toEqual(['language-model/subzero', 'vision/sgd']);
    forgetRunWeights('language-model');
    expect(Object.keys(useWeightsStore.getState().byRun)).toEqual(['vision/sgd']);
  });
});

describe('run weights and the comparison', () => {
  it('drops weights when a run restarts', () => {
    recordRunWithWeights('subzero', 3);
    expect(weightsOf('language-model', 'subzero')?.step).toBe(3);
    queueRuns(['subzero']);
    takeNextQueued();
    beginRunRecording('subzero');
    expect(weightsOf('language-model', 'subzero')).toBeUndefined();
  });

  it('keeps weights across rename and task switch', () => {
    recordRunWithWeights('subzero', 3);
    renameRunById('subzero', 'Baseline');
    switchTask('vision');
    switchTask('language-model');
    expect(weightsOf('language-model', 'subzero')?.step).toBe(3);
  });

  it('drops weights of a removed run', () => {
    const added = addProposedRun();
    recordRunWithWeights('subzero', 3);
    recordRunWithWeights(added, 5);
    removeRunById('subzero');
    expect(weightsOf('language-model', 'subzero')).toBeUndefined();
    expect(weightsOf('language-model', added)?.step).toBe(5);
  });

  it('drops weights when applied edits clear results', () => {
    const added = addProposedRun();
    recordRunWithWeights('subzero', 3);
    recordRunWithWeights(added, 5);
    useComparisonStore.setState((state) => ({ local: { ...state.local, 'language-model': { ...state.local['language-model'], selectedRunId: 'subzero' } } }));

    // A per-run edit clears only that run's results and weights.
    const subzero = useComparisonStore.getState().local['language-model'].comparison.runs[0];
    const shared = { model: { kind: 'embedded' as const, id: EMBEDDED_MODEL_ID }, dataset: { kind: 'embedded' as const, id: EMBEDDED_DATASET_ID }, seed: DEFAULT_CONFIG.seed };
    proposeFormTarget({ config: { ...subzero.config, steps: 7 }, shared });
    expect(useComparisonStore.getState().pendingChange?.clearsResultsOf).toEqual(['subzero']);
    expect(weightsOf('language-model', 'subzero')?.step).toBe(3);
    applyPendingChange();
    expect(weightsOf('language-model', 'subzero')).toBeUndefined();
    expect(weightsOf('language-model', added)?.step).toBe(5);

    // A change of the seed clears every run.
    proposeFormTarget({ config: { ...subzero.config, steps: 7, seed: 9 }, shared: { ...shared, seed: 9 } });
    expect(useComparisonStore.getState().pendingChange?.sharedChanged).toBe(true);
    applyPendingChange();
    expect(useWeightsStore.getState().byRun).toEqual({});
  });

  it('drops weights when a link replaces the comparison', () => {
    recordRunWithWeights('subzero', 3);
    storeRunWeights('vision', 'shampoo4', weightsFile(6));
    openSharedComparison(languageModelComparison());
    expect(weightsOf('language-model', 'subzero')?.step).toBe(3);
    adoptSharedComparison({ clearResults: false });
    expect(weightsOf('language-model', 'subzero')).toBeUndefined();
    expect(weightsOf('vision', 'shampoo4')?.step).toBe(6);
  });
});
