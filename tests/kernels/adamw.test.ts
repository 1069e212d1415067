import { describe, expect, it } from 'vitest';
import {
  ADAMW_DEFAULTS,
  adamwBiasCorrections,
  makeAdamw,
  makeAdamwHyperparameters,
  makeAdamwState,
  writeAdamwHyperparameters,
  type AdamwHyperparameters,
} from '../../kernels/adamw/adamw';
import { adamwRef } from '../../kernels/adamw/adamw.ref';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { gpu, randomArray } from '../helpers/gpu';

const ULP = 2 ** -23;

/**
 * Checks |actual − expected| ≤ bound[i] element-wise and returns up to 5 failures with their bounds,
 * plus the largest error and the largest error relative to its bound.
 */
function checkWithin(actual: Float32Array, expected: Float32Array, bound: Float64Array) {
  const mismatches: string[] = [];
  let maxError = 0;
  let worstRatio = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    maxError = Math.max(maxError, error);
    worstRatio = Math.max(worstRatio, error / Math.max(bound[i], 1e-45));
    if (!(error <= bound[i]) && mismatches.length < 5) mismatches.push(`[${i}] got ${actual[i]}, expected ${expected[i]}, bound ${bound[i]}`);
  }
  return { mismatches, maxError, worstRatio };
}

interface ErrorBounds {
  p: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

/**
 * Advances the per-element error bounds by one step, from the reference state before (pOld, mOld)
 * and after (m, v) the step. One step adds:
 *   m: 2 ulp of β1·|m| + (1 − β1)·|d| (3 GPU roundings, one in the reference)
 *   v: 3 ulp of the new v (4 GPU roundings of non-negative terms, one in the reference)
 *   update U = η·m̂ / (√v̂ + eps): the m error over the denominator, half the relative v error
 *     (through the square root), and 16 ulp of |U| for the two divisions (2.5 ulp each in WGSL),
 *     the square root (about 4.5 ulp) and three more roundings
 *   p: the decayed p error plus the U error, plus 2 ulp of |p| + |U|
 */
function advanceBounds(bounds: ErrorBounds, hyper: AdamwHyperparameters, keep: number, pOld: Float32Array, mOld: Float32Array, d: Float32Array, m: Float32Array, v: Float32Array): void {
  const [correction1, correction2] = adamwBiasCorrections(hyper);
  for (let i = 0; i < d.length; i++) {
    bounds.m[i] = hyper.beta1 * bounds.m[i] + 2 * ULP * (hyper.beta1 * Math.abs(mOld[i]) + (1 - hyper.beta1) * Math.abs(d[i]));
    bounds.v[i] = hyper.beta2 * bounds.v[i] + 3 * ULP * v[i];
    const denominator = Math.sqrt(v[i] / correction2) + hyper.eps;
    const update = Math.abs((hyper.learningRate * m[i]) / correction1 / denominator);
    const relativeV = v[i] > 0 ? bounds.v[i] / v[i] : 0;
    const updateBound = (hyper.learningRate * bounds.m[i]) / correction1 / denominator + update * (relativeV / 2 + 16 * ULP);
    bounds.p[i] = keep * bounds.p[i] + updateBound + 2 * ULP * (Math.abs(pOld[i]) + update);
  }
}

/**
 * Replays the steps of `schedule` on the GPU and on the CPU from the same p, m = v = 0 and per-step
 * directions, rewriting the hyperparameter uniform (t advancing) and reusing one prepared dispatch.
 * Direction element 3 (for n > 3) is always 0, so that element runs the v = 0 path (update 0 / eps).
 */
async function replayAdamw(n: number, schedule: AdamwHyperparameters[], applyDecay: boolean) {
  const ctx = await gpu();
  const p = randomArray(n, n, 2);
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  const pBuffer = ctx.pool.storageFrom('adamw test p', 'weights', p);
  const dBuffer = ctx.pool.storage('adamw test d', 'gradients', n * 4);
  const state = makeAdamwState(ctx, 'adamw test', n);
  const hyperBuffer = makeAdamwHyperparameters(ctx, 'adamw test hyperparameters', schedule[0]);
  const { result: dispatch, buffers } = ctx.pool.capture(() =>
    makeAdamw(ctx, 'adamw test', { p: pBuffer, d: dBuffer, m: state.m, v: state.v, n, hyper: hyperBuffer, applyDecay }),
  );

  const bounds: ErrorBounds = { p: new Float64Array(n), m: new Float64Array(n), v: new Float64Array(n) };
  const checks = [];
  for (const hyper of schedule) {
    const d = randomArray(n, 200 + hyper.step, 0.3);
    if (n > 3) d[3] = 0;
    ctx.device.queue.writeBuffer(dBuffer, 0, d.buffer, d.byteOffset, d.byteLength);
    writeAdamwHyperparameters(ctx, hyperBuffer, hyper);
    runDispatches(ctx, [dispatch]);

    const [pOld, mOld] = [p.slice(), m.slice()];
    adamwRef(p, d, m, v, n, hyper, applyDecay);
    const keep = applyDecay ? 1 - hyper.learningRate * hyper.weightDecay : 1;
    advanceBounds(bounds, hyper, keep, pOld, mOld, d, m, v);
    checks.push({
      step: hyper.step,
      p: checkWithin(await readF32(ctx, pBuffer), p, bounds.p),
      m: checkWithin(await readF32(ctx, state.m), m, bounds.m),
      v: checkWithin(await readF32(ctx, state.v), v, bounds.v),
    });
  }

  for (const buffer of [pBuffer, dBuffer, state.m, state.v, hyperBuffer, ...buffers]) ctx.pool.release(buffer);
  return checks;
}

/** Steps 1 to 6 with a warm-up and decay of the learning rate and weight decay 0.01. */
const SCHEDULE: AdamwHyperparameters[] = [1e-3, 2e-3, 3e-3, 3e-3, 2e-3, 1e-3].map((learningRate, i) => ({
  learningRate,
  ...ADAMW_DEFAULTS,
  weightDecay: 0.01,
  step: i + 1,
}));

function expectAllWithin(checks: Awaited<ReturnType<typeof replayAdamw>>): void {
  for (const check of checks) {
    expect(check.p.mismatches, `p after step ${check.step}`).toEqual([]);
    expect(check.m.mismatches, `m after step ${check.step}`).toEqual([]);
    expect(check.v.mismatches, `v after step ${check.step}`).toEqual([]);
  }
}

describe('adamw', () => {
  it.each([1, 7, 1000, 65537])('replays six steps for n=%i', async (n) => {
    expectAllWithin(await replayAdamw(n, SCHEDULE, true));
  });

  it('skips weight decay without applyDecay', async () => {
    // With η·wd = 0.3 a decayed p misses by far more than the bound.
    const schedule = SCHEDULE.map((hyper) => ({ ...hyper, learningRate: 0.3, weightDecay: 1 }));

    expectAllWithin(await replayAdamw(1000, schedule, false));
  });

  it('applies bias corrections late in a run', async () => {
    // Steps 1000 to 1003: 1 − β2^t is 0.632 there, still far from 1, so a wrong t shows.
    const schedule = SCHEDULE.slice(0, 4).map((hyper, i) => ({ ...hyper, beta1: 0.95, step: 1000 + i }));

    expectAllWithin(await replayAdamw(257, schedule, true));
  });

  it('computes bias corrections in f64', () => {
    const [correction1, correction2] = adamwBiasCorrections({ ...SCHEDULE[0], step: 1 });

    expect(correction1).toBeCloseTo(1 - Math.fround(0.9), 15);
    expect(correction2).toBeCloseTo(1 - Math.fround(0.999), 15);
  });

  it('creates zeroed moments as optimizer state', async () => {
    const ctx = await gpu();
    const before = ctx.pool.bytes()['optimizer-state'];

    const state = makeAdamwState(ctx, 'adamw test', 7);

    expect(ctx.pool.bytes()['optimizer-state'] - before).toBe(56);
    expect(Array.from(await readF32(ctx, state.m))).toEqual(new Array(7).fill(0));
    expect(Array.from(await readF32(ctx, state.v))).toEqual(new Array(7).fill(0));
    for (const buffer of [state.m, state.v]) ctx.pool.release(buffer);
  });

  it('rejects step 0 and β outside [0, 1)', async () => {
    const ctx = await gpu();

    expect(() => makeAdamwHyperparameters(ctx, 'step 0', { ...SCHEDULE[0], step: 0 })).toThrow(/step must be an integer >= 1/);
    expect(() => makeAdamwHyperparameters(ctx, 'beta 1', { ...SCHEDULE[0], beta2: 1 })).toThrow(/beta2 must be in \[0, 1\)/);
  });
});
