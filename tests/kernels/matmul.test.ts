import { describe, expect, it } from 'vitest';
import { makeMatmul } from '../../kernels/matmul/matmul';
import { matmulRef } from '../../kernels/matmul/matmul.ref';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { compare, gpu, randomArray } from '../helpers/gpu';

// Shapes as [M, K, N]: single elements, sizes below, at and above the 64×64×16 tile, N at and
// around the 16- and 32-column tiles of narrow products, and one 256³ case. Odd sizes exercise
// the zero-filled tile edges.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [70, 19, 16],
  [66, 21, 17],
  [65, 40, 32],
  [1, 7, 33],
  [7, 33, 127],
  [33, 1, 7],
  [64, 64, 64],
  [65, 17, 129],
  [127, 127, 3],
  [3, 200, 250],
  [256, 256, 256],
];

async function runMatmul(M: number, K: number, N: number, transposeB: boolean, withBias: boolean, seed: number, transposeA = false) {
  const ctx = await gpu();
  const a = randomArray(M * K, seed);
  const b = randomArray(K * N, seed + 1);
  const bias = withBias ? randomArray(N, seed + 2) : null;
  const bufA = ctx.pool.storageFrom('a', 'activations', a);
  const bufB = ctx.pool.storageFrom('b', 'weights', b);
  const bufBias = bias ? ctx.pool.storageFrom('bias', 'weights', bias) : undefined;
  const out = ctx.pool.storage('out', 'activations', M * N * 4);

  runDispatches(ctx, [makeMatmul(ctx, 'matmul test', { a: bufA, b: bufB, bias: bufBias, out, M, K, N, transposeB, transposeA })]);
  const actual = await readF32(ctx, out);

  for (const buffer of [bufA, bufB, out]) ctx.pool.release(buffer);
  if (bufBias) ctx.pool.release(bufBias);
  return { actual, expected: matmulRef(a, b, bias, M, K, N, transposeB, transposeA) };
}

// Inputs lie in [-1, 1). The f32 sum of K products drifts from the f64 reference by at most
// K * 2^-24 * sum|a*b| (about 1e-3 at K=256), and in practice by far less: the largest error seen on
// lavapipe at K=256 is 1.5e-5. The tolerance 2e-7 * K (5e-5 at K=256) sits above that and far below
// the error of a dropped or misplaced term (about 0.1).
function tolerance(K: number): number {
  return 2e-7 * K;
}

describe.each([
  ['NN', false, false, false],
  ['NN with bias', false, true, false],
  ['NT', true, false, false],
  ['NT with bias', true, true, false],
  ['TN', false, false, true],
  ['TN with bias', false, true, true],
] as const)('matmul %s', (_name, transposeB, withBias, transposeA) => {
  it.each(SHAPES)('matches reference for M=%i K=%i N=%i', async (M, K, N) => {
    const { actual, expected } = await runMatmul(M, K, N, transposeB, withBias, M * 7 + K * 13 + N, transposeA);

    const result = compare(actual, expected, tolerance(K));
    expect(result.mismatches).toEqual([]);
  });
});

describe('matmul buffers', () => {
  it('rejects an undersized b', async () => {
    const ctx = await gpu();
    const a = ctx.pool.storage('a', 'activations', 4 * 8 * 4);
    const b = ctx.pool.storage('b', 'weights', 8 * 5 * 4);
    const out = ctx.pool.storage('out', 'activations', 4 * 6 * 4);

    expect(() => makeMatmul(ctx, 'small b', { a, b, out, M: 4, K: 8, N: 6, transposeB: false })).toThrow(/b is too small: 160 bytes/);
  });

  it('rejects transposeA with transposeB', async () => {
    const ctx = await gpu();
    const a = ctx.pool.storage('a', 'activations', 4 * 8 * 4);
    const b = ctx.pool.storage('b', 'weights', 8 * 6 * 4);
    const out = ctx.pool.storage('out', 'activations', 4 * 6 * 4);

    expect(() => makeMatmul(ctx, 'tt', { a, b, out, M: 4, K: 8, N: 6, transposeA: true, transposeB: true })).toThrow(/transposeA or transposeB, not both/);
  });

  it('reference TN reads a as K×M', () => {
    // a = [[1, 2, 3], [4, 5, 6]] stored K×M with K = 2, M = 3; b = [[1], [10]] is K×N with N = 1.
    const a = new Float32Array([1, 2, 3, 4, 5, 6]);
    const b = new Float32Array([1, 10]);

    expect(Array.from(matmulRef(a, b, null, 3, 2, 1, false, true))).toEqual([41, 52, 63]);
  });

  it('leaves out untouched beyond M*N', async () => {
    const ctx = await gpu();
    const [M, K, N] = [5, 9, 11];
    const a = ctx.pool.storageFrom('a', 'activations', randomArray(M * K, 3));
    const b = ctx.pool.storageFrom('b', 'weights', randomArray(K * N, 4));
    const sentinel = new Float32Array(M * N + 64).fill(42);
    const out = ctx.pool.storageFrom('out', 'activations', sentinel);

    runDispatches(ctx, [makeMatmul(ctx, 'tail', { a, b, out, M, K, N, transposeB: false })]);
    const tail = (await readF32(ctx, out)).subarray(M * N);

    expect(Array.from(tail)).toEqual(Array.from(sentinel.subarray(M * N)));
  });
});
