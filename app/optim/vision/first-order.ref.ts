/**
 * CPU reference of the first-order vision optimizers in f64: SGD with momentum (L2 decay added to
 * the gradient) and AdamW (decoupled decay), with decay skipped where a parameter's `decay` is
 * false. Hyperparameters are rounded to f32 as the GPU stores them. Shampoo's reference feeds its
 * grafted direction to the same update.
 */
import type { VisionParameter } from '../../model/vision-types';
import type { FirstOrderConfig } from '../../run/types';

export type RefParameter = Pick<VisionParameter, 'name' | 'size' | 'matrix' | 'decay'>;

/** SGD or AdamW state of one tensor, in f64, with the hyperparameters rounded to f32 as the GPU stores them. */
export class BaseUpdateRef {
  private readonly m: Float64Array;
  private readonly v: Float64Array;

  constructor(
    private readonly config: FirstOrderConfig,
    size: number,
    private readonly decay: boolean,
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(config.name === 'adamw' ? size : 0);
  }

  /** Applies step `step` (0-based) to p in place, with direction d. */
  apply(step: number, p: Float64Array, d: ArrayLike<number>): void {
    const { config, m, v } = this;
    const lr = Math.fround(config.learningRate);
    const wd = this.decay ? Math.fround(config.weightDecay) : 0;
    if (config.name === 'sgd') {
      const mu = Math.fround(config.momentum);
      for (let i = 0; i < p.length; i++) {
        m[i] = mu * m[i] + d[i] + wd * p[i];
        p[i] -= lr * m[i];
      }
      return;
    }
    const beta1 = Math.fround(config.beta1);
    const beta2 = Math.fround(config.beta2);
    const eps = Math.fround(config.epsilon);
    const correction1 = 1 - beta1 ** (step + 1);
    const correction2 = 1 - beta2 ** (step + 1);
    for (let i = 0; i < p.length; i++) {
      m[i] = beta1 * m[i] + (1 - beta1) * d[i];
      v[i] = beta2 * v[i] + (1 - beta2) * d[i] * d[i];
      p[i] = p[i] * (1 - lr * wd) - (lr * (m[i] / correction1)) / (Math.sqrt(v[i] / correction2) + eps);
    }
  }
}

/** SGD or AdamW on every parameter, reading the gradients directly. */
export class FirstOrderRef {
  private readonly bases: BaseUpdateRef[];

  constructor(parameters: readonly RefParameter[], config: FirstOrderConfig) {
    this.bases = parameters.map((param) => new BaseUpdateRef(config, param.size, param.decay));
  }

  /** Applies step `step` to the weights (f64, in place); steps must come in order from 0. */
  step(step: number, weights: Float64Array[], grads: readonly ArrayLike<number>[]): void {
    this.bases.forEach((base, index) => base.apply(step, weights[index], grads[index]));
  }
}
