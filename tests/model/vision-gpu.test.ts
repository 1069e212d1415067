/** The vision networks on the GPU against the CPU reference, and a short SGD run. */
import { describe, expect, it } from 'vitest';
import { readF32, readU32, runDispatches } from '../../kernels/gpu/dispatch';
import { initVisionParameters, readVisionBatchResult, VisionNet, type VisionArchitecture, type VisionInputShape } from '../../app/model/vision';
import { visionForwardBackwardRef, visionForwardRef } from '../../app/model/vision.ref';
import { compare, gpu, randomArray } from '../helpers/gpu';

// Tolerances of the GPU against the f64 reference run on the same f32 weights and images.
// Logits and losses come from f32 sums of at most 300 products (inputs in [0, 1), weights within
// ±1/√fan_in) through at most three matmuls. The largest errors seen on lavapipe were 7.5e-8
// (logits) and 6.7e-8 (losses). Gradients are f32 sums over up to 5·12·12 = 720 rows (conv weights) and the
// col2im sums of 9 terms. Their error scales with the tensor's gradients, so the bound is a fraction
// of the largest |gradient| of each tensor; the largest seen was 1.4e-6 of it (fc.weight, 10×10×3).
const LOGIT_ATOL = 1e-6;
const LOGIT_RTOL = 1e-5;
const LOSS_ATOL = 1e-6;
const GRAD_FRACTION = 1e-5;

const SEED = 5;
const CAPACITY = 5;
const COUNT = 3;

const CASES: Array<[string, VisionArchitecture, VisionInputShape, number]> = [
  ['mlp, 12x12x1', 'mlp', { height: 12, width: 12, channels: 1 }, 4],
  ['mlp, odd 10x10x3', 'mlp', { height: 10, width: 10, channels: 3 }, 3],
  ['cnn, 12x12x1', 'cnn', { height: 12, width: 12, channels: 1 }, 4],
  ['cnn, odd 10x10x3', 'cnn', { height: 10, width: 10, channels: 3 }, 3],
];

/** Images in [0, 1), like normalised pixels. */
function images(count: number, input: VisionInputShape, seed: number): Float32Array {
  return randomArray(count * input.height * input.width * input.channels, seed).map((value) => (value + 1) / 2);
}

describe('vision networks on the GPU', () => {
  it.each(CASES)('train pass matches the CPU reference, %s', async (_name, architecture, input, classes) => {
    const ctx = await gpu();
    const net = new VisionNet(ctx, architecture, input, classes, SEED);
    const batch = net.createBatch(CAPACITY);
    const params = initVisionParameters(net.spec, SEED);

    // A full batch first, so the short batch below runs over rows holding stale values and gradients.
    net.writeBatch(batch, images(CAPACITY, input, 1), Uint32Array.from({ length: CAPACITY }, (_, i) => i % classes), CAPACITY);
    runDispatches(ctx, net.trainDispatches(batch));

    const x = images(COUNT, input, 2);
    const labels = Uint32Array.from({ length: COUNT }, (_, i) => (i * 2 + 1) % classes);
    net.writeBatch(batch, x, labels, COUNT);
    runDispatches(ctx, net.trainDispatches(batch));
    const expected = visionForwardBackwardRef(net.spec, params, x, labels, COUNT);

    const logits = compare(await readF32(ctx, batch.logits, COUNT * classes), expected.logits, LOGIT_ATOL, LOGIT_RTOL);
    expect(logits.mismatches, `logits, largest error ${logits.maxAbs}`).toEqual([]);
    const losses = compare(await readF32(ctx, batch.losses, COUNT), expected.losses, LOSS_ATOL);
    expect(losses.mismatches, `losses, largest error ${losses.maxAbs}`).toEqual([]);
    expect(Array.from(await readU32(ctx, batch.correct, COUNT))).toEqual(Array.from(expected.correct));

    const result = await readVisionBatchResult(ctx, batch);
    expect(Math.abs(result.lossSum - expected.lossSum)).toBeLessThan(COUNT * LOSS_ATOL);
    expect(result.correctCount).toBe(expected.correctCount);

    const grads = await net.readGradients();
    net.parameters.forEach((parameter, p) => {
      const scale = Math.max(...expected.grads[p].map(Math.abs));
      const grad = compare(grads[p], expected.grads[p], GRAD_FRACTION * scale);
      expect(grad.mismatches, `${parameter.name}: largest error ${grad.maxAbs} (largest gradient ${scale})`).toEqual([]);
      expect(scale, `${parameter.name}: largest gradient`).toBeGreaterThan(1e-5);
    });

    net.releaseBatch(batch);
    net.release();
  });

  it.each(CASES)('eval pass matches the CPU reference, %s', async (_name, architecture, input, classes) => {
    const ctx = await gpu();
    const net = new VisionNet(ctx, architecture, input, classes, SEED + 1);
    const batch = net.createBatch(CAPACITY, 'eval batch');
    const params = initVisionParameters(net.spec, SEED + 1);
    const plan = net.evalDispatches(batch);

    for (const [count, seed] of [
      [CAPACITY, 3],
      [COUNT, 4],
      [1, 5],
    ]) {
      const x = images(count, input, seed);
      const labels = Uint32Array.from({ length: count }, (_, i) => (i + seed) % classes);
      net.writeBatch(batch, x, labels, count);
      runDispatches(ctx, plan);
      const expected = visionForwardRef(net.spec, params, x, labels, count);

      const logits = compare(await readF32(ctx, batch.logits, count * classes), expected.logits, LOGIT_ATOL, LOGIT_RTOL);
      expect(logits.mismatches, `count ${count}: logits, largest error ${logits.maxAbs}`).toEqual([]);
      const result = await readVisionBatchResult(ctx, batch);
      expect(Math.abs(result.lossSum - expected.lossSum), `count ${count}: loss sum`).toBeLessThan(count * LOSS_ATOL);
      expect(result.correctCount, `count ${count}: correct count`).toBe(expected.correctCount);
    }

    net.releaseBatch(batch);
    net.release();
  });

  it('sums a batch larger than one workgroup', async () => {
    const ctx = await gpu();
    const input = { height: 4, width: 4, channels: 1 };
    const net = new VisionNet(ctx, 'mlp', input, 3, SEED);
    const capacity = 600;
    const batch = net.createBatch(capacity);
    const x = images(capacity, input, 6);
    const labels = Uint32Array.from({ length: capacity }, (_, i) => (i * 7) % 3);
    net.writeBatch(batch, x, labels, 517);
    runDispatches(ctx, net.evalDispatches(batch));

    const expected = visionForwardRef(net.spec, initVisionParameters(net.spec, SEED), x, labels, 517);
    const result = await readVisionBatchResult(ctx, batch);
    expect(Math.abs(result.lossSum - expected.lossSum)).toBeLessThan(517 * LOSS_ATOL);
    expect(result.correctCount).toBe(expected.correctCount);

    net.releaseBatch(batch);
    net.release();
  });

  it('rejects invalid batches', async () => {
    const ctx = await gpu();
    const net = new VisionNet(ctx, 'mlp', { height: 4, width: 4, channels: 1 }, 3, SEED);
    const batch = net.createBatch(2);
    const x = new Float32Array(2 * 16);
    expect(() => net.writeBatch(batch, x, Uint32Array.of(0, 3), 2)).toThrow(/label 1 is 3, expected a class index below 3/);
    expect(() => net.writeBatch(batch, x, Uint32Array.of(0, 1, 2), 3)).toThrow(/count must be an integer from 1 to the batch capacity 2, got 3/);
    expect(() => net.writeBatch(batch, x.subarray(0, 16), Uint32Array.of(0, 1), 2)).toThrow(/images has 16 values, expected count·H·W·C = 2·16 = 32/);
    expect(() => net.createBatch(0)).toThrow(/capacity must be a positive integer, got 0/);
    net.releaseBatch(batch);
    net.release();
  });

  it('releases every buffer it creates', async () => {
    const ctx = await gpu();
    const before = ctx.pool.bytes();
    const net = new VisionNet(ctx, 'cnn', { height: 8, width: 8, channels: 1 }, 3, SEED);
    expect(ctx.pool.bytes().weights - before.weights).toBe(net.parameterCount * 4);
    expect(ctx.pool.bytes().gradients - before.gradients).toBe(net.parameterCount * 4);
    const batch = net.createBatch(4);
    net.trainDispatches(batch);
    net.evalDispatches(batch);
    net.releaseBatch(batch);
    net.release();
    expect(ctx.pool.bytes()).toEqual(before);
  });

  it('reports the largest batch capacity', async () => {
    const ctx = await gpu();
    const net = new VisionNet(ctx, 'cnn', { height: 28, width: 28, channels: 1 }, 10, SEED);
    // The second convolution's im2col matrix, 14·14 positions × 16·3·3 columns per image, is the largest buffer.
    expect(net.maxBatchCapacity()).toBe(Math.floor(ctx.limits.maxStorageBufferBindingSize / (4 * 14 * 14 * 16 * 9)));
    net.release();
  });
});

describe('vision training sanity', () => {
  /** Eight 6×6 images per class: class k lights up row band k, over uniform noise in [0, 0.3). */
  function separableDataset(classes: number): { x: Float32Array; labels: Uint32Array; count: number } {
    const perClass = 8;
    const count = perClass * classes;
    const noise = randomArray(count * 36, 9).map((value) => ((value + 1) / 2) * 0.3);
    const x = new Float32Array(count * 36);
    const labels = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const label = i % classes;
      labels[i] = label;
      for (let pixel = 0; pixel < 36; pixel++) {
        const row = Math.floor(pixel / 6);
        x[i * 36 + pixel] = noise[i * 36 + pixel] + (Math.floor(row / 2) === label ? 0.7 : 0);
      }
    }
    return { x, labels, count };
  }

  it.each(['mlp', 'cnn'] as const)('30 SGD steps lower the loss, %s', async (architecture) => {
    const ctx = await gpu();
    const classes = 3;
    const { x, labels, count } = separableDataset(classes);
    const net = new VisionNet(ctx, architecture, { height: 6, width: 6, channels: 1 }, classes, SEED);
    const batch = net.createBatch(count);
    net.writeBatch(batch, x, labels, count);
    const plan = net.trainDispatches(batch);
    const learningRate = 0.5;

    const params = await net.readParameters();
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      runDispatches(ctx, plan);
      losses.push((await readVisionBatchResult(ctx, batch)).lossSum / count);
      const grads = await net.readGradients();
      params.forEach((values, p) => {
        for (let i = 0; i < values.length; i++) values[i] -= learningRate * grads[p][i];
      });
      net.writeParameters(params);
    }
    runDispatches(ctx, net.evalDispatches(batch));
    const final = await readVisionBatchResult(ctx, batch);

    expect(losses[0]).toBeGreaterThan(0.9);
    expect(final.lossSum / count, `losses ${losses.map((loss) => loss.toFixed(3)).join(' ')}`).toBeLessThan(0.5 * losses[0]);
    expect(final.correctCount).toBe(count);

    net.releaseBatch(batch);
    net.release();
  });
});
