import { describe, expect, it } from 'vitest';
import { makeBiasGrad } from '../../kernels/bias-grad/bias-grad';
import { biasGradRef } from '../../kernels/bias-grad/bias-grad.ref';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { compare, gpu, randomArray } from '../helpers/gpu';

// Shapes as [N, M]: single elements, N below, at and above one 256-row chunk, M below and above
// the 16 columns of a workgroup, and N = 50000 (a conv layer's B·OH·OW) in 196 chunks. M = 70
// spreads over more second-pass workgroups than the 64 threads of one.
const SHAPES: [number, number][] = [
  [1, 1],
  [7, 3],
  [255, 17],
  [256, 16],
  [257, 33],
  [1000, 10],
  [50000, 3],
  [300, 70],
];

// Inputs lie in [-1, 1). Each thread adds 16 rows in f32, trees add the 16 lanes and the chunk
// sums, so the rounding error is at most about 30 · 2⁻²⁴ · Σ|dy| of a column at N = 50000. In
// practice it stays below 0.33 · 2⁻²⁴ · Σ|dy| (2.0e-5 at N = 50000), so the tolerance is
// 2⁻²⁴ · Σ|dy| of the largest column. A dropped row can hide below that when its entry is tiny,
// so the integer test below checks dropped and repeated rows exactly.
function tolerance(dy: Float32Array, N: number, M: number): number {
  const columnAbsSums = new Float64Array(M);
  for (let i = 0; i < N * M; i++) columnAbsSums[i % M] += Math.abs(dy[i]);
  return 2 ** -24 * Math.max(...columnAbsSums);
}

async function runBiasGrad(dy: Float32Array, N: number, M: number): Promise<Float32Array> {
  const ctx = await gpu();
  const bufDy = ctx.pool.storageFrom('dy', 'gradients', dy);
  const out = ctx.pool.storage('out', 'gradients', M * 4);

  const { result: dispatches, buffers } = ctx.pool.capture(() => makeBiasGrad(ctx, 'bias grad test', { dy: bufDy, out, N, M }));
  runDispatches(ctx, dispatches);
  const actual = await readF32(ctx, out);

  for (const buffer of [bufDy, out, ...buffers]) ctx.pool.release(buffer);
  return actual;
}

describe('bias grad', () => {
  it.each(SHAPES)('matches reference for N=%i M=%i', async (N, M) => {
    const dy = randomArray(N * M, N * 3 + M);

    const result = compare(await runBiasGrad(dy, N, M), biasGradRef(dy, N, M), tolerance(dy, N, M));
    expect(result.mismatches).toEqual([]);
  });

  it('is exact for integer inputs', async () => {
    // Integers in [-8, 8]: every partial sum is an integer below 2^24, so f32 adds them exactly
    // and any dropped or repeated row shows as a difference of at least 1.
    const [N, M] = [50000, 5];
    const dy = randomArray(N * M, 77).map((value) => Math.round(value * 8));

    expect(Array.from(await runBiasGrad(dy, N, M))).toEqual(Array.from(biasGradRef(dy, N, M)));
  });

  it('is bit-identical across runs', async () => {
    const [N, M] = [20000, 7];
    const dy = randomArray(N * M, 78);

    const first = await runBiasGrad(dy, N, M);
    const second = await runBiasGrad(dy, N, M);

    expect(Array.from(second)).toEqual(Array.from(first));
  });

  it('rejects out aliasing dy', async () => {
    const ctx = await gpu();
    const dy = ctx.pool.storage('dy', 'gradients', 64);

    expect(() => makeBiasGrad(ctx, 'aliased', { dy, out: dy, N: 4, M: 4 })).toThrow(/separate buffer from dy/);
  });
});
