import { describe, expect, it } from 'vitest';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { createLinalgWorkspace, releaseLinalgWorkspace } from '../../kernels/linalg/common';
import { makeDiagQuadratic } from '../../kernels/linalg/diag-quadratic';
import { diagQuadraticRef } from '../../kernels/linalg/diag-quadratic.ref';
import { makeGemm, rowMajor } from '../../kernels/linalg/gemm';
import { compare, gpu } from '../helpers/gpu';
import { logSpectrum, randomOrthogonal, spdMatrix } from './linalg-fixtures';

describe('diag(Pᵀ·A·P)', () => {
  it.each([
    { n: 1, layout: 'columns' as const },
    { n: 5, layout: 'rows' as const },
    { n: 17, layout: 'columns' as const },
    { n: 130, layout: 'rows' as const },
    { n: 131, layout: 'columns' as const },
  ])('matches reference for %j', async ({ n, layout }) => {
    const ctx = await gpu();
    const { a } = spdMatrix(logSpectrum(n, 100, 2), n, n);
    const p = Float32Array.from(randomOrthogonal(n, n + 5));
    const aBuffer = ctx.pool.storageFrom('diag a', 'preconditioner', a);
    const pBuffer = ctx.pool.storageFrom('diag p', 'preconditioner', p);
    const out = ctx.pool.storage('diag out', 'preconditioner', n * 4);
    const workspace = createLinalgWorkspace(ctx, 'diag workspace', n);

    runDispatches(ctx, makeDiagQuadratic(ctx, 'diag test', { p: pBuffer, a: aBuffer, n, layout, out, workspace }));

    // Two f32 sums of n terms at the scale of λmax = 2: largest seen 1.2e-7.
    const expected = diagQuadraticRef(p, a, n, layout);
    const result = compare(await readF32(ctx, out, n), expected, 2e-8 * n + 2e-7);
    expect(result.mismatches, `max ${result.maxAbs}`).toEqual([]);
    releaseLinalgWorkspace(ctx, workspace);
    for (const buffer of [aBuffer, pBuffer, out]) ctx.pool.release(buffer);
  });

  it('reads the eigenvalues off exact eigenvectors, from a given product', async () => {
    const ctx = await gpu();
    const n = 33;
    const values = logSpectrum(n, 1e3, 5);
    const { a, vectors } = spdMatrix(values, n, 4);
    // vectors is Vᵀ (rows are eigenvectors): the 'rows' layout.
    const pBuffer = ctx.pool.storageFrom('diag p', 'preconditioner', Float32Array.from(vectors));
    const aBuffer = ctx.pool.storageFrom('diag a', 'preconditioner', a);
    const product = ctx.pool.storage('diag product', 'preconditioner', n * n * 4);
    const out = ctx.pool.storage('diag out', 'preconditioner', n * 4);

    runDispatches(ctx, [
      makeGemm(ctx, 'P·A', { a: rowMajor(pBuffer, n), b: rowMajor(aBuffer, n), out: product, m: n, k: n, n }),
      ...makeDiagQuadratic(ctx, 'diag test', { p: pBuffer, product, n, layout: 'rows', out }),
    ]);

    const result = compare(await readF32(ctx, out, n), values, 2e-6 * 5);
    expect(result.mismatches, `max ${result.maxAbs}`).toEqual([]);
    for (const buffer of [aBuffer, pBuffer, product, out]) ctx.pool.release(buffer);
  });
});
