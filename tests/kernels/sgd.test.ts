import { describe, expect, it } from 'vitest';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { makeSgd, makeSgdHyperparameters, makeSgdState, SGD_DEFAULTS, writeSgdHyperparameters, type SgdHyperparameters } from '../../kernels/sgd/sgd';
import { sgdRef } from '../../kernels/sgd/sgd.ref';
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

/**
 * Replays the steps of `schedule` on the GPU and on the CPU from the same p, m = 0 and per-step directions,
 * rewriting the hyperparameter uniform between steps and reusing one prepared dispatch.
 *
 * The GPU rounds each of its ≤ 4 operations (possibly fused) in f32 and the reference rounds the
 * stored values once, so one step adds at most 3 ulp of |μ·m| + |d| + |wd·p| to the momentum error
 * and 2 ulp of |p| + |η·m| to the parameter error. Earlier errors carry over as
 * e_m ← μ·e_m + wd·e_p and e_p ← e_p + η·e_m, which the bounds track per element.
 */
async function replaySgd(n: number, schedule: SgdHyperparameters[], applyDecay: boolean) {
  const ctx = await gpu();
  const p = randomArray(n, n, 2);
  const m = new Float32Array(n);
  const pBuffer = ctx.pool.storageFrom('sgd test p', 'weights', p);
  const dBuffer = ctx.pool.storage('sgd test d', 'gradients', n * 4);
  const mBuffer = makeSgdState(ctx, 'sgd test m', n);
  const hyperBuffer = makeSgdHyperparameters(ctx, 'sgd test hyperparameters', schedule[0]);
  const { result: dispatch, buffers } = ctx.pool.capture(() =>
    makeSgd(ctx, 'sgd test', { p: pBuffer, d: dBuffer, m: mBuffer, n, hyper: hyperBuffer, applyDecay }),
  );

  const pBound = new Float64Array(n);
  const mBound = new Float64Array(n);
  const checks = [];
  for (const [step, hyper] of schedule.entries()) {
    const d = randomArray(n, 100 + step, 1.5);
    ctx.device.queue.writeBuffer(dBuffer, 0, d.buffer, d.byteOffset, d.byteLength);
    writeSgdHyperparameters(ctx, hyperBuffer, hyper);
    runDispatches(ctx, [dispatch]);

    const weightDecay = applyDecay ? hyper.weightDecay : 0;
    const [pOld, mOld] = [p.slice(), m.slice()];
    sgdRef(p, d, m, n, hyper, applyDecay);
    for (let i = 0; i < n; i++) {
      const momentumScale = Math.abs(hyper.momentum * mOld[i]) + Math.abs(d[i]) + Math.abs(weightDecay * pOld[i]);
      mBound[i] = hyper.momentum * mBound[i] + weightDecay * pBound[i] + 3 * ULP * momentumScale;
      pBound[i] = pBound[i] + hyper.learningRate * mBound[i] + 2 * ULP * (Math.abs(pOld[i]) + Math.abs(hyper.learningRate * m[i]));
    }
    checks.push({
      step,
      p: checkWithin(await readF32(ctx, pBuffer), p, pBound),
      m: checkWithin(await readF32(ctx, mBuffer), m, mBound),
    });
  }

  for (const buffer of [pBuffer, dBuffer, mBuffer, hyperBuffer, ...buffers]) ctx.pool.release(buffer);
  return checks;
}

/** Five steps of a decaying learning-rate schedule with weight decay. */
const SCHEDULE: SgdHyperparameters[] = [0.1, 0.08, 0.05, 0.03, 0.01].map((learningRate) => ({ learningRate, ...SGD_DEFAULTS, weightDecay: 5e-4 }));

describe('sgd', () => {
  it.each([1, 7, 1000, 65537])('replays five steps for n=%i', async (n) => {
    const checks = await replaySgd(n, SCHEDULE, true);

    for (const check of checks) {
      expect(check.p.mismatches, `p after step ${check.step}`).toEqual([]);
      expect(check.m.mismatches, `m after step ${check.step}`).toEqual([]);
    }
  });

  it('skips weight decay without applyDecay', async () => {
    // A large wd makes a decayed update miss by far more than the bound.
    const schedule = SCHEDULE.map((hyper) => ({ ...hyper, weightDecay: 0.5 }));

    const checks = await replaySgd(1000, schedule, false);

    for (const check of checks) {
      expect(check.p.mismatches, `p after step ${check.step}`).toEqual([]);
      expect(check.m.mismatches, `m after step ${check.step}`).toEqual([]);
    }
  });

  it('follows a momentum change', async () => {
    const schedule = SCHEDULE.map((hyper, step) => ({ ...hyper, momentum: step % 2 ? 0.5 : 0.99, weightDecay: 0.1 }));

    const checks = await replaySgd(257, schedule, true);

    for (const check of checks) {
      expect(check.p.mismatches, `p after step ${check.step}`).toEqual([]);
      expect(check.m.mismatches, `m after step ${check.step}`).toEqual([]);
    }
  });

  it('creates zeroed momentum as optimizer state', async () => {
    const ctx = await gpu();
    const before = ctx.pool.bytes()['optimizer-state'];

    const m = makeSgdState(ctx, 'sgd test m', 7);

    expect(ctx.pool.bytes()['optimizer-state'] - before).toBe(28);
    expect(Array.from(await readF32(ctx, m))).toEqual(new Array(7).fill(0));
    ctx.pool.release(m);
  });

  it('rejects a shared p and d buffer', async () => {
    const ctx = await gpu();
    const p = ctx.pool.storage('sgd test p', 'weights', 64);
    const m = makeSgdState(ctx, 'sgd test m', 16);
    const hyper = makeSgdHyperparameters(ctx, 'sgd test hyperparameters', SCHEDULE[0]);

    expect(() => makeSgd(ctx, 'same buffer', { p, d: p, m, n: 16, hyper })).toThrow(/separate buffers/);
    expect(() => makeSgdHyperparameters(ctx, 'bad rate', { ...SCHEDULE[0], learningRate: NaN })).toThrow(/learningRate must be finite/);
    for (const buffer of [p, m, hyper]) ctx.pool.release(buffer);
  });
});
