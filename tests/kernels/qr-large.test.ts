import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../kernels/gpu/context';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { createLinalgWorkspace, releaseLinalgWorkspace } from '../../kernels/linalg/common';
import { qrRef } from '../../kernels/qr/qr.ref';
import { makeQrLarge } from '../../kernels/qr-large/qr-large';
import { qrLargeRef, type QrLayout } from '../../kernels/qr-large/qr-large.ref';
import { compare, gpu, randomArray } from '../helpers/gpu';

async function gpuQr(ctx: GpuContext, a: Float32Array, m: number, k: number, layout: QrLayout): Promise<Float32Array> {
  const buffer = ctx.pool.storageFrom('qr large a', 'preconditioner', a);
  // Order m: the panel copy and the projection need up to min(k, 32)·m entries each.
  const workspace = createLinalgWorkspace(ctx, 'qr large workspace', m);
  runDispatches(ctx, makeQrLarge(ctx, 'qr large test', { a: buffer, m, k, layout, workspace }));
  const q = await readF32(ctx, buffer, m * k);
  releaseLinalgWorkspace(ctx, workspace);
  ctx.pool.release(buffer);
  return q;
}

/** Returns an accessor (i, j) → element i of vector j for a matrix stored in `layout`. */
function element(data: ArrayLike<number>, m: number, k: number, layout: QrLayout): (i: number, j: number) => number {
  return layout === 'columns' ? (i, j) => data[i * k + j] : (i, j) => data[j * m + i];
}

/** Computes in f64 max|QᵀQ − I|, max|(QᵀA) below the diagonal| / max|A|, diag(QᵀA) and max|Q·triu(QᵀA) − A| / max|A|. */
function checkFactorisation(q: ArrayLike<number>, a: ArrayLike<number>, m: number, k: number, layout: QrLayout) {
  const qe = element(q, m, k, layout);
  const ae = element(a, m, k, layout);
  let scale = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) scale = Math.max(scale, Math.abs(ae(i, j)));

  const r = new Float64Array(k * k);
  let orthogonality = 0;
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < k; j++) {
      let gram = 0;
      let projection = 0;
      for (let i = 0; i < m; i++) {
        gram += qe(i, p) * qe(i, j);
        projection += qe(i, p) * ae(i, j);
      }
      orthogonality = Math.max(orthogonality, Math.abs(gram - (p === j ? 1 : 0)));
      r[p * k + j] = projection;
    }
  }

  let belowDiagonal = 0;
  let minDiagonal = Infinity;
  for (let p = 0; p < k; p++) {
    minDiagonal = Math.min(minDiagonal, r[p * k + p]);
    for (let j = 0; j < p; j++) belowDiagonal = Math.max(belowDiagonal, Math.abs(r[p * k + j]) / scale);
  }

  let reconstruction = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) {
      let sum = 0;
      for (let p = 0; p <= j; p++) sum += qe(i, p) * r[p * k + j];
      reconstruction = Math.max(reconstruction, Math.abs(sum - ae(i, j)) / scale);
    }
  }
  return { orthogonality, belowDiagonal, minDiagonal, lastDiagonal: r[k * k - 1], reconstruction };
}

function transpose(data: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return out;
}

describe('large QR (blocked MGS, two passes)', () => {
  // Uniform [-1, 1) input: Q against the Householder reference (unique with diag(R) > 0) and the
  // f64 MGS reference. |ΔQ| grows with cond(A), which is largest for square inputs: 3.0e-7 seen
  // for 130×130, 4.6e-7 for 200×200; max|QᵀQ − I| ≤ 2.5e-7 and the reconstruction ≤ 7.7e-7.
  it.each([
    { m: 1, k: 1, layout: 'columns' as const },
    { m: 5, k: 5, layout: 'rows' as const },
    { m: 17, k: 5, layout: 'columns' as const },
    { m: 64, k: 33, layout: 'rows' as const },
    { m: 100, k: 64, layout: 'columns' as const },
    { m: 130, k: 130, layout: 'columns' as const },
    { m: 131, k: 97, layout: 'rows' as const },
  ])('factorises %j', async ({ m, k, layout }) => {
    const ctx = await gpu();
    const stored = randomArray(m * k, m * 1000 + k);
    const q = await gpuQr(ctx, stored, m, k, layout);

    const check = checkFactorisation(q, stored, m, k, layout);
    expect(check.orthogonality).toBeLessThan(2e-6);
    expect(check.belowDiagonal).toBeLessThan(2e-6);
    expect(check.minDiagonal).toBeGreaterThan(0);
    expect(check.reconstruction).toBeLessThan(2e-6);

    const columnMajor = layout === 'columns' ? stored : transpose(stored, k, m);
    const householder = qrRef(columnMajor, m, k);
    const expected = layout === 'columns' ? householder : transpose(householder, m, k);
    const result = compare(q, expected, 2e-6);
    expect(result.mismatches, `max ${result.maxAbs}`).toEqual([]);
    const reference = compare(q, qrLargeRef(stored, m, k, layout), 2e-6);
    expect(reference.mismatches, `max ${reference.maxAbs}`).toEqual([]);
  });

  it('orthonormalises columns scaled over six orders of magnitude', async () => {
    const ctx = await gpu();
    const [m, k] = [90, 70];
    const a = randomArray(m * k, 4);
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) a[i * k + j] *= 10 ** (-6 * (j / (k - 1)));
    const q = await gpuQr(ctx, a, m, k, 'columns');
    const check = checkFactorisation(q, a, m, k, 'columns');
    expect(check.orthogonality).toBeLessThan(2e-6);
    expect(check.reconstruction).toBeLessThan(2e-6);
    expect(check.minDiagonal).toBeGreaterThan(0);
  });

  it('keeps dependent and zero vectors finite and orthonormal', async () => {
    // Vector 3 is zero, vector 7 repeats vector 2 and vector 40 is a combination of 0 and 1: all
    // count as dependent. The last vector, 1e-9 of the others, is small but independent.
    const ctx = await gpu();
    const [m, k] = [77, 45];
    const a = randomArray(k * m, 5);
    for (let i = 0; i < m; i++) {
      a[3 * m + i] = 0;
      a[7 * m + i] = a[2 * m + i];
      a[40 * m + i] = 2 * a[0 * m + i] - a[1 * m + i];
      a[44 * m + i] *= 1e-9;
    }
    const q = await gpuQr(ctx, a, m, k, 'rows');

    expect(q.every(Number.isFinite)).toBe(true);
    const check = checkFactorisation(q, a, m, k, 'rows');
    expect(check.orthogonality).toBeLessThan(2e-6);
    expect(check.reconstruction).toBeLessThan(2e-6);
    expect(check.minDiagonal).toBeGreaterThan(-1e-6);
    expect(check.lastDiagonal).toBeGreaterThan(0);
    // The replacement vectors are the reference's: same hash, same projections.
    const expected = qrLargeRef(a, m, k, 'rows');
    const result = compare(q, expected, 2e-6);
    expect(result.mismatches, `max ${result.maxAbs}`).toEqual([]);
  });

  it('rejects more vectors than their length', async () => {
    const ctx = await gpu();
    const a = ctx.pool.storage('qr large a', 'preconditioner', 4 * 100);
    const workspace = createLinalgWorkspace(ctx, 'qr large workspace', 10);
    expect(() => makeQrLarge(ctx, 'shape', { a, m: 5, k: 6, layout: 'columns', workspace })).toThrow(/m must be an integer ≥ k = 6/);
    expect(() => makeQrLarge(ctx, 'size', { a, m: 11, k: 10, layout: 'rows', workspace })).toThrow(/a is too small/);
    releaseLinalgWorkspace(ctx, workspace);
    ctx.pool.release(a);
  });
});
