import { describe, expect, it } from 'vitest';
import { emptyMemoryBytes, type MemoryBytes } from '../../kernels/gpu/pool';
import { applyRunEvents, beginRun, optimizerStateBytes, useRunStore } from '../../app/store/run';
import { exposePlaygroundSummary, type PlaygroundSummary } from '../../app/store/summary';
import type { RunEvent } from '../../app/run/types';

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

describe('run store', () => {
  it('records vision events', () => {
    beginRun(2, 'vision');
    applyRunEvents(VISION_EVENTS);
    const state = useRunStore.getState();
    expect(state.task).toBe('vision');
    expect(state.sizeUnit).toBe('images');
    expect(state.loss.map((point) => point.loss)).toEqual([2.3, 2.1]);
    expect(state.loss.every((point) => point.projectedGrad === 0)).toBe(true);
    expect(state.evals.map((point) => point.accuracy)).toEqual([0.09375, 0.40625]);
    expect(state.memory).toHaveLength(3);
    expect(state.phase).toBe('finished');
  });

  it('leaves accuracy out of language-model evals', () => {
    beginRun(1, 'language-model');
    applyRunEvents([{ type: 'eval', step: 0, evalLoss: 1.98, elapsedMs: 0 }]);
    expect(useRunStore.getState().evals[0]).not.toHaveProperty('accuracy');
  });

  it('sums the optimizer-state categories', () => {
    expect(optimizerStateBytes(memory({ weights: 7, 'optimizer-state': 100, preconditioner: 20, 'quantization-scales': 3, staging: 50 }))).toBe(123);
  });
});

describe('playground summary', () => {
  it('exposes vision numbers', () => {
    beginRun(2, 'vision');
    applyRunEvents(VISION_EVENTS);
    const summary = readSummary();
    expect(summary.task).toBe('vision');
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
  });

  it('has no memory before a run starts', () => {
    beginRun(3, 'language-model');
    const summary = readSummary();
    expect(summary.memoryBytes).toBeNull();
    expect(summary.optimizerStateBytes).toBeNull();
    expect(summary.accuracy).toEqual([]);
    expect(summary.phase).toBe('starting');
  });
});
