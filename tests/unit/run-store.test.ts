import { beforeEach, describe, expect, it } from 'vitest';
import { emptyMemoryBytes, type MemoryBytes } from '../../kernels/gpu/pool';
import type { RunEvent } from '../../app/run/types';
import { beginRunRecording, markReady, queueRuns, recordRunEvents, resetComparisonStore, setXAxis, switchTask, takeNextQueued } from '../../app/store/comparison';
import { applyRunEvents, beginBatch, beginRun, optimizerStateBytes, reportPageError, useRunStore } from '../../app/store/run';
import { exposePlaygroundSummary, type PlaygroundSummary } from '../../app/store/summary';

function memory(bytes: Partial<MemoryBytes>): MemoryBytes {
  return { ...emptyMemoryBytes(), ...bytes };
}

function readSummary(): PlaygroundSummary {
  const target = {} as Window;
  exposePlaygroundSummary(target);
  return target.__playground as PlaygroundSummary;
}

const VISION_EVENTS: RunEvent[] = [
  { type: 'started', adapter: 'test adapter', parameterCount: 10330, trainSize: 10000, evalSize: 64, sizeUnit: 'images', memoryBytes: memory({ weights: 41320 }) },
  { type: 'eval', step: 0, evalLoss: 2.31, accuracy: 0.09375, elapsedMs: 0 },
  { type: 'step', step: 1, loss: 2.3, elapsedMs: 5, memoryBytes: memory({ weights: 41320, 'optimizer-state': 41320, preconditioner: 9000, 'quantization-scales': 512 }) },
  { type: 'step', step: 2, loss: 2.1, elapsedMs: 9, memoryBytes: memory({ weights: 41320, 'optimizer-state': 41320, preconditioner: 9000, 'quantization-scales': 512 }) },
  { type: 'eval', step: 2, evalLoss: 1.9, accuracy: 0.40625, elapsedMs: 9 },
  { type: 'finished', reason: 'completed', step: 2, elapsedMs: 9 },
];

/** Starts the default vision run in both stores, as app/run/client.ts does. */
function startVisionRun(): void {
  switchTask('vision');
  queueRuns(['shampoo4']);
  takeNextQueued();
  beginRunRecording('shampoo4');
  beginBatch();
  beginRun({ task: 'vision', runId: 'shampoo4', label: '4-bit Shampoo', totalSteps: 2 });
}

beforeEach(() => {
  resetComparisonStore();
  markReady();
});

describe('run store', () => {
  it('records vision events', () => {
    startVisionRun();
    applyRunEvents(VISION_EVENTS);
    const state = useRunStore.getState();
    expect(state.task).toBe('vision');
    expect(state.runLabel).toBe('4-bit Shampoo');
    expect(state.sizeUnit).toBe('images');
    expect(state.stepEvents).toBe(2);
    expect(state.evalEvents).toBe(2);
    expect(state.latestMemory?.preconditioner).toBe(9000);
    expect(state.phase).toBe('finished');
  });

  it('labels errors with their run', () => {
    startVisionRun();
    applyRunEvents([{ type: 'error', message: 'Training diverged at step 3' }]);
    expect(useRunStore.getState().errors.map((notice) => [notice.runLabel, notice.message])).toEqual([['4-bit Shampoo', 'Training diverged at step 3']]);
    expect(useRunStore.getState().logs.at(-1)?.runLabel).toBe('4-bit Shampoo');
  });

  it('keeps the log across the runs of a batch', () => {
    beginBatch();
    beginRun({ task: 'language-model', runId: 'subzero', label: 'SubZero', totalSteps: 1 });
    applyRunEvents([{ type: 'log', level: 'info', message: 'first run' }]);
    beginRun({ task: 'language-model', runId: 'mezo', label: 'MeZO', totalSteps: 1 });
    applyRunEvents([{ type: 'log', level: 'info', message: 'second run' }]);
    expect(useRunStore.getState().logs.map((line) => `${line.runLabel}: ${line.message}`)).toEqual(['SubZero: first run', 'MeZO: second run']);
    beginBatch();
    expect(useRunStore.getState().logs).toEqual([]);
  });

  it('ends a run on a page error', () => {
    beginBatch();
    beginRun({ task: 'language-model', runId: 'subzero', label: 'SubZero', totalSteps: 4 });
    reportPageError('The run worker failed: boom.', true);
    const state = useRunStore.getState();
    expect(state.phase).toBe('finished');
    expect(state.finish?.reason).toBe('error');
    expect(state.errors[0]).toMatchObject({ message: 'The run worker failed: boom.', runLabel: 'SubZero' });
  });

  it('sums the optimizer-state categories', () => {
    expect(optimizerStateBytes(memory({ weights: 7, 'optimizer-state': 100, preconditioner: 20, 'quantization-scales': 3, staging: 50 }))).toBe(123);
  });
});

describe('playground summary', () => {
  it('exposes vision numbers', () => {
    startVisionRun();
    applyRunEvents(VISION_EVENTS);
    recordRunEvents('shampoo4', VISION_EVENTS);
    const summary = readSummary();
    expect(summary.task).toBe('vision');
    expect(summary.runId).toBe('shampoo4');
    expect(summary.steps).toBe(2);
    expect(summary.evals).toBe(2);
    expect(summary.accuracy).toEqual([
      { step: 0, accuracy: 0.09375 },
      { step: 2, accuracy: 0.40625 },
    ]);
    expect(summary.memoryBytes?.preconditioner).toBe(9000);
    expect(summary.memoryBytes?.['quantization-scales']).toBe(512);
    expect(summary.optimizerStateBytes).toBe(41320 + 9000 + 512);
    expect(Object.isFrozen(summary)).toBe(true);
    expect(Object.isFrozen(summary.comparison.runs[0])).toBe(true);
  });

  it('exposes the charted points', () => {
    startVisionRun();
    recordRunEvents('shampoo4', VISION_EVENTS);
    const steps = readSummary().charts;
    expect(steps.xAxis).toBe('step');
    expect(steps.runs[0].trainLoss).toEqual([
      { x: 1, y: 2.3, step: 1 },
      { x: 2, y: 2.1, step: 2 },
    ]);
    expect(steps.runs[0].accuracy?.map((point) => point.y)).toEqual([0.09375, 0.40625]);

    setXAxis('time');
    const time = readSummary().charts;
    expect(time.runs[0].trainLoss.map((point) => point.x)).toEqual([5, 9]);
    expect(time.runs[0].evalLoss.map((point) => point.x)).toEqual([0, 9]);
  });

  it('describes the comparison state', () => {
    const summary = readSummary();
    expect(summary.ready).toBe(true);
    expect(summary.running).toBe(false);
    expect(summary.source).toBe('local');
    expect(summary.selectedRunId).toBe('subzero');
    expect(summary.comparison.runs.map((run) => run.id)).toEqual(['subzero']);
    expect(summary.pendingChange).toBeNull();
  });

  it('has no memory before a run starts', () => {
    beginRun({ task: 'language-model', runId: 'subzero', label: 'SubZero', totalSteps: 3 });
    const summary = readSummary();
    expect(summary.memoryBytes).toBeNull();
    expect(summary.optimizerStateBytes).toBeNull();
    expect(summary.accuracy).toEqual([]);
    expect(summary.phase).toBe('starting');
  });
});
