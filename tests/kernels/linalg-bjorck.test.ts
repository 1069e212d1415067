import { describe, expect, it } from 'vitest';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { makeBjorck } from '../../kernels/linalg/bjorck';
import { bjorckRef } from '../../kernels/linalg/bjorck.ref';
import { createLinalgWorkspace, releaseLinalgWorkspace } from '../../kernels/linalg/common';
import { compare, gpu, randomArray } from '../helpers/gpu';
import { randomOrthogonal } from './linalg-fixtures';

/** Returns an orthogonal matrix plus uniform noise of the given size, like a dequantized eigenvector matrix. */
function perturbedOrthogonal(n: number, noise: number, seed: number): Float32Array {
  const q = randomOrthogonal(n, seed);
  const e = randomArray(n * n, seed + 1, noise);
  return Float32Array.from(q, (value, i) => value + e[i]);
}

function orthogonalityError(v: ArrayLike<number>, n: number): number {
  let max = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += v[i * n + k] * v[j * n + k];
      max = Math.max(max, Math.abs(sum - (i === j ? 1 : 0)));
    }
  }
  return max;
}

describe('Björck rectification', () => {
  it.each([
    { n: 1, steps: 1 },
    { n: 5, steps: 1 },
    { n: 17, steps: 2 },
    { n: 65, steps: 4 },
    { n: 130, steps: 1 },
  ])('matches reference for %j', async ({ n, steps }) => {
    const ctx = await gpu();
    const v = perturbedOrthogonal(n, 0.01, n);
    const buffer = ctx.pool.storageFrom('bjorck v', 'preconditioner', v);
    const workspace = createLinalgWorkspace(ctx, 'bjorck workspace', n);

    runDispatches(ctx, makeBjorck(ctx, 'bjorck test', { v: buffer, n, steps, workspace }));

    const actual = await readF32(ctx, buffer, n * n);
    // Each step rounds two GEMMs of n products of entries O(1/√n): largest seen 1.2e-7 (n = 130, 200).
    const result = compare(actual, bjorckRef(v, n, steps), 1e-8 * n + 2e-7);
    expect(result.mismatches, `max ${result.maxAbs}`).toEqual([]);
    releaseLinalgWorkspace(ctx, workspace);
    ctx.pool.release(buffer);
  });

  it('restores orthogonality of a 4-bit-like perturbation in four steps', async () => {
    // Noise of ±0.03 (as a 4-bit code of a unit eigenvector row may carry) makes max|VVᵀ − I|
    // about 0.2; four steps bring it to f32 rounding.
    const ctx = await gpu();
    const n = 67;
    const v = perturbedOrthogonal(n, 0.03, 9);
    expect(orthogonalityError(v, n)).toBeGreaterThan(0.05);
    const buffer = ctx.pool.storageFrom('bjorck v', 'preconditioner', v);
    const workspace = createLinalgWorkspace(ctx, 'bjorck workspace', n);

    runDispatches(ctx, makeBjorck(ctx, 'bjorck test', { v: buffer, n, steps: 4, workspace }));

    expect(orthogonalityError(await readF32(ctx, buffer, n * n), n)).toBeLessThan(2e-6);
    releaseLinalgWorkspace(ctx, workspace);
    ctx.pool.release(buffer);
  });
});
