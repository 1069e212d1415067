import { describe, expect, it } from 'vitest';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { makeScaledIdentity } from '../../kernels/linalg/elementwise';
import { makeGramEma } from '../../kernels/linalg/gram-ema';
import { gramEmaRef, scaledIdentityRef } from '../../kernels/linalg/gram-ema.ref';
import { compare, gpu, randomArray } from '../helpers/gpu';

// One EMA step: |Δ| ≤ 2e-7·K·(1 − β) for the f32 Gram sum of K products of entries in [-1, 1)
// (as for the matmul), plus rounding of β·L + (1 − β)·GGᵀ at the scale of the result.
function tolerance(inner: number): number {
  return 2e-7 * inner + 2e-7;
}

describe('gram EMA', () => {
  it.each([
    { rows: 1, cols: 1 },
    { rows: 5, cols: 17 },
    { rows: 17, cols: 5 },
    { rows: 64, cols: 130 },
    { rows: 131, cols: 67 },
  ])('matches reference on both sides for %j', async ({ rows, cols }) => {
    const ctx = await gpu();
    const beta = 0.95;
    const g = randomArray(rows * cols, rows * 31 + cols);
    const gBuffer = ctx.pool.storageFrom('gram g', 'gradients', g);
    for (const side of ['left', 'right'] as const) {
      const order = side === 'left' ? rows : cols;
      const start = randomArray(order * order, order + 1, 0.5);
      for (let i = 0; i < order; i++) for (let j = 0; j < i; j++) start[i * order + j] = start[j * order + i];
      const factor = ctx.pool.storageFrom('gram factor', 'preconditioner', start);

      runDispatches(ctx, [makeGramEma(ctx, 'gram test', { g: gBuffer, rows, cols, factor, side, beta })]);

      const actual = await readF32(ctx, factor, order * order);
      const result = compare(actual, gramEmaRef(g, rows, cols, start, side, beta), tolerance(side === 'left' ? cols : rows));
      expect(result.mismatches, `${side}: max ${result.maxAbs}`).toEqual([]);
      for (let i = 0; i < order; i++) {
        for (let j = 0; j < i; j++) expect(actual[i * order + j]).toBe(actual[j * order + i]);
      }
      ctx.pool.release(factor);
    }
    ctx.pool.release(gBuffer);
  });

  it('reads a block of a larger gradient', async () => {
    // The 7×9 block at row 3, column 4 of a 12×20 gradient.
    const ctx = await gpu();
    const [totalRows, totalCols, rows, cols, offset] = [12, 20, 7, 9, 3 * 20 + 4];
    const g = randomArray(totalRows * totalCols, 77);
    const gBuffer = ctx.pool.storageFrom('gram g', 'gradients', g);
    for (const side of ['left', 'right'] as const) {
      const order = side === 'left' ? rows : cols;
      const factor = ctx.pool.storageFrom('gram factor', 'preconditioner', scaledIdentityRef(order, 1e-6));
      runDispatches(ctx, [makeGramEma(ctx, 'gram block', { g: gBuffer, rows, cols, rowStride: totalCols, offset, factor, side, beta: 0.9 })]);
      const expected = gramEmaRef(g, rows, cols, scaledIdentityRef(order, 1e-6), side, 0.9, totalCols, offset);
      expect(compare(await readF32(ctx, factor, order * order), expected, tolerance(side === 'left' ? cols : rows)).mismatches).toEqual([]);
      ctx.pool.release(factor);
    }
    ctx.pool.release(gBuffer);
  });

  it('skips the update when the gate is closed', async () => {
    const ctx = await gpu();
    const g = ctx.pool.storageFrom('gram g', 'gradients', randomArray(12, 3));
    const start = scaledIdentityRef(4, 2);
    const factor = ctx.pool.storageFrom('gram factor', 'preconditioner', start);
    const status = ctx.pool.storageFrom('gram status', 'staging', new Uint32Array([3]));
    runDispatches(ctx, [makeGramEma(ctx, 'gram gated', { g, rows: 4, cols: 3, factor, side: 'left', beta: 0.5, gate: { status, word: 0, runIf: 'zero' } })]);
    expect(Array.from(await readF32(ctx, factor))).toEqual(Array.from(start));
    for (const buffer of [g, factor, status]) ctx.pool.release(buffer);
  });

  it('initialises a factor to ε·I', async () => {
    const ctx = await gpu();
    const n = 37;
    const out = ctx.pool.storageFrom('identity', 'preconditioner', randomArray(n * n, 1));
    runDispatches(ctx, [makeScaledIdentity(ctx, 'identity', { out, n, value: 1e-6 })]);
    expect(Array.from(await readF32(ctx, out))).toEqual(Array.from(scaledIdentityRef(n, 1e-6)));
    ctx.pool.release(out);
  });

  it('rejects an invalid beta and row stride', async () => {
    const ctx = await gpu();
    const g = ctx.pool.storage('gram g', 'gradients', 400);
    const factor = ctx.pool.storage('gram factor', 'preconditioner', 400);
    expect(() => makeGramEma(ctx, 'beta', { g, rows: 5, cols: 5, factor, side: 'left', beta: 1.5 })).toThrow(/beta must be in \[0, 1\]/);
    expect(() => makeGramEma(ctx, 'stride', { g, rows: 5, cols: 5, rowStride: 4, factor, side: 'left', beta: 0.5 })).toThrow(/rowStride/);
    ctx.pool.release(g);
    ctx.pool.release(factor);
  });
});
