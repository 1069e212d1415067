import { describe, expect, it } from 'vitest';
import { makeCrossEntropy, makeMaskedMean } from '../../kernels/crossentropy/crossentropy';
import { crossEntropyRef, maskedMeanRef } from '../../kernels/crossentropy/crossentropy.ref';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { compare, gpu, randomArray } from '../helpers/gpu';

// A loss is (max - logits[target]) + log(Σ exp(x - max)). The difference is exact or rounded once,
// and the sum of V terms in (0, 1] carries a relative error of a few ulp per term at most, which
// log turns into an absolute error below 1e-5 for V <= 50257. The relative part covers the
// rounding of the difference itself when the logits are large (|loss| up to about 1e5).
const ATOL = 1e-5;
const RTOL = 1e-6;

function randomTargets(count: number, V: number, seed: number): Uint32Array {
  return Uint32Array.from(randomArray(count, seed), (value) => Math.floor(((value + 1) / 2) * V) % V);
}

async function runCrossEntropy(logits: Float32Array, targets: Uint32Array, mask: Float32Array, N: number, V: number) {
  const ctx = await gpu();
  const bufLogits = ctx.pool.storageFrom('logits', 'activations', logits);
  const bufTargets = ctx.pool.storageFrom('targets', 'activations', targets);
  const bufMask = ctx.pool.storageFrom('mask', 'activations', mask);
  // Filled with a sentinel, so a row that the kernel does not write shows up as 42.
  const losses = ctx.pool.storageFrom('losses', 'activations', new Float32Array(N).fill(42));

  runDispatches(ctx, [makeCrossEntropy(ctx, 'cross-entropy test', { logits: bufLogits, targets: bufTargets, mask: bufMask, losses, N, V })]);
  const actual = await readF32(ctx, losses);

  for (const buffer of [bufLogits, bufTargets, bufMask, losses]) ctx.pool.release(buffer);
  return { actual, expected: crossEntropyRef(logits, targets, mask, N, V) };
}

async function runMaskedMean(values: Float32Array, mask: Float32Array, N: number, outIndex: number, outLength: number) {
  const ctx = await gpu();
  const bufValues = ctx.pool.storageFrom('values', 'activations', values);
  const bufMask = ctx.pool.storageFrom('mask', 'activations', mask);
  const out = ctx.pool.storageFrom('out', 'activations', new Float32Array(outLength).fill(42));

  runDispatches(ctx, [makeMaskedMean(ctx, 'masked mean test', { values: bufValues, mask: bufMask, out, outIndex, N })]);
  const actual = await readF32(ctx, out);

  for (const buffer of [bufValues, bufMask, out]) ctx.pool.release(buffer);
  return actual;
}

/** Returns a 0/1 mask with roughly `keep` of the rows set to 1. */
function randomMask(N: number, seed: number, keep = 0.7): Float32Array {
  return Float32Array.from(randomArray(N, seed), (value) => ((value + 1) / 2 < keep ? 1 : 0));
}

describe('cross-entropy', () => {
  it.each([
    [1, 1],
    [3, 7],
    [5, 257],
    [17, 1000],
    [64, 300],
    [2, 50257],
  ])('matches reference for N=%i V=%i', async (N, V) => {
    const logits = randomArray(N * V, N + V, 5);
    const targets = randomTargets(N, V, N * V);
    const mask = randomMask(N, N);
    mask[0] = 1;

    const { actual, expected } = await runCrossEntropy(logits, targets, mask, N, V);

    const result = compare(actual, expected, ATOL, RTOL);
    expect(result.mismatches).toEqual([]);
  });

  it('stays finite for large-magnitude logits', async () => {
    // Rows 0-2: logits around 8e4 with a spread of 3e4, so one term dominates the sum. Rows 3-5:
    // logits 1e4 ± 2, so every term counts. exp of any raw logit here overflows f32.
    const [N, V] = [6, 500];
    const wide = randomArray(3 * V, 3, 3e4).map((value) => value + 8e4);
    const narrow = randomArray(3 * V, 5, 2).map((value) => value + 1e4);
    const logits = new Float32Array(N * V);
    logits.set(wide, 0);
    logits.set(narrow, 3 * V);
    const targets = randomTargets(N, V, 4);
    const mask = new Float32Array(N).fill(1);

    const { actual, expected } = await runCrossEntropy(logits, targets, mask, N, V);

    expect(Array.from(actual).every(Number.isFinite)).toBe(true);
    const result = compare(actual, expected, ATOL, RTOL);
    expect(result.mismatches).toEqual([]);
  });

  it('gives 0 for masked rows', async () => {
    const [N, V] = [8, 33];
    const logits = randomArray(N * V, 9, 4);
    const targets = randomTargets(N, V, 10);
    const mask = Float32Array.from([1, 0, 0, 1, 0, 1, 1, 0]);

    const { actual, expected } = await runCrossEntropy(logits, targets, mask, N, V);

    expect(Array.from(actual).filter((_loss, row) => mask[row] === 0)).toEqual([0, 0, 0, 0]);
    const result = compare(actual, expected, ATOL, RTOL);
    expect(result.mismatches).toEqual([]);
  });

  it('gives 0 for targets >= V', async () => {
    const [N, V] = [4, 20];
    const logits = randomArray(N * V, 12, 4);
    const targets = Uint32Array.from([V, 3, 0xffffffff, V + 1]);
    const mask = Float32Array.from([0, 1, 0, 1]);

    const { actual, expected } = await runCrossEntropy(logits, targets, mask, N, V);

    expect([actual[0], actual[2], actual[3]]).toEqual([0, 0, 0]);
    const result = compare(actual, expected, ATOL, RTOL);
    expect(result.mismatches).toEqual([]);
  });
});

describe('masked mean', () => {
  // f32 partial sums of at most a few thousand O(1) values, added in a tree: the relative error stays
  // below 1e-6 on these inputs, far below the effect of a dropped element (about 1e-4 at N = 5000).
  it.each([1, 7, 256, 257, 5000])('matches reference for N=%i', async (N) => {
    const mask = randomMask(N, N + 1);
    const values = randomArray(N, N + 2, 3).map((value, i) => value * mask[i]);

    const actual = await runMaskedMean(values, mask, N, 0, 1);

    const result = compare(actual, [maskedMeanRef(values, mask, N)], 1e-7, 1e-6);
    expect(result.mismatches).toEqual([]);
  });

  it('divides by 1 when every mask is 0', async () => {
    const values = Float32Array.from([0.5, 0.25, 0]);
    const mask = new Float32Array(3);

    const actual = await runMaskedMean(values, mask, 3, 0, 1);

    expect(actual[0]).toBe(0.75);
  });

  it('writes only out[outIndex]', async () => {
    const values = Float32Array.from([1, 2, 3, 4]);
    const mask = Float32Array.from([1, 1, 0, 1]);

    const actual = await runMaskedMean(values, mask, 4, 3, 6);

    expect(Array.from(actual)).toEqual([42, 42, 42, 10 / 3, 42, 42].map(Math.fround));
  });

  it('gives identical bits on repeated runs', async () => {
    const N = 3000;
    const mask = randomMask(N, 77);
    const values = randomArray(N, 78, 10);

    const first = await runMaskedMean(values, mask, N, 0, 1);
    const second = await runMaskedMean(values, mask, N, 0, 1);

    expect(new Uint32Array(second.buffer)[0]).toBe(new Uint32Array(first.buffer)[0]);
  });
});
