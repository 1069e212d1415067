import { describe, expect, it } from 'vitest';
import { makeSoftmaxCrossEntropy } from '../../kernels/softmax-xent/softmax-xent';
import { softmaxCrossEntropyRef } from '../../kernels/softmax-xent/softmax-xent.ref';
import { readF32, readU32, runDispatches } from '../../kernels/gpu/dispatch';
import { compare, gpu, randomArray } from '../helpers/gpu';

// Losses are the log of an f32 sum of K terms in (0, 1] plus a difference of logits, and the WGSL
// spec allows exp and log errors of a few ulp. The tolerance is abs 1e-6 + rel 1e-6 (largest error
// seen 8.2e-7, for losses up to about 15). In dlogits the probability carries a few ulp of relative
// error, and p − 1 cancels to an absolute error near 1e-7. The tolerance is 1e-6 on softmax − onehot,
// which is 1e-6 / B on dlogits (largest seen 1.5e-7 · 1/B). The correct flags compare logits
// exactly and must match.
const LOSS_ATOL = 1e-6;
const LOSS_RTOL = 1e-6;
const DLOGITS_TOLERANCE = 1e-6;

interface GpuResult {
  losses: Float32Array;
  dlogits: Float32Array;
  correct: Uint32Array;
}

/** Runs the kernel on capacity B; `batchSize` below B goes through setBatchSize. Outputs start as sentinels (42). */
async function runSoftmaxXent(logits: Float32Array, labels: Uint32Array, B: number, K: number, batchSize = B): Promise<GpuResult> {
  const ctx = await gpu();
  const bufLogits = ctx.pool.storageFrom('logits', 'activations', logits);
  const bufLabels = ctx.pool.storageFrom('labels', 'activations', labels);
  const losses = ctx.pool.storageFrom('losses', 'activations', new Float32Array(B).fill(42));
  const dlogits = ctx.pool.storageFrom('dlogits', 'gradients', new Float32Array(B * K).fill(42));
  const correct = ctx.pool.storageFrom('correct', 'activations', new Uint32Array(B).fill(42));

  const dispatch = makeSoftmaxCrossEntropy(ctx, 'softmax xent test', { logits: bufLogits, labels: bufLabels, losses, dlogits, correct, B, K });
  if (batchSize !== B) dispatch.setBatchSize(batchSize);
  runDispatches(ctx, [dispatch]);
  const result = { losses: await readF32(ctx, losses), dlogits: await readF32(ctx, dlogits), correct: await readU32(ctx, correct) };

  for (const buffer of [bufLogits, bufLabels, losses, dlogits, correct]) ctx.pool.release(buffer);
  return result;
}

function randomLabels(B: number, K: number, seed: number): Uint32Array {
  return Uint32Array.from(randomArray(B, seed), (value) => Math.min(K - 1, Math.floor(((value + 1) / 2) * K)));
}

function expectMatch(actual: GpuResult, logits: Float32Array, labels: Uint32Array, B: number, K: number): void {
  const expected = softmaxCrossEntropyRef(logits, labels, B, K);
  expect(compare(actual.losses.subarray(0, B), expected.losses, LOSS_ATOL, LOSS_RTOL).mismatches).toEqual([]);
  expect(compare(actual.dlogits.subarray(0, B * K), expected.dlogits, DLOGITS_TOLERANCE / B).mismatches).toEqual([]);
  expect(Array.from(actual.correct.subarray(0, B))).toEqual(Array.from(expected.correct));
}

describe('softmax cross-entropy', () => {
  it.each([
    [1, 1],
    [1, 10],
    [3, 10],
    [7, 3],
    [64, 10],
    [65, 10],
    [100, 33],
    [257, 10],
  ])('matches reference for B=%i K=%i', async (B, K) => {
    const logits = randomArray(B * K, B * 31 + K, 5);
    const labels = randomLabels(B, K, B + K);

    expectMatch(await runSoftmaxXent(logits, labels, B, K), logits, labels, B, K);
  });

  it('stays accurate for logits near 1000', async () => {
    const [B, K] = [20, 10];
    const logits = randomArray(B * K, 5, 5).map((value) => value + 1000);
    const labels = randomLabels(B, K, 6);

    expectMatch(await runSoftmaxXent(logits, labels, B, K), logits, labels, B, K);
  });

  it('flags ties at the lowest index', async () => {
    // Logits in {-1, 0, 1}: most rows have a tied maximum, and labels hit both tied indices.
    const [B, K] = [40, 4];
    const logits = randomArray(B * K, 7).map((value) => Math.round(value));
    const labels = randomLabels(B, K, 8);

    expectMatch(await runSoftmaxXent(logits, labels, B, K), logits, labels, B, K);
  });

  it('processes only the set batch size', async () => {
    const [B, K, batchSize] = [10, 6, 7];
    const logits = randomArray(B * K, 9, 3);
    const labels = randomLabels(B, K, 10);

    const actual = await runSoftmaxXent(logits, labels, B, K, batchSize);

    expectMatch(actual, logits, labels, batchSize, K);
    expect(Array.from(actual.losses.subarray(batchSize))).toEqual([42, 42, 42]);
    expect(Array.from(actual.dlogits.subarray(batchSize * K)).every((value) => value === 42)).toBe(true);
    expect(Array.from(actual.correct.subarray(batchSize))).toEqual([42, 42, 42]);
  });

  it('writes NaN for a label outside the classes', async () => {
    const [B, K] = [3, 5];
    const logits = randomArray(B * K, 11);
    const labels = new Uint32Array([2, 5, 0xffffffff]);

    const actual = await runSoftmaxXent(logits, labels, B, K);

    expect(Number.isFinite(actual.losses[0])).toBe(true);
    expect(Number.isNaN(actual.losses[1])).toBe(true);
    expect(Number.isNaN(actual.losses[2])).toBe(true);
    expect(Array.from(actual.dlogits.subarray(K)).every(Number.isNaN)).toBe(true);
    expect(Array.from(actual.correct.subarray(1))).toEqual([0, 0]);
  });

  it('rejects a batch size above capacity', async () => {
    const ctx = await gpu();
    const buffer = (name: string) => ctx.pool.storage(name, 'activations', 64 * 4);
    const dispatch = makeSoftmaxCrossEntropy(ctx, 'capacity', {
      logits: buffer('logits'),
      labels: buffer('labels'),
      losses: buffer('losses'),
      dlogits: buffer('dlogits'),
      correct: buffer('correct'),
      B: 8,
      K: 8,
    });

    expect(() => dispatch.setBatchSize(9)).toThrow(/batch size must be an integer in \[1, 8\], got 9/);
  });
});
