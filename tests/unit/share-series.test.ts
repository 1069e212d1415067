import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../app/run/types';
import {
  appendPoint,
  downsampleResults,
  downsampleSeries,
  elapsedMsAtStep,
  emptyRunResults,
  emptySeries,
  recordRunEvent,
  resultsFromEvents,
  valueAtStep,
  type Series,
} from '../../app/share';
import { emptyMemoryBytes } from '../../kernels/gpu/pool';

function seriesOf(values: number[], firstStep = 1): Series {
  return { steps: values.map((_, i) => firstStep + i), values: values.slice() };
}

function pairs(series: Series): string[] {
  return series.steps.map((step, i) => `${step}:${series.values[i]}`);
}

describe('downsampleSeries', () => {
  it('copies a short series unchanged', () => {
    const series = seriesOf([3, 1, 2]);
    const result = downsampleSeries(series, 4);
    expect(result).toEqual(series);
    expect(result.steps).not.toBe(series.steps);
  });

  it('keeps first, last and extremes', () => {
    const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i / 7) + i / 1000);
    values[0] = 0.5;
    values[637] = -5;
    values[211] = 9;
    values[999] = 0.25;
    const result = downsampleSeries(seriesOf(values), 20);
    expect(result.steps.length).toBeLessThanOrEqual(20);
    expect(result.steps[0]).toBe(1);
    expect(result.values[0]).toBe(0.5);
    expect(result.steps[result.steps.length - 1]).toBe(1000);
    expect(result.values[result.values.length - 1]).toBe(0.25);
    expect(result.values).toContain(-5);
    expect(result.values).toContain(9);
    expect(result.steps[result.values.indexOf(-5)]).toBe(638);
  });

  it('keeps only original points, in order', () => {
    let seed = 3;
    const values = Array.from({ length: 777 }, () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    });
    const series = seriesOf(values, 0);
    const original = new Set(pairs(series));
    for (const maxPoints of [4, 5, 9, 64, 776]) {
      const result = downsampleSeries(series, maxPoints);
      expect(result.steps.length).toBeLessThanOrEqual(maxPoints);
      expect(result.steps.length).toBeGreaterThanOrEqual(maxPoints - 1);
      for (const pair of pairs(result)) expect(original.has(pair)).toBe(true);
      for (let i = 1; i < result.steps.length; i++) expect(result.steps[i]).toBeGreaterThan(result.steps[i - 1]);
      expect(Math.min(...result.values)).toBe(Math.min(...values));
      expect(Math.max(...result.values)).toBe(Math.max(...values));
    }
  });

  it('keeps the earliest of tied extremes', () => {
    const result = downsampleSeries(seriesOf([5, 1, 1, 1, 9, 9, 2, 2, 5, 5]), 4);
    expect(pairs(result)).toEqual(['1:5', '2:1', '5:9', '10:5']);
  });

  it('rejects fewer than four points', () => {
    expect(() => downsampleSeries(seriesOf([1, 2, 3, 4, 5]), 3)).toThrow('maxPoints must be an integer >= 4 (got 3)');
    expect(() => downsampleSeries({ steps: [1, 2], values: [1] }, 10)).toThrow('2 steps but 1 values');
  });
});

describe('series points', () => {
  it('appends only increasing steps', () => {
    const series = emptySeries();
    expect(appendPoint(series, 0, 1)).toBe(true);
    expect(appendPoint(series, 2, 3)).toBe(true);
    expect(appendPoint(series, 2, 4)).toBe(false);
    expect(appendPoint(series, 1, 4)).toBe(false);
    expect(series).toEqual({ steps: [0, 2], values: [1, 3] });
  });

  it('interpolates between kept steps', () => {
    const series = { steps: [0, 10, 20], values: [0, 100, 300] };
    expect(valueAtStep(series, 10)).toBe(100);
    expect(valueAtStep(series, 15)).toBe(200);
    expect(valueAtStep(series, 4)).toBe(40);
    expect(valueAtStep(series, 21)).toBeUndefined();
    expect(valueAtStep(emptySeries(), 0)).toBeUndefined();
  });
});

const memory = (weights: number, staging = 0) => ({ ...emptyMemoryBytes(), weights, staging });

function visionEvents(): RunEvent[] {
  return [
    { type: 'started', adapter: 'lavapipe', parameterCount: 101_770, trainSize: 10_000, evalSize: 40, sizeUnit: 'images', memoryBytes: memory(400) },
    { type: 'eval', step: 0, evalLoss: 2.3, accuracy: 0.1, elapsedMs: 0 },
    { type: 'step', step: 1, loss: 2.2, elapsedMs: 10, memoryBytes: memory(400, 64) },
    { type: 'step', step: 2, loss: 2.0, elapsedMs: 18, memoryBytes: memory(400) },
    { type: 'eval', step: 2, evalLoss: 1.9, accuracy: 0.4, elapsedMs: 18 },
    { type: 'log', level: 'warn', message: 'ignored' },
    { type: 'step', step: 3, loss: 1.7, elapsedMs: 27, memoryBytes: memory(400) },
    { type: 'eval', step: 3, evalLoss: 1.95, accuracy: 0.35, elapsedMs: 27 },
    { type: 'finished', reason: 'completed', step: 3, elapsedMs: 27 },
  ];
}

describe('recordRunEvent', () => {
  it('records series and summary', () => {
    const results = resultsFromEvents('vision', visionEvents());
    expect(results.series.trainLoss).toEqual({ steps: [1, 2, 3], values: [2.2, 2.0, 1.7] });
    expect(results.series.evalLoss).toEqual({ steps: [0, 2, 3], values: [2.3, 1.9, 1.95] });
    expect(results.series.accuracy).toEqual({ steps: [0, 2, 3], values: [0.1, 0.4, 0.35] });
    expect(results.series.elapsedMs).toEqual({ steps: [0, 1, 2, 3], values: [0, 10, 18, 27] });
    expect(results.summary).toEqual({
      status: 'completed',
      stepsDone: 3,
      elapsedMs: 27,
      msPerStep: 9,
      finalEvalLoss: 1.95,
      bestEvalLoss: 1.9,
      finalAccuracy: 0.35,
      bestAccuracy: 0.4,
      peakMemoryBytes: { ...emptyMemoryBytes(), weights: 400, staging: 64 },
      adapter: 'lavapipe',
      parameterCount: 101_770,
    });
  });

  it('has no accuracy series for a language model', () => {
    const results = emptyRunResults('language-model');
    recordRunEvent(results, { type: 'eval', step: 0, evalLoss: 2, accuracy: 0.5, elapsedMs: 0 });
    expect(results.series.accuracy).toBeUndefined();
    expect(results.summary.finalAccuracy).toBeUndefined();
    expect(results.summary.finalEvalLoss).toBe(2);
  });

  it('keeps running until finished', () => {
    const results = resultsFromEvents('vision', visionEvents().slice(0, 4));
    expect(results.summary.status).toBe('running');
    expect(results.summary.stepsDone).toBe(2);
  });

  it('records a stopped run', () => {
    const events = visionEvents().slice(0, 4);
    events.push({ type: 'finished', reason: 'stopped', step: 2, elapsedMs: 18 });
    expect(resultsFromEvents('vision', events).summary.status).toBe('stopped');
  });

  it('keeps the first error message', () => {
    const events = visionEvents().slice(0, 3);
    events.push({ type: 'error', message: 'Training diverged at step 2' }, { type: 'error', message: 'second' }, { type: 'finished', reason: 'error', step: 1, elapsedMs: 10 });
    const { summary } = resultsFromEvents('vision', events);
    expect(summary.status).toBe('error');
    expect(summary.message).toBe('Training diverged at step 2');
    expect(summary.stepsDone).toBe(1);
  });

  it('drops non-finite and repeated points', () => {
    const results = emptyRunResults('language-model');
    recordRunEvent(results, { type: 'step', step: 1, loss: Number.NaN, elapsedMs: 5, memoryBytes: memory(1) });
    recordRunEvent(results, { type: 'step', step: 2, loss: 3, elapsedMs: 9, memoryBytes: memory(1) });
    recordRunEvent(results, { type: 'step', step: 2, loss: 4, elapsedMs: 9, memoryBytes: memory(1) });
    recordRunEvent(results, { type: 'eval', step: 2, evalLoss: Number.POSITIVE_INFINITY, elapsedMs: 9 });
    expect(results.series.trainLoss).toEqual({ steps: [2], values: [3] });
    expect(results.series.evalLoss).toEqual({ steps: [], values: [] });
    expect(results.summary.finalEvalLoss).toBeUndefined();
  });

  it('gives elapsed time at a step', () => {
    const results = resultsFromEvents('vision', visionEvents());
    expect(elapsedMsAtStep(results, 2)).toBe(18);
    const coarse = downsampleResults(results, 4);
    coarse.series.elapsedMs = { steps: [0, 3], values: [0, 27] };
    expect(elapsedMsAtStep(coarse, 2)).toBe(18);
  });

  it('downsamples a copy of results', () => {
    const results = emptyRunResults('vision');
    for (let step = 1; step <= 100; step++) {
      recordRunEvent(results, { type: 'step', step, loss: 1 / step, elapsedMs: step, memoryBytes: memory(8) });
      recordRunEvent(results, { type: 'eval', step, evalLoss: 1 / step, accuracy: step / 100, elapsedMs: step });
    }
    const small = downsampleResults(results, 10);
    expect(small.series.trainLoss.steps.length).toBeLessThanOrEqual(10);
    expect(small.series.accuracy!.steps.length).toBeLessThanOrEqual(10);
    expect(small.summary).toEqual(results.summary);
    expect(small.summary).not.toBe(results.summary);
    expect(results.series.trainLoss.steps.length).toBe(100);
  });
});
