import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../kernels/gpu/context';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { makeStepParams, writeStepParams } from '../../kernels/perturb/step-params';
import { makeQr } from '../../kernels/qr/qr';
import { qrRef } from '../../kernels/qr/qr.ref';
import { makeGaussianFill } from '../../kernels/rng/rng';
import { fillGaussianRef } from '../../kernels/rng/rng.ref';
import { compare, gpu } from '../helpers/gpu';

// Tolerances of f32 MGS with one re-orthogonalisation on Gaussian input. Dawn on lavapipe measured
// at most 2.7e-7, 4.0e-7 and 2.0e-7 for these on the cases below.
const ORTHOGONALITY_TOLERANCE = 1e-6; // max |QᵀQ − I|
const RECONSTRUCTION_TOLERANCE = 2e-6; // max |Q R − A| / max |A|, with R = Qᵀ A
const TRIANGULAR_TOLERANCE = 1e-6; // max |(Qᵀ A)[i, j]| / max |A| for i > j

async function gpuQr(ctx: GpuContext, a: Float32Array, m: number, r: number): Promise<Float32Array> {
  const buffer = ctx.pool.storageFrom('qr test a', 'perturbation', a);
  runDispatches(ctx, [makeQr(ctx, 'qr test', { a: buffer, m, r })]);
  const q = await readF32(ctx, buffer, m * r);
  ctx.pool.release(buffer);
  return q;
}

/** Returns QᵀB in f64 for [M, R] Q and [M, R] B. */
function transposeTimes(q: Float32Array, b: Float32Array, m: number, r: number): Float64Array {
  const out = new Float64Array(r * r);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < r; k++) {
      const qik = q[i * r + k];
      for (let j = 0; j < r; j++) out[k * r + j] += qik * b[i * r + j];
    }
  }
  return out;
}

function maxAbs(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  return max;
}

/** Checks orthonormality, R = QᵀA upper triangular with positive diagonal, and Q R = A. */
function checkFactorisation(q: Float32Array, a: Float32Array, m: number, r: number) {
  const gram = transposeTimes(q, q, m, r);
  let orthogonality = 0;
  for (let k = 0; k < r; k++) {
    for (let j = 0; j < r; j++) orthogonality = Math.max(orthogonality, Math.abs(gram[k * r + j] - (k === j ? 1 : 0)));
  }

  const rFactor = transposeTimes(q, a, m, r);
  const scale = maxAbs(a);
  let belowDiagonal = 0;
  let minDiagonal = Infinity;
  for (let k = 0; k < r; k++) {
    minDiagonal = Math.min(minDiagonal, rFactor[k * r + k]);
    for (let j = 0; j < k; j++) belowDiagonal = Math.max(belowDiagonal, Math.abs(rFactor[k * r + j]) / scale);
  }

  let reconstruction = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < r; j++) {
      let sum = 0;
      for (let k = 0; k <= j; k++) sum += q[i * r + k] * rFactor[k * r + j];
      reconstruction = Math.max(reconstruction, Math.abs(sum - a[i * r + j]) / scale);
    }
  }
  return { orthogonality, belowDiagonal, minDiagonal, reconstruction };
}

describe('qr (modified Gram–Schmidt)', () => {
  // Q against the Householder reference, max abs error: |ΔQ| grows with cond(A), which is small for
  // tall Gaussian matrices and larger for square ones (64×64 measured 3.9e-7, the others ≤ 9e-8).
  const cases = [
    { m: 1, r: 1, tolerance: 1e-6 },
    { m: 100, r: 1, tolerance: 1e-6 },
    { m: 8, r: 8, tolerance: 1e-6 },
    { m: 37, r: 5, tolerance: 1e-6 },
    { m: 64, r: 64, tolerance: 4e-6 },
    { m: 300, r: 64, tolerance: 1e-6 },
    { m: 1000, r: 48, tolerance: 1e-6 },
    { m: 5001, r: 3, tolerance: 1e-6 },
  ];

  it.each(cases)('matches reference for %j', async ({ m, r, tolerance }) => {
    const ctx = await gpu();
    const a = fillGaussianRef(31, m * 100 + r, m * r);

    const q = await gpuQr(ctx, a, m, r);

    const result = compare(q, qrRef(a, m, r), tolerance);
    expect(result.mismatches, `max abs error ${result.maxAbs}`).toEqual([]);

    const check = checkFactorisation(q, a, m, r);
    expect(check.orthogonality).toBeLessThan(ORTHOGONALITY_TOLERANCE);
    expect(check.belowDiagonal).toBeLessThan(TRIANGULAR_TOLERANCE);
    expect(check.minDiagonal).toBeGreaterThan(0);
    expect(check.reconstruction).toBeLessThan(RECONSTRUCTION_TOLERANCE);
  });

  it('reference is orthonormal with positive diagonal', () => {
    const m = 50;
    const r = 7;
    const a = fillGaussianRef(2, 2, m * r);
    const check = checkFactorisation(qrRef(a, m, r), a, m, r);
    expect(check.orthogonality).toBeLessThan(1e-6);
    expect(check.minDiagonal).toBeGreaterThan(0);
    expect(check.reconstruction).toBeLessThan(1e-6);
  });

  it('orthonormalises a badly scaled matrix', async () => {
    // Columns scaled over 6 orders of magnitude and a near-duplicate column: one MGS pass alone
    // leaves QᵀQ visibly off the identity, the re-orthogonalisation pass repairs it.
    const ctx = await gpu();
    const m = 200;
    const r = 6;
    const a = fillGaussianRef(8, 8, m * r);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < r; j++) a[i * r + j] *= 10 ** (j - 3);
      a[i * r + 5] = a[i * r + 4] * 100 + 1e-3 * a[i * r + 5];
    }

    const q = await gpuQr(ctx, a, m, r);

    expect(checkFactorisation(q, a, m, r).orthogonality).toBeLessThan(ORTHOGONALITY_TOLERANCE);
  });

  it('follows a Gaussian fill on the GPU', async () => {
    // The SubZero path: fill U with makeGaussianFill, then QR in place, all on the GPU.
    const ctx = await gpu();
    const m = 333;
    const r = 24;
    const step = makeStepParams(ctx, 'qr test step');
    writeStepParams(ctx, step, { seed: 4242, c: 0, keep: 1 });
    const buffer = ctx.pool.storage('qr test u', 'perturbation', m * r * 4);

    runDispatches(ctx, [
      makeGaussianFill(ctx, 'qr test fill', { out: buffer, n: m * r, stream: 9, step }),
      makeQr(ctx, 'qr test', { a: buffer, m, r }),
    ]);

    const q = await readF32(ctx, buffer, m * r);
    const expected = qrRef(fillGaussianRef(4242, 9, m * r), m, r);
    expect(compare(q, expected, 1e-6).mismatches).toEqual([]);
    ctx.pool.release(buffer);
    ctx.pool.release(step);
  });

  it('rejects invalid shapes', async () => {
    const ctx = await gpu();
    const a = ctx.pool.storage('qr test a', 'perturbation', 4096);
    expect(() => makeQr(ctx, 'shape', { a, m: 3, r: 4 })).toThrow(/m must be an integer ≥ r = 4/);
    expect(() => makeQr(ctx, 'shape', { a, m: 100, r: 65 })).toThrow(/r must be an integer in \[1, 64\]/);
    expect(() => makeQr(ctx, 'shape', { a, m: 100, r: 20 })).toThrow(/a is too small/);
    ctx.pool.release(a);
  });
});
