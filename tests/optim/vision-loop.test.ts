/**
 * The vision run loop as the worker and the CLI drive it: events in order with accuracy, the same
 * seed giving the same run, and stop. A non-finite loss ends the run with a message, and the steps
 * already emitted stay.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SGD, DEFAULT_SHAMPOO4, DEFAULT_VISION_CONFIG } from '../../app/run/config';
import { runTraining } from '../../app/run/loop';
import type { RunEvent, VisionRunConfig } from '../../app/run/types';
import type { VisionResources } from '../../app/run/vision-resources';
import type { ImageDataset } from '../../app/data/images';
import { gpu, randomArray } from '../helpers/gpu';

const SIZE = 8;
const CLASSES = 3;

/** Images whose class is the brightest third of the picture, so a small net can learn them. */
function dataset(count: number, seed: number): ImageDataset {
  const images = randomArray(count * SIZE * SIZE, seed, 0.5);
  const labels = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % CLASSES;
    const band = labels[i] * Math.floor(SIZE / CLASSES);
    for (let y = band; y < band + 2; y++) for (let x = 0; x < SIZE; x++) images[i * SIZE * SIZE + y * SIZE + x] += 2;
  }
  return { name: `synthetic-${seed}`, width: SIZE, height: SIZE, channels: 1, classes: ['a', 'b', 'c'], count, images, labels, mean: [0], std: [1] };
}

function resources(): VisionResources {
  return { split: { train: dataset(48, 1), eval: dataset(24, 2), splitRule: 'a synthetic held-out set.' }, datasetName: 'synthetic' };
}

const CONFIG: VisionRunConfig = {
  ...DEFAULT_VISION_CONFIG,
  model: { kind: 'builtin', architecture: 'mlp' },
  dataset: { kind: 'upload', name: 'synthetic', size: 0 },
  optimizer: { ...DEFAULT_SGD, learningRate: 0.05 },
  batchSize: 8,
  steps: 12,
  evalEvery: 6,
  evalExamples: 20,
};

async function run(config: VisionRunConfig, data = resources(), onEvent: (event: RunEvent) => void = () => {}, control: { stopRequested: boolean; exportWeights?: boolean } = { stopRequested: false }) {
  const ctx = await gpu();
  const events: RunEvent[] = [];
  await runTraining(ctx, config, data, (event) => {
    events.push(event);
    onEvent(event);
  }, control);
  return events;
}

const ofType = <T extends RunEvent['type']>(events: RunEvent[], type: T) => events.filter((event): event is Extract<RunEvent, { type: T }> => event.type === type);

describe('vision run loop', () => {
  it('emits steps and evaluations with accuracy, and learns a separable set', async () => {
    const events = await run(CONFIG);
    expect(events[0]).toMatchObject({ type: 'started', sizeUnit: 'images', trainSize: 48, evalSize: 20 });
    expect(ofType(events, 'step').map((event) => event.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const evals = ofType(events, 'eval');
    expect(evals.map((event) => event.step)).toEqual([0, 6, 12]);
    for (const event of evals) {
      expect(event.accuracy).toBeGreaterThanOrEqual(0);
      expect(event.accuracy).toBeLessThanOrEqual(1);
      // 20 images: accuracy is a multiple of 1/20.
      expect(Math.abs(event.accuracy! * 20 - Math.round(event.accuracy! * 20))).toBeLessThan(1e-9);
    }
    expect(evals[2].evalLoss).toBeLessThan(evals[0].evalLoss);
    expect(evals[2].accuracy).toBeGreaterThan(evals[0].accuracy!);
    expect(ofType(events, 'step')[0].memoryBytes['optimizer-state']).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ type: 'finished', reason: 'completed', step: 12 });
  });

  it('replays the same losses from the same seed', async () => {
    const losses = async () => ofType(await run({ ...CONFIG, steps: 5, evalEvery: 0 }), 'step').map((event) => event.loss);
    const first = await losses();
    expect(await losses()).toEqual(first);
    const other = ofType(await run({ ...CONFIG, steps: 5, evalEvery: 0, seed: 2 }), 'step').map((event) => event.loss);
    expect(other).not.toEqual(first);
  });

  it('trains the CNN with 4-bit Shampoo and counts its preconditioner memory', async () => {
    const config: VisionRunConfig = {
      ...CONFIG,
      model: { kind: 'builtin', architecture: 'cnn' },
      optimizer: { ...DEFAULT_SHAMPOO4, factorPeriod: 1, rootPeriod: 2, maxOrder: 64 },
      steps: 4,
      evalEvery: 4,
    };
    const events = await run(config);
    expect(events.find((event) => event.type === 'error')).toBeUndefined();
    const steps = ofType(events, 'step');
    expect(steps).toHaveLength(4);
    for (const step of steps) expect(Number.isFinite(step.loss)).toBe(true);
    expect(steps[3].memoryBytes.preconditioner).toBeGreaterThan(0);
  });

  it('emits the trained weights when asked, after the last step', async () => {
    const events = await run({ ...CONFIG, steps: 2, evalEvery: 0 }, resources(), () => {}, { stopRequested: false, exportWeights: true });
    const weights = ofType(events, 'weights');
    expect(weights).toHaveLength(1);
    expect(weights[0]).toMatchObject({ step: 2, fileName: 'mlp-sgd-step2.safetensors' });
    expect(weights[0].safetensors.byteLength).toBeGreaterThan(4 * (8 * 8 * 128 + 128 + 128 * 3 + 3));
    const lastStep = events.map((event) => event.type).lastIndexOf('step');
    expect(events.findIndex((event) => event.type === 'weights')).toBeGreaterThan(lastStep);
  });

  it('stops between steps', async () => {
    const control = { stopRequested: false };
    const events = await run(CONFIG, resources(), (event) => {
      if (event.type === 'step' && event.step === 3) control.stopRequested = true;
    }, control);
    expect(ofType(events, 'step')).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({ type: 'finished', reason: 'stopped', step: 3 });
  });

  it('non-finite loss keeps earlier steps', async () => {
    const data = resources();
    const events = await run({ ...CONFIG, evalEvery: 0 }, data, (event) => {
      // Poisons every training image after step 2, as a corrupt batch would.
      if (event.type === 'step' && event.step === 2) data.split.train.images.fill(NaN);
    });
    expect(ofType(events, 'step').map((event) => event.step)).toEqual([1, 2]);
    const error = ofType(events, 'error')[0];
    expect(error.message).toContain('Training diverged at step 3');
    expect(error.message).toContain('Results up to step 2 are kept');
    expect(events.at(-1)).toMatchObject({ type: 'finished', reason: 'error', step: 2 });
  });

  it('rejects a batch above the held-out capacity limits before allocating', async () => {
    const events = await run({ ...CONFIG, batchSize: 0 });
    expect(ofType(events, 'error')[0].message).toContain('batchSize must be >= 1 (got 0)');
  });
});
