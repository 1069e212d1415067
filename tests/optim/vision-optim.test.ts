/**
 * SGD and AdamW of the vision task on the GPU against the f64 CPU replay of FirstOrderRef:
 * a 6×10 linear weight, a 5×3×3×3 conv kernel and a bias without weight decay, several steps.
 */
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../kernels/gpu/context';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { createVisionOptimizer } from '../../app/optim/vision';
import { FirstOrderRef } from '../../app/optim/vision/first-order.ref';
import type { FirstOrderConfig } from '../../app/run/types';
import { compare, gpu, randomArray } from '../helpers/gpu';
import { makeParameters, releaseParameters, SMALL_SHAPES } from '../helpers/vision-parameters';

/** Runs `steps` steps on the GPU and on the CPU with the same gradients; returns the largest absolute error over all steps and tensors. */
async function replay(ctx: GpuContext, config: FirstOrderConfig, steps: number, atol: number, rtol: number): Promise<number> {
  const parameters = makeParameters(ctx, SMALL_SHAPES, 11);
  const optimizer = createVisionOptimizer(ctx, parameters, config, 1);
  const reference = new FirstOrderRef(parameters, config);
  const weights = parameters.map((param) => Float64Array.from(param.initial));
  let worst = 0;
  try {
    for (let step = 0; step < steps; step++) {
      const grads = parameters.map((param, index) => randomArray(param.size, 100 * step + index, 1));
      parameters.forEach((param, index) => ctx.device.queue.writeBuffer(param.grad, 0, grads[index].buffer, 0, grads[index].byteLength));
      runDispatches(ctx, optimizer.stepDispatches(step));
      reference.step(step, weights, grads);

      for (const [index, param] of parameters.entries()) {
        const actual = await readF32(ctx, param.weight, param.size);
        const result = compare(actual, weights[index], atol, rtol);
        expect(result.mismatches, `${config.name} step ${step} ${param.name}`).toEqual([]);
        worst = Math.max(worst, result.maxAbs);
      }
    }
    expect(await optimizer.drainWarnings()).toEqual([]);
  } finally {
    optimizer.release();
    releaseParameters(ctx, parameters);
  }
  return worst;
}

describe('vision first-order optimizers', () => {
  it('sgd with momentum matches the CPU replay', async () => {
    const ctx = await gpu();
    const config: FirstOrderConfig = { name: 'sgd', learningRate: 0.05, momentum: 0.9, weightDecay: 0.1 };
    // Each step rounds p and m once in f32; the error grows with the momentum sum, |m| ≤ 10.
    const worst = await replay(ctx, config, 6, 1e-6, 1e-6);
    expect(worst).toBeLessThan(1e-6);
  });

  it('adamw matches the CPU replay', async () => {
    const ctx = await gpu();
    const config: FirstOrderConfig = { name: 'adamw', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1 };
    const worst = await replay(ctx, config, 6, 1e-6, 1e-6);
    expect(worst).toBeLessThan(1e-6);
  });

  it('decay is skipped for parameters without decay', async () => {
    const ctx = await gpu();
    // A zero gradient leaves only the weight decay, which must not touch the bias.
    const config: FirstOrderConfig = { name: 'adamw', learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.5 };
    const parameters = makeParameters(ctx, SMALL_SHAPES, 5);
    const optimizer = createVisionOptimizer(ctx, parameters, config, 1);
    try {
      runDispatches(ctx, optimizer.stepDispatches(0));
      const bias = await readF32(ctx, parameters[2].weight, parameters[2].size);
      expect(Array.from(bias)).toEqual(Array.from(parameters[2].initial));
      const weight = await readF32(ctx, parameters[0].weight, parameters[0].size);
      const expected = parameters[0].initial.map((value) => value * (1 - 0.1 * 0.5));
      expect(compare(weight, expected, 1e-7, 1e-6).mismatches).toEqual([]);
    } finally {
      optimizer.release();
      releaseParameters(ctx, parameters);
    }
  });

  it('first-order state is counted as optimizer state', async () => {
    const ctx = await gpu();
    const parameters = makeParameters(ctx, SMALL_SHAPES, 5);
    const total = parameters.reduce((sum, param) => sum + param.size, 0);
    const sgd = createVisionOptimizer(ctx, parameters, { name: 'sgd', learningRate: 0.1, momentum: 0.9, weightDecay: 0 }, 1);
    const adamw = createVisionOptimizer(ctx, parameters, { name: 'adamw', learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 }, 1);
    try {
      expect(sgd.stateBytes()).toEqual({ 'optimizer-state': total * 4, preconditioner: 0, 'quantization-scales': 0 });
      expect(adamw.stateBytes()).toEqual({ 'optimizer-state': 2 * total * 4, preconditioner: 0, 'quantization-scales': 0 });
    } finally {
      sgd.release();
      adamw.release();
      releaseParameters(ctx, parameters);
    }
  });

  it('stepDispatches rejects steps out of order', async () => {
    const ctx = await gpu();
    const parameters = makeParameters(ctx, SMALL_SHAPES, 5);
    const optimizer = createVisionOptimizer(ctx, parameters, { name: 'sgd', learningRate: 0.1, momentum: 0.9, weightDecay: 0 }, 1);
    try {
      optimizer.stepDispatches(0);
      expect(() => optimizer.stepDispatches(2)).toThrow(/expected step 1, got 2/);
    } finally {
      optimizer.release();
      releaseParameters(ctx, parameters);
    }
  });
});
