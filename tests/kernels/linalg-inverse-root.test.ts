import { describe, expect, it } from 'vitest';
import { inverseRoot } from '../../app/optim/shampoo/eigen';
import type { GpuContext } from '../../kernels/gpu/context';
import { readF32, readU32, runDispatches } from '../../kernels/gpu/dispatch';
import { createLinalgWorkspace, releaseLinalgWorkspace } from '../../kernels/linalg/common';
import { makeInverseRoot } from '../../kernels/linalg/inverse-root';
import { inverseRootRef, type InverseRootOptions } from '../../kernels/linalg/inverse-root.ref';
import { makePowerIteration } from '../../kernels/linalg/power-iteration';
import { powerIterationRef } from '../../kernels/linalg/power-iteration.ref';
import { decodeRootStatus, ROOT_FLAGS, ROOT_STATUS_WORDS, type RootStatus } from '../../kernels/linalg/root-status';
import { gpu } from '../helpers/gpu';
import { distanceFromIdentity, identity, logSpectrum, multiply, relativeFrobenius, spdMatrix } from './linalg-fixtures';

async function gpuPowerIteration(ctx: GpuContext, a: Float32Array, n: number): Promise<number> {
  const aBuffer = ctx.pool.storageFrom('power a', 'preconditioner', a);
  const lambda = ctx.pool.storage('power lambda', 'preconditioner', 4);
  const v = ctx.pool.storage('power v', 'preconditioner', n * 4);
  const w = ctx.pool.storage('power w', 'preconditioner', n * 4);
  runDispatches(ctx, makePowerIteration(ctx, 'power test', { a: aBuffer, n, lambda, v, w }));
  const [value] = await readF32(ctx, lambda);
  for (const buffer of [aBuffer, lambda, v, w]) ctx.pool.release(buffer);
  return value;
}

interface RootRun {
  root: Float32Array;
  status: RootStatus;
}

/** Runs the inverse root with `root` starting as `previous`, status block at word 3 of a 16-word buffer. */
async function gpuInverseRoot(ctx: GpuContext, a: Float32Array, n: number, previous: Float32Array, options: InverseRootOptions = {}): Promise<RootRun> {
  const statusOffset = 3;
  const aBuffer = ctx.pool.storageFrom('root a', 'preconditioner', a);
  const root = ctx.pool.storageFrom('root out', 'preconditioner', previous);
  const status = ctx.pool.storageFrom('root status', 'staging', new Uint32Array(statusOffset + ROOT_STATUS_WORDS + 3));
  const workspace = createLinalgWorkspace(ctx, 'root workspace', n + 3);
  runDispatches(ctx, makeInverseRoot(ctx, 'root test', { a: aBuffer, n, root, status, statusOffset, workspace, ...options }));
  const result = { root: await readF32(ctx, root, n * n), status: decodeRootStatus(await readU32(ctx, status), statusOffset) };
  releaseLinalgWorkspace(ctx, workspace);
  for (const buffer of [aBuffer, root, status]) ctx.pool.release(buffer);
  return result;
}

function shifted(a: Float32Array, n: number, ridge: number): Float64Array {
  const out = Float64Array.from(a);
  for (let i = 0; i < n; i++) out[i * n + i] += ridge;
  return out;
}

describe('power iteration', () => {
  // The Rayleigh quotient is stationary at an eigenvector, so f32 rounding of the iterates barely
  // moves it: the largest relative difference seen is 7.2e-8.
  it.each([
    { n: 1, cond: 1 },
    { n: 5, cond: 10 },
    { n: 17, cond: 100 },
    { n: 130, cond: 1e4 },
  ])('matches reference for %j', async ({ n, cond }) => {
    const ctx = await gpu();
    const { a } = spdMatrix(logSpectrum(n, cond, 3), n, n);
    const expected = powerIterationRef(a, n);
    const actual = await gpuPowerIteration(ctx, a, n);
    expect(Math.abs(actual - expected) / expected).toBeLessThan(5e-7);
    // λmax = 3. The estimate is a lower bound; after 10 iterations it is within 20% even for
    // n = 130, cond 1e4, where λ₂/λ₁ = 0.93.
    expect(actual).toBeLessThanOrEqual(3 * (1 + 1e-6));
    expect(actual).toBeGreaterThan(0.8 * 3);
  });

  it('returns zero for the zero matrix', async () => {
    const ctx = await gpu();
    expect(await gpuPowerIteration(ctx, new Float32Array(49), 7)).toBe(0);
  });
});

describe('inverse root (coupled Newton)', () => {
  it.each([
    { n: 1, cond: 1, scale: 4 },
    { n: 5, cond: 10, scale: 1 },
    { n: 17, cond: 100, scale: 1e-3 },
    { n: 64, cond: 30, scale: 1e3 },
    { n: 67, cond: 100, scale: 2 },
  ])('matches reference and the exact root for %j', async ({ n, cond, scale }) => {
    const ctx = await gpu();
    const { a } = spdMatrix(logSpectrum(n, cond, scale), n, 10 + n);
    const expected = inverseRootRef(a, n);
    const { root, status } = await gpuInverseRoot(ctx, a, n, identity(n, 7));

    expect(status.flags & ~ROOT_FLAGS.NOT_CONVERGED).toBe(0);
    expect(status.written).toBe(true);
    expect(Math.abs(status.lambdaMax - expected.lambdaMax) / expected.lambdaMax).toBeLessThan(2e-6);
    expect(Math.abs(status.scale - expected.scale) / expected.scale).toBeLessThan(2e-6);
    expect(status.error).toBeLessThan(5e-6);
    // f32 max|M − I| stalls near 1e-6, so the GPU may take one or two more iterations than f64.
    expect(Math.abs(status.iterations - expected.iterations)).toBeLessThanOrEqual(2);

    // Relative Frobenius error of the f32 root: largest seen 6.5e-7 (n = 67, cond 100).
    expect(relativeFrobenius(root, expected.root!)).toBeLessThan(5e-6);
    const ridge = 1e-6 * expected.lambdaMax;
    expect(relativeFrobenius(root, inverseRoot(shifted(a, n, ridge), n, 4))).toBeLessThan(5e-6);
    const square = multiply(root, root, n);
    expect(distanceFromIdentity(multiply(multiply(square, square, n), shifted(a, n, ridge), n), n)).toBeLessThan(1e-4);
  });

  it('converges on an ill-conditioned matrix with more iterations', async () => {
    // cond 1e5: 10 iterations leave max|M − I| ≈ 0.26 in f64, 20 reach the tolerance.
    const ctx = await gpu();
    const n = 33;
    const { a } = spdMatrix(logSpectrum(n, 1e5, 1), n, 5);
    const ridge = 1e-6 * powerIterationRef(a, n);
    const exact = inverseRoot(shifted(a, n, ridge), n, 4);

    const capped = await gpuInverseRoot(ctx, a, n, identity(n), {});
    expect(capped.status.iterations).toBe(10);
    expect(capped.status.flags).toBe(ROOT_FLAGS.NOT_CONVERGED);
    expect(capped.status.written).toBe(true);

    const { root, status } = await gpuInverseRoot(ctx, a, n, identity(n), { maxIterations: 20 });
    expect(status.flags & ~ROOT_FLAGS.NOT_CONVERGED).toBe(0);
    expect(status.error).toBeLessThan(5e-6);
    // Rounding Ã to f32 moves its smallest eigenvalues by about 2⁻²⁴·cond(Ã) relative, so the root
    // error grows with cond: 6.9e-5 seen here (cond 1e5), 9.7e-4 at cond 1e6.
    expect(relativeFrobenius(root, exact)).toBeLessThan(2e-4);
    expect(relativeFrobenius(root, inverseRootRef(a, n, { maxIterations: 20 }).root!)).toBeLessThan(2e-4);
    // X⁴Ã − I amplifies a relative error δ of X by up to 4δ·cond(Ã): 6.9e-3 seen.
    const square = multiply(root, root, n);
    expect(distanceFromIdentity(multiply(multiply(square, square, n), shifted(a, n, ridge), n), n)).toBeLessThan(3e-2);
  });

  it('keeps the previous root on a NaN input', async () => {
    const ctx = await gpu();
    const n = 9;
    const { a } = spdMatrix(logSpectrum(n, 10), n, 1);
    a[4 * n + 2] = NaN;
    const previous = identity(n, 0.5);
    previous[1] = 0.25;

    const { root, status } = await gpuInverseRoot(ctx, a, n, previous);

    expect(Array.from(root)).toEqual(Array.from(previous));
    expect(status.flags).toBe(ROOT_FLAGS.NONFINITE_INPUT);
    expect(status.keptCount).toBe(1);
    expect(status.written).toBe(false);
    expect(inverseRootRef(a, n).flags).toBe(ROOT_FLAGS.NONFINITE_INPUT);
  });

  it('keeps the previous root on an infinite input and on the zero matrix', async () => {
    const ctx = await gpu();
    const n = 6;
    const previous = identity(n, 3);
    const infinite = identity(n);
    infinite[n + 1] = Infinity;

    const fromInfinite = await gpuInverseRoot(ctx, infinite, n, previous);
    expect(fromInfinite.status.flags).toBe(ROOT_FLAGS.NONFINITE_INPUT);
    expect(Array.from(fromInfinite.root)).toEqual(Array.from(previous));

    const fromZero = await gpuInverseRoot(ctx, new Float32Array(n * n), n, previous);
    expect(fromZero.status.flags).toBe(ROOT_FLAGS.INVALID_SCALE);
    expect(Array.from(fromZero.root)).toEqual(Array.from(previous));
    expect(inverseRootRef(new Float32Array(n * n), n).flags).toBe(ROOT_FLAGS.INVALID_SCALE);
  });

  it('stops when the error grows and keeps the previous iterate', async () => {
    // An indefinite matrix: the eigenvalue −1 of M₀'s direction never converges, so the error
    // grows, the iteration stops with ERROR_GREW, and the last accepted X is stored.
    const ctx = await gpu();
    const n = 4;
    const a = new Float32Array([4, 0, 0, 0, 0, -3, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]);
    const expected = inverseRootRef(a, n);
    const { root, status } = await gpuInverseRoot(ctx, a, n, identity(n));

    expect(expected.flags & ROOT_FLAGS.ERROR_GREW).toBe(ROOT_FLAGS.ERROR_GREW);
    expect(status.flags & ROOT_FLAGS.ERROR_GREW).toBe(ROOT_FLAGS.ERROR_GREW);
    expect(status.iterations).toBe(expected.iterations);
    expect(status.written).toBe(true);
    expect(relativeFrobenius(root, expected.root!)).toBeLessThan(1e-5);
  });
});
