import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../kernels/gpu/context';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { makePerturbFull, makePerturbLowRank, makeStepParams, writeStepParams, type StepParams } from '../../kernels/perturb/perturb';
import { perturbFullRef, perturbLowRankRef } from '../../kernels/perturb/perturb.ref';
import { fillGaussianRef, gaussianRef } from '../../kernels/rng/rng.ref';
import { gpu, randomArray } from '../helpers/gpu';

const EPSILON_F32 = 2 ** -23;

/**
 * Checks |actual − expected| ≤ bound[i] element-wise and returns up to 5 failures with their
 * bounds, plus the largest error relative to its bound.
 */
function checkWithin(actual: Float32Array, expected: Float32Array, bound: (i: number) => number): { mismatches: string[]; worstRatio: number } {
  const mismatches: string[] = [];
  let worstRatio = 0;
  if (actual.length !== expected.length) return { mismatches: [`length ${actual.length} != ${expected.length}`], worstRatio: Infinity };
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    const limit = bound(i);
    worstRatio = Math.max(worstRatio, error / Math.max(limit, 1e-45));
    if (!(error <= limit) && mismatches.length < 5) mismatches.push(`[${i}] got ${actual[i]}, expected ${expected[i]}, bound ${limit}`);
  }
  return { mismatches, worstRatio };
}

/**
 * Full-rank bound: the GPU may fuse keep·src + c·z into fma, so allow one rounding of each of the
 * two terms and of the sum: 2^-22 · (|keep·src| + |c·z|) covers 2 ulp of the largest term.
 */
function fullRankBound(src: Float32Array, stream: number, applyDecay: boolean, p: StepParams): (i: number) => number {
  return (i) => {
    const base = applyDecay ? p.keep * src[i] : src[i];
    return 2 * EPSILON_F32 * (Math.abs(base) + Math.abs(p.c * gaussianRef(p.seed, stream, i)));
  };
}

async function runFull(ctx: GpuContext, src: Float32Array, stream: number, applyDecay: boolean, p: StepParams, inPlace: boolean) {
  const n = src.length;
  const step = makeStepParams(ctx, 'perturb test step');
  writeStepParams(ctx, step, p);
  const srcBuffer = ctx.pool.storageFrom('perturb test src', 'weights', src);
  const dstBuffer = inPlace ? srcBuffer : ctx.pool.storage('perturb test dst', 'activations', n * 4);

  runDispatches(ctx, [makePerturbFull(ctx, 'perturb test', { src: srcBuffer, dst: dstBuffer, n, stream, applyDecay, step })]);

  const result = { dst: await readF32(ctx, dstBuffer, n), src: await readF32(ctx, srcBuffer, n) };
  ctx.pool.release(srcBuffer);
  if (!inPlace) ctx.pool.release(dstBuffer);
  ctx.pool.release(step);
  return result;
}

describe('full-rank perturbation', () => {
  const cases = [
    { n: 1, inPlace: false, applyDecay: false },
    { n: 255, inPlace: true, applyDecay: false },
    { n: 257, inPlace: false, applyDecay: true },
    { n: 4099, inPlace: true, applyDecay: true },
  ];

  it.each(cases)('matches reference for %j', async ({ n, inPlace, applyDecay }) => {
    const ctx = await gpu();
    const src = randomArray(n, n, 0.5);
    const p = { seed: 1234 + n, c: -3.7e-3, keep: 0.9993 };

    const { dst } = await runFull(ctx, src, 11, applyDecay, p, inPlace);

    const expected = perturbFullRef(src, n, 11, applyDecay, p);
    const check = checkWithin(dst, expected, fullRankBound(src, 11, applyDecay, p));
    expect(check.mismatches).toEqual([]);
  });

  it('copy variant leaves src untouched', async () => {
    const ctx = await gpu();
    const src = randomArray(1000, 5);
    const p = { seed: 9, c: 1e-3, keep: 1 };

    const result = await runFull(ctx, src, 2, false, p, false);

    expect(Array.from(result.src)).toEqual(Array.from(src));
    expect(checkWithin(result.dst, perturbFullRef(src, 1000, 2, false, p), fullRankBound(src, 2, false, p)).mismatches).toEqual([]);
  });

  it('ignores keep without decay', async () => {
    const ctx = await gpu();
    const src = randomArray(300, 6);
    const p = { seed: 9, c: 0, keep: 0.5 };

    const { dst } = await runFull(ctx, src, 2, false, p, false);

    expect(Array.from(dst)).toEqual(Array.from(src));
  });

  it('in-place +c then −c restores weights', async () => {
    // θ1 = fl(θ0 + c z), θ2 = fl(θ1 − c z): |θ2 − θ0| ≤ 2 roundings of |θ0| + |c z|. Also runs
    // MeZO's +ε, −2ε, +ε sequence, which stays within 4 roundings.
    const ctx = await gpu();
    const n = 2053;
    const theta = randomArray(n, 21, 0.2);
    const stream = 4;
    const seed = 777;
    const epsilon = 1e-3;
    const buffer = ctx.pool.storageFrom('perturb test theta', 'weights', theta);
    const step = makeStepParams(ctx, 'perturb test step');
    const perturb = makePerturbFull(ctx, 'perturb test in place', { src: buffer, dst: buffer, n, stream, applyDecay: false, step });
    const bound = (rounds: number) => (i: number) =>
      rounds * EPSILON_F32 * (Math.abs(theta[i]) + 2 * Math.abs(epsilon * gaussianRef(seed, stream, i)));

    writeStepParams(ctx, step, { seed, c: epsilon, keep: 1 });
    runDispatches(ctx, [perturb]);
    writeStepParams(ctx, step, { seed, c: -epsilon, keep: 1 });
    runDispatches(ctx, [perturb]);
    const restored = await readF32(ctx, buffer, n);
    expect(checkWithin(restored, theta, bound(2)).mismatches).toEqual([]);

    writeStepParams(ctx, step, { seed, c: epsilon, keep: 1 });
    runDispatches(ctx, [perturb]);
    writeStepParams(ctx, step, { seed, c: -2 * epsilon, keep: 1 });
    runDispatches(ctx, [perturb]);
    writeStepParams(ctx, step, { seed, c: epsilon, keep: 1 });
    runDispatches(ctx, [perturb]);
    const mezoRestored = await readF32(ctx, buffer, n);
    expect(checkWithin(mezoRestored, theta, bound(4)).mismatches).toEqual([]);

    ctx.pool.release(buffer);
    ctx.pool.release(step);
  });

  it('rejects a too-small dst', async () => {
    const ctx = await gpu();
    const step = makeStepParams(ctx, 'perturb test step');
    const src = ctx.pool.storage('perturb test src', 'weights', 400);
    const dst = ctx.pool.storage('perturb test dst', 'activations', 40);
    expect(() => makePerturbFull(ctx, 'too small', { src, dst, n: 100, stream: 0, applyDecay: false, step })).toThrow(/dst is too small/);
    ctx.pool.release(src);
    ctx.pool.release(dst);
    ctx.pool.release(step);
  });
});

interface LowRankCase {
  m: number;
  n: number;
  r: number;
  inPlace: boolean;
  applyDecay: boolean;
}

/** Orthonormal-like factors are not needed for the arithmetic check; Gaussian entries scaled by 1/√rows keep values O(1). */
function lowRankInputs({ m, n, r }: LowRankCase) {
  const u = fillGaussianRef(101, m, m * r).map((x) => x / Math.sqrt(m));
  const v = fillGaussianRef(102, n, n * r).map((x) => x / Math.sqrt(n));
  const sigma = fillGaussianRef(103, r, r * r);
  const src = randomArray(m * n, m * 31 + n, 0.3);
  return { u, v, sigma, src, scale: Math.sqrt(m * n) / r };
}

async function runLowRank(ctx: GpuContext, shape: LowRankCase, p: StepParams) {
  const { m, n, r, inPlace, applyDecay } = shape;
  const { u, v, sigma, src, scale } = lowRankInputs(shape);
  const step = makeStepParams(ctx, 'low-rank test step');
  writeStepParams(ctx, step, p);
  const srcBuffer = ctx.pool.storageFrom('low-rank test src', 'weights', src);
  const dstBuffer = inPlace ? srcBuffer : ctx.pool.storage('low-rank test dst', 'activations', m * n * 4);
  const uBuffer = ctx.pool.storageFrom('low-rank test u', 'perturbation', u);
  const vBuffer = ctx.pool.storageFrom('low-rank test v', 'perturbation', v);
  const sigmaBuffer = ctx.pool.storageFrom('low-rank test sigma', 'perturbation', sigma);

  const dispatch = makePerturbLowRank(ctx, 'low-rank test', {
    src: srcBuffer,
    dst: dstBuffer,
    u: uBuffer,
    v: vBuffer,
    sigma: sigmaBuffer,
    m,
    n,
    r,
    scale,
    applyDecay,
    step,
  });
  runDispatches(ctx, [dispatch]);

  const dst = await readF32(ctx, dstBuffer, m * n);
  for (const buffer of [srcBuffer, uBuffer, vBuffer, sigmaBuffer, step]) ctx.pool.release(buffer);
  if (!inPlace) ctx.pool.release(dstBuffer);
  return { dst, u, v, sigma, src, scale };
}

/**
 * Low-rank bound: the GPU sums r + r products in f32 (any order, possibly fused), so allow
 * (2r + 4) roundings of the sum of absolute terms, plus 2 roundings of the base.
 */
function lowRankBound(shape: LowRankCase, inputs: { u: Float32Array; v: Float32Array; sigma: Float32Array; src: Float32Array; scale: number }, p: StepParams) {
  const { m, n, r, applyDecay } = shape;
  const absUSigma = new Float64Array(m * r);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < r; k++) {
      let sum = 0;
      for (let l = 0; l < r; l++) sum += Math.abs(inputs.u[i * r + l] * inputs.sigma[l * r + k]);
      absUSigma[i * r + k] = sum;
    }
  }
  return (index: number) => {
    const i = Math.floor(index / n);
    const j = index % n;
    let absDirection = 0;
    for (let k = 0; k < r; k++) absDirection += absUSigma[i * r + k] * Math.abs(inputs.v[j * r + k]);
    const base = applyDecay ? p.keep * inputs.src[index] : inputs.src[index];
    return 2 * EPSILON_F32 * Math.abs(base) + (2 * r + 4) * EPSILON_F32 * Math.abs(p.c * inputs.scale) * absDirection;
  };
}

describe('low-rank perturbation', () => {
  const cases: LowRankCase[] = [
    { m: 1, n: 1, r: 1, inPlace: false, applyDecay: false },
    { m: 1, n: 300, r: 1, inPlace: true, applyDecay: true },
    { m: 300, n: 1, r: 1, inPlace: false, applyDecay: true },
    { m: 37, n: 5, r: 5, inPlace: false, applyDecay: false },
    { m: 5, n: 37, r: 5, inPlace: true, applyDecay: false },
    { m: 64, n: 64, r: 64, inPlace: false, applyDecay: true },
    { m: 70, n: 513, r: 8, inPlace: true, applyDecay: true },
    { m: 129, n: 77, r: 33, inPlace: false, applyDecay: false },
  ];

  it.each(cases)('matches reference for %j', async (shape) => {
    const ctx = await gpu();
    const p = { seed: 5, c: 2.5e-3, keep: 0.99 };

    const { dst, ...inputs } = await runLowRank(ctx, shape, p);

    const expected = perturbLowRankRef(inputs.src, inputs.u, inputs.v, inputs.sigma, shape.m, shape.n, shape.r, inputs.scale, shape.applyDecay, p);
    expect(checkWithin(dst, expected, lowRankBound(shape, inputs, p)).mismatches).toEqual([]);
  });

  it('equals materialised Z = scale · U Σ Vᵀ', async () => {
    const ctx = await gpu();
    const shape = { m: 37, n: 23, r: 7, inPlace: false, applyDecay: true };
    const p = { seed: 5, c: -1e-2, keep: 0.95 };

    const { dst, ...inputs } = await runLowRank(ctx, shape, p);

    // Z built densely: first Σ Vᵀ ([R, N]), then U (Σ Vᵀ), a different association from the kernel.
    const { m, n, r } = shape;
    const sigmaVt = new Float64Array(r * n);
    for (let l = 0; l < r; l++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let k = 0; k < r; k++) sum += inputs.sigma[l * r + k] * inputs.v[j * r + k];
        sigmaVt[l * n + j] = sum;
      }
    }
    const expected = new Float32Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let z = 0;
        for (let l = 0; l < r; l++) z += inputs.u[i * r + l] * sigmaVt[l * n + j];
        expected[i * n + j] = p.keep * inputs.src[i * n + j] + p.c * inputs.scale * z;
      }
    }
    expect(checkWithin(dst, expected, lowRankBound(shape, inputs, p)).mismatches).toEqual([]);
  });

  it('rejects rank above min(m, n)', async () => {
    const ctx = await gpu();
    const step = makeStepParams(ctx, 'low-rank test step');
    const buffer = ctx.pool.storage('low-rank test buffer', 'weights', 4096);
    const args = { src: buffer, dst: buffer, u: buffer, v: buffer, sigma: buffer, m: 3, n: 10, r: 4, scale: 1, applyDecay: false, step };
    expect(() => makePerturbLowRank(ctx, 'rank check', args)).toThrow(/exceeds min\(m, n\) = 3/);
    expect(() => makePerturbLowRank(ctx, 'rank check', { ...args, m: 100, n: 100, r: 65 })).toThrow(/rank r must be/);
    ctx.pool.release(buffer);
    ctx.pool.release(step);
  });
});
