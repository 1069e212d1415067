import { describe, expect, it } from 'vitest';
import { fromEigen, inverseRoot } from '../../app/optim/shampoo/eigen';
import type { GpuContext } from '../../kernels/gpu/context';
import { readF32, readU32, runDispatches } from '../../kernels/gpu/dispatch';
import { createLinalgWorkspace, releaseLinalgWorkspace } from '../../kernels/linalg/common';
import { makeEigenRoot } from '../../kernels/linalg/eigen-root';
import { eigenRootRef } from '../../kernels/linalg/eigen-root.ref';
import { decodeRootStatus, ROOT_FLAGS, ROOT_STATUS_WORDS, type RootStatus } from '../../kernels/linalg/root-status';
import { compare, gpu } from '../helpers/gpu';
import { identity, logSpectrum, randomOrthogonal, relativeFrobenius } from './linalg-fixtures';

async function gpuEigenRoot(ctx: GpuContext, vt: Float32Array, values: Float32Array, n: number, previous: Float32Array, epsilon?: number): Promise<{ root: Float32Array; status: RootStatus }> {
  const vtBuffer = ctx.pool.storageFrom('eigen root vt', 'preconditioner', vt);
  const valuesBuffer = ctx.pool.storageFrom('eigen root values', 'preconditioner', values);
  const root = ctx.pool.storageFrom('eigen root out', 'preconditioner', previous);
  const status = ctx.pool.storageFrom('eigen root status', 'staging', new Uint32Array(ROOT_STATUS_WORDS + 2));
  const workspace = createLinalgWorkspace(ctx, 'eigen root workspace', n);
  runDispatches(ctx, makeEigenRoot(ctx, 'eigen root test', { vt: vtBuffer, values: valuesBuffer, n, root, status, statusOffset: 2, workspace, epsilon }));
  const result = { root: await readF32(ctx, root, n * n), status: decodeRootStatus(await readU32(ctx, status), 2) };
  releaseLinalgWorkspace(ctx, workspace);
  for (const buffer of [vtBuffer, valuesBuffer, root, status]) ctx.pool.release(buffer);
  return result;
}

describe('eigen inverse root V·diag(f(S))·Vᵀ', () => {
  it.each([
    { n: 1, cond: 1 },
    { n: 5, cond: 10 },
    { n: 17, cond: 1e4 },
    { n: 130, cond: 1e6 },
  ])('matches reference for %j', async ({ n, cond }) => {
    const ctx = await gpu();
    const vt = Float32Array.from(randomOrthogonal(n, n));
    const values = Float32Array.from(logSpectrum(n, cond, 3));
    if (n > 1) values[n - 1] = -1e-7; // a rounding-negative eigenvalue, clamped to 0

    const { root, status } = await gpuEigenRoot(ctx, vt, values, n, identity(n));

    expect(status.flags).toBe(0);
    expect(status.written).toBe(true);
    expect(status.lambdaMax).toBe(3);
    const expected = eigenRootRef(vt, values, n)!;
    // n weighted products of entries up to f(S) ≤ (ε·max S)^(−1/4): largest seen 2.6e-9·n·max|Â|.
    const largest = Math.max(...Array.from(expected, Math.abs));
    const result = compare(root, expected, 2e-8 * n * largest + 1e-6);
    expect(result.mismatches, `max ${result.maxAbs}`).toEqual([]);
    // Symmetric by construction: both triangles sum the same rounded products.
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(root[i * n + j]).toBe(root[j * n + i]);
  });

  it('agrees with the f64 inverse root of the rebuilt matrix', async () => {
    const ctx = await gpu();
    const n = 40;
    const vt = randomOrthogonal(n, 3);
    const values = logSpectrum(n, 1e3, 1);
    const { root } = await gpuEigenRoot(ctx, Float32Array.from(vt), Float32Array.from(values), n, identity(n));
    const exact = inverseRoot(fromEigen(vt, values, n), n, 4, 1e-6);
    expect(relativeFrobenius(root, exact)).toBeLessThan(1e-5);
  });

  it('keeps the previous root on a non-finite input', async () => {
    const ctx = await gpu();
    const n = 7;
    const vt = Float32Array.from(randomOrthogonal(n, 2));
    const values = Float32Array.from(logSpectrum(n, 10));
    const previous = identity(n, 0.75);

    const badValues = values.slice();
    badValues[3] = NaN;
    const fromValues = await gpuEigenRoot(ctx, vt, badValues, n, previous);
    expect(fromValues.status.flags).toBe(ROOT_FLAGS.NONFINITE_INPUT);
    expect(fromValues.status.keptCount).toBe(1);
    expect(Array.from(fromValues.root)).toEqual(Array.from(previous));

    const badVectors = vt.slice();
    badVectors[10] = -Infinity;
    const fromVectors = await gpuEigenRoot(ctx, badVectors, values, n, previous);
    expect(fromVectors.status.flags).toBe(ROOT_FLAGS.NONFINITE_INPUT);
    expect(Array.from(fromVectors.root)).toEqual(Array.from(previous));
    expect(eigenRootRef(badVectors, values, n)).toBeNull();
  });

  it('keeps the previous root when every eigenvalue is zero', async () => {
    const ctx = await gpu();
    const n = 4;
    const previous = identity(n, 2);
    const { root, status } = await gpuEigenRoot(ctx, identity(n), new Float32Array(n), n, previous);
    expect(status.flags).toBe(ROOT_FLAGS.INVALID_SCALE);
    expect(Array.from(root)).toEqual(Array.from(previous));
  });
});
