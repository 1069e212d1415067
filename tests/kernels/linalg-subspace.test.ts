import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../app/optim/shampoo/eigen';
import type { GpuContext } from '../../kernels/gpu/context';
import { readF32, runDispatches, type Dispatch } from '../../kernels/gpu/dispatch';
import { makeBjorck } from '../../kernels/linalg/bjorck';
import { createLinalgWorkspace, releaseLinalgWorkspace } from '../../kernels/linalg/common';
import { makeDiagQuadratic } from '../../kernels/linalg/diag-quadratic';
import { makeCopy } from '../../kernels/linalg/elementwise';
import { makeGemm, rowMajor } from '../../kernels/linalg/gemm';
import { makeQrLarge } from '../../kernels/qr-large/qr-large';
import { gpu } from '../helpers/gpu';
import { identity, logSpectrum, spdMatrix } from './linalg-fixtures';

// The 4-bit Shampoo preconditioner update on a fixed SPD matrix A, composed from the kernels:
// Vᵀ ← Björck(Vᵀ); Vᵀ ← rows of QR(Vᵀ·A) (= (Q of A·V)ᵀ, A symmetric); S = diag(Vᵀ·A·V).
// Warm-started from V = I, each update is one step of subspace iteration, so vₖ converges to
// A's k-th eigenvector like (λₖ₊₁/λₖ)^updates and S to the eigenvalues like the square of that.

interface SubspaceState {
  vt: Float32Array;
  values: Float32Array;
}

async function runUpdates(ctx: GpuContext, a: Float32Array, n: number, checkpoints: number[]): Promise<SubspaceState[]> {
  const aBuffer = ctx.pool.storageFrom('subspace a', 'preconditioner', a);
  const vt = ctx.pool.storageFrom('subspace vt', 'preconditioner', identity(n));
  const z = ctx.pool.storage('subspace z', 'preconditioner', n * n * 4);
  const values = ctx.pool.storage('subspace values', 'preconditioner', n * 4);
  const workspace = createLinalgWorkspace(ctx, 'subspace workspace', n);
  const update: Dispatch[] = [
    ...makeBjorck(ctx, 'subspace rectify', { v: vt, n, steps: 1, workspace }),
    makeGemm(ctx, 'subspace Vᵀ·A', { a: rowMajor(vt, n), b: rowMajor(aBuffer, n), out: z, m: n, k: n, n }),
    ...makeQrLarge(ctx, 'subspace QR', { a: z, m: n, k: n, layout: 'rows', workspace }),
    makeCopy(ctx, 'subspace store', { src: z, out: vt, count: n * n }),
    ...makeDiagQuadratic(ctx, 'subspace S', { p: vt, a: aBuffer, n, layout: 'rows', out: values, workspace }),
  ];

  const states: SubspaceState[] = [];
  let done = 0;
  for (const checkpoint of checkpoints) {
    runDispatches(ctx, Array.from({ length: checkpoint - done }, () => update).flat());
    done = checkpoint;
    states.push({ vt: await readF32(ctx, vt, n * n), values: await readF32(ctx, values, n) });
  }
  releaseLinalgWorkspace(ctx, workspace);
  for (const buffer of [aBuffer, vt, z, values]) ctx.pool.release(buffer);
  return states;
}

/** Largest 1 − |vₖ·uₖ| over k, with uₖ the true eigenvectors in descending eigenvalue order (sign-free). */
function vectorError(vt: Float32Array, truth: Float64Array, n: number): number {
  let worst = 0;
  for (let k = 0; k < n; k++) {
    let dot = 0;
    for (let j = 0; j < n; j++) dot += vt[k * n + j] * truth[(n - 1 - k) * n + j];
    worst = Math.max(worst, 1 - Math.abs(dot));
  }
  return worst;
}

/** Largest |Sₖ − λₖ| / λmax, eigenvalues in descending order. */
function valueError(values: Float32Array, truth: Float64Array, n: number): number {
  let worst = 0;
  for (let k = 0; k < n; k++) worst = Math.max(worst, Math.abs(values[k] - truth[n - 1 - k]) / truth[n - 1]);
  return worst;
}

describe('subspace iteration from the linalg kernels', () => {
  it.each([
    { n: 17, cond: 1e3, checkpoints: [5, 15, 40], vectorTolerance: 5e-7, valueTolerance: 1e-6 },
    { n: 33, cond: 1e3, checkpoints: [10, 30, 70], vectorTolerance: 5e-7, valueTolerance: 1e-6 },
  ])('converges to the eigenpairs of a fixed SPD matrix, %j', async ({ n, cond, checkpoints, vectorTolerance, valueTolerance }) => {
    const ctx = await gpu();
    const { a } = spdMatrix(logSpectrum(n, cond, 2), n, 40 + n);
    const truth = symmetricEigen(a, n);

    const states = await runUpdates(ctx, a, n, checkpoints);

    const vectorErrors = states.map((state) => vectorError(state.vt, truth.vectors, n));
    const valueErrors = states.map((state) => valueError(state.values, truth.values, n));
    // Errors fall from update to update until f32 rounding.
    expect(vectorErrors[1]).toBeLessThan(vectorErrors[0]);
    expect(valueErrors[1]).toBeLessThan(valueErrors[0]);
    expect(vectorErrors[2], `vector errors ${vectorErrors}`).toBeLessThan(vectorTolerance);
    expect(valueErrors[2], `value errors ${valueErrors}`).toBeLessThan(valueTolerance);
    // Eigenvalues come out in descending order.
    const last = states[2].values;
    for (let k = 1; k < n; k++) expect(last[k]).toBeLessThan(last[k - 1]);
  });
});
