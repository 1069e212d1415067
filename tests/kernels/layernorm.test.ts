import { describe, expect, it } from 'vitest';
import { makeLayerNorm } from '../../kernels/layernorm/layernorm';
import { layerNormRef } from '../../kernels/layernorm/layernorm.ref';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { compare, gpu, randomArray } from '../helpers/gpu';

// Outputs are normalized values times gamma in [-1, 1) plus beta, so they are O(1). f32 statistics
// put a few ulp of relative error on mean and rstd: the largest error seen on lavapipe is 4.8e-7.
// 2e-6 (about 16 ulp of 1.0) leaves room for other drivers, while a wrong mean or variance moves
// outputs by more than 1e-2.
const ATOL = 2e-6;

async function runLayerNorm(x: Float32Array, N: number, C: number, eps: number | undefined, seed: number) {
  const ctx = await gpu();
  const gamma = randomArray(C, seed + 1);
  const beta = randomArray(C, seed + 2);
  const bufX = ctx.pool.storageFrom('x', 'activations', x);
  const bufGamma = ctx.pool.storageFrom('gamma', 'weights', gamma);
  const bufBeta = ctx.pool.storageFrom('beta', 'weights', beta);
  const out = ctx.pool.storage('out', 'activations', N * C * 4);

  runDispatches(ctx, [makeLayerNorm(ctx, 'layernorm test', { x: bufX, gamma: bufGamma, beta: bufBeta, out, N, C, eps })]);
  const actual = await readF32(ctx, out);

  for (const buffer of [bufX, bufGamma, bufBeta, out]) ctx.pool.release(buffer);
  return { actual, expected: layerNormRef(x, gamma, beta, N, C, eps) };
}

describe('layernorm', () => {
  it.each([
    [1, 1],
    [1, 7],
    [3, 33],
    [2, 255],
    [4, 257],
    [5, 768],
    [17, 300],
    [64, 64],
  ])('matches reference for N=%i C=%i', async (N, C) => {
    const { actual, expected } = await runLayerNorm(randomArray(N * C, N + C, 3), N, C, undefined, N * C);

    const result = compare(actual, expected, ATOL);
    expect(result.mismatches).toEqual([]);
  });

  it('keeps precision with a large row mean', async () => {
    // Rows of 1000 + noise in [-0.5, 0.5): a one-pass E[x^2] - mean^2 would lose every digit here,
    // and a mean rounded to f32 at 1000 (ulp 6e-5) would shift outputs by about 1e-4.
    const [N, C] = [3, 200];
    const x = randomArray(N * C, 11, 0.5).map((value) => value + 1000);

    const { actual, expected } = await runLayerNorm(x, N, C, undefined, 11);

    const result = compare(actual, expected, 1e-5);
    expect(result.mismatches).toEqual([]);
  });

  it('returns beta for a constant row', async () => {
    const [N, C] = [2, 50];
    const x = new Float32Array(N * C).fill(-3.25);

    const { actual, expected } = await runLayerNorm(x, N, C, undefined, 5);

    const result = compare(actual, expected, 0);
    expect(result.mismatches).toEqual([]);
  });

  it('applies a non-default eps', async () => {
    // With a small spread, eps = 0.1 dominates the variance and changes every output visibly.
    const [N, C] = [4, 96];
    const x = randomArray(N * C, 21, 0.2);

    const { actual, expected } = await runLayerNorm(x, N, C, 0.1, 21);

    const result = compare(actual, expected, ATOL);
    expect(result.mismatches).toEqual([]);
  });
});
