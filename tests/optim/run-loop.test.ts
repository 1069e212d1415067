/** The run loop as the worker and the CLI drive it: events in order, stop, and failures as events. */
import { describe, expect, it } from 'vitest';
import { acquireNodeContext } from '../../kernels/gpu/device-node';
import { DEFAULT_CONFIG } from '../../app/run/config';
import { runTraining } from '../../app/run/loop';
import type { RunConfig, RunEvent } from '../../app/run/types';
import { gpu } from '../helpers/gpu';
import { TINY_TEXT, tinyModelFiles } from '../helpers/tiny-gpt2';

const CONFIG: RunConfig = { ...DEFAULT_CONFIG, batchSize: 2, sequenceLength: 8, steps: 6, evalEvery: 3, evalBatches: 1, sampleTokens: 3, samplePrompt: 'It' };
const RESOURCES = { model: tinyModelFiles(), train: [TINY_TEXT], eval: [TINY_TEXT], datasetName: 'tiny' };

async function run(config: RunConfig, onEvent: (event: RunEvent, events: RunEvent[]) => void = () => {}, control = { stopRequested: false }) {
  const ctx = await gpu();
  const events: RunEvent[] = [];
  await runTraining(ctx, config, RESOURCES, (event) => {
    events.push(event);
    onEvent(event, events);
  }, control);
  return events;
}

describe('run loop', () => {
  it('emits steps, evals and samples in order', async () => {
    const events = await run(CONFIG);
    expect(events[0].type).toBe('started');
    expect(events.filter((event) => event.type === 'step').map((event) => (event as { step: number }).step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.filter((event) => event.type === 'eval').map((event) => (event as { step: number }).step)).toEqual([0, 3, 6]);
    expect(events.filter((event) => event.type === 'sample').map((event) => (event as { when: string }).when)).toEqual(['before', 'after']);
    expect(events.at(-1)).toMatchObject({ type: 'finished', reason: 'completed', step: 6 });
  });

  it('stops between steps', async () => {
    const control = { stopRequested: false };
    const events = await run(CONFIG, (event) => {
      if (event.type === 'step' && event.step === 2) control.stopRequested = true;
    }, control);
    expect(events.filter((event) => event.type === 'step')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: 'finished', reason: 'stopped', step: 2 });
  });

  it('reports an invalid config as an event', async () => {
    const events = await run({ ...CONFIG, batchSize: 0 });
    expect(events[0]).toMatchObject({ type: 'error' });
    expect((events[0] as { message: string }).message).toContain('batchSize must be >= 1 (got 0)');
    expect(events.at(-1)).toMatchObject({ type: 'finished', reason: 'error', step: 0 });
  });

  it('ends with an error when the device goes away', async () => {
    const ctx = await acquireNodeContext();
    const events: RunEvent[] = [];
    await runTraining(ctx, { ...CONFIG, steps: 50, evalEvery: 0, sampleTokens: 0 }, RESOURCES, (event) => {
      events.push(event);
      if (event.type === 'step' && event.step === 2) ctx.device.destroy();
    }, { stopRequested: false });
    const steps = events.filter((event) => event.type === 'step');
    expect(steps.length).toBeGreaterThanOrEqual(2);
    expect(steps.length).toBeLessThan(50);
    const error = events.find((event) => event.type === 'error') as { message: string } | undefined;
    expect(error?.message).toMatch(/\S/);
    expect(error?.message).toContain('Results recorded so far are kept');
    expect(events.at(-1)).toMatchObject({ type: 'finished', reason: 'error' });
  });
});
