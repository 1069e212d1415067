/**
 * First-order optimizers of the vision task, and the base update that Shampoo feeds its grafted
 * direction to.
 *
 *   SGD:   d' = d + wd·p (decay tensors only), m = μ·m + d', p = p − η·m
 *   AdamW: p = p·(1 − η·wd) (decay tensors only), then Adam on d with bias corrections,
 *          m = β1·m + (1 − β1)·d, v = β2·v + (1 − β2)·d², p = p − η·m̂ / (√v̂ + ε)
 *
 * d is the gradient for plain SGD and AdamW. Momentum and the Adam moments start at zero and are
 * counted as `optimizer-state`. Adam's t is step + 1, written into the shared uniform each step.
 */
import type { GpuContext } from '../../../kernels/gpu/context';
import type { Dispatch } from '../../../kernels/gpu/dispatch';
import type { MemoryBytes } from '../../../kernels/gpu/pool';
import { makeAdamw, makeAdamwHyperparameters, writeAdamwHyperparameters, type AdamwHyperparameters } from '../../../kernels/adamw/adamw';
import { makeSgd, makeSgdHyperparameters, type SgdHyperparameters } from '../../../kernels/sgd/sgd';
import type { VisionOptimizer, VisionParameter } from '../../model/vision-types';
import type { FirstOrderConfig } from '../../run/types';
import { OwnedBuffers } from './owned-buffers';

/** Kernel hyperparameters of an SGD config. */
export function sgdHyperparameters(config: Extract<FirstOrderConfig, { name: 'sgd' }>): SgdHyperparameters {
  return { learningRate: config.learningRate, momentum: config.momentum, weightDecay: config.weightDecay };
}

/** Kernel hyperparameters of an AdamW config at `step` (0-based), so t = step + 1. */
export function adamwHyperparameters(config: Extract<FirstOrderConfig, { name: 'adamw' }>, step: number): AdamwHyperparameters {
  return {
    learningRate: config.learningRate,
    beta1: config.beta1,
    beta2: config.beta2,
    eps: config.epsilon,
    weightDecay: config.weightDecay,
    step: step + 1,
  };
}

/**
 * The per-tensor update of one first-order optimizer. Its state buffers come from `owned` (category
 * optimizer-state); its hyperparameters live in one uniform shared by all tensors.
 */
export class BaseUpdate {
  private readonly hyper: GPUBuffer;

  constructor(
    private readonly ctx: GpuContext,
    private readonly owned: OwnedBuffers,
    readonly config: FirstOrderConfig,
    private readonly label: string,
  ) {
    this.hyper = owned.capture(() =>
      config.name === 'sgd'
        ? makeSgdHyperparameters(ctx, `${label} hyperparameters`, sgdHyperparameters(config))
        : makeAdamwHyperparameters(ctx, `${label} hyperparameters`, adamwHyperparameters(config, 0)),
    );
  }

  /** Builds the update of `param` from `direction` ([param.size] f32), creating its state. */
  makeUpdate(param: VisionParameter, direction: GPUBuffer): Dispatch {
    const { ctx, owned, config, hyper } = this;
    const label = `${this.label} ${config.name} ${param.name}`;
    return owned.capture(() => {
      if (config.name === 'sgd') {
        const m = owned.storage(`${label} momentum`, 'optimizer-state', param.size * 4);
        return makeSgd(ctx, label, { p: param.weight, d: direction, m, n: param.size, hyper, applyDecay: param.decay });
      }
      const m = owned.storage(`${label} m`, 'optimizer-state', param.size * 4);
      const v = owned.storage(`${label} v`, 'optimizer-state', param.size * 4);
      return makeAdamw(ctx, label, { p: param.weight, d: direction, m, v, n: param.size, hyper, applyDecay: param.decay });
    });
  }

  /** Rewrites the step-dependent uniform (Adam's t = step + 1); SGD has none. */
  writeStep(step: number): void {
    if (this.config.name === 'adamw') writeAdamwHyperparameters(this.ctx, this.hyper, adamwHyperparameters(this.config, step));
  }
}

/** SGD with momentum or AdamW on every parameter, reading the gradients directly. */
export class FirstOrderOptimizer implements VisionOptimizer {
  readonly name: string;
  private readonly owned: OwnedBuffers;
  private readonly base: BaseUpdate;
  private readonly dispatches: Dispatch[];
  private nextStep = 0;

  constructor(ctx: GpuContext, parameters: readonly VisionParameter[], config: FirstOrderConfig) {
    this.name = config.name;
    this.owned = new OwnedBuffers(ctx);
    try {
      this.base = new BaseUpdate(ctx, this.owned, config, config.name);
      this.dispatches = parameters.map((param) => this.base.makeUpdate(param, param.grad));
    } catch (error) {
      this.owned.releaseAll();
      throw error;
    }
  }

  stepDispatches(step: number): Dispatch[] {
    checkStepOrder(this.name, step, this.nextStep);
    this.nextStep = step + 1;
    this.base.writeStep(step);
    return this.dispatches;
  }

  async drainWarnings(): Promise<string[]> {
    return [];
  }

  stateBytes(): Partial<MemoryBytes> {
    return this.owned.stateBytes();
  }

  release(): void {
    this.owned.releaseAll();
  }
}

/** Throws unless `step` is the next step in order, as the VisionOptimizer contract requires. */
export function checkStepOrder(name: string, step: number, expected: number): void {
  if (step !== expected) {
    throw new Error(`${name}: stepDispatches must be called once per step in order; expected step ${expected}, got ${step}`);
  }
}
