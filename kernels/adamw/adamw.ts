/**
 * AdamW on the GPU, one prepared dispatch per parameter tensor: decoupled weight decay, then Adam
 * with bias correction (formulas in adamw.wgsl). The hyperparameters, including the step t,
 * live in one uniform buffer shared by all tensors of an optimizer. The host rewrites it with
 * `writeAdamwHyperparameters` before every step, so the dispatches are built once and reused.
 */
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, writeUniform, type Dispatch, type UniformField } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements, requirePositiveDims } from '../gpu/validate';
import source from './adamw.wgsl?raw';

const WORKGROUP_SIZE = 256;

export interface AdamwHyperparameters {
  /** η. */
  learningRate: number;
  beta1: number;
  beta2: number;
  /** Added to √v̂ in the denominator. */
  eps: number;
  /** wd: tensors with applyDecay are multiplied by 1 − η·wd before the Adam step. */
  weightDecay: number;
  /** t, the number of this step counted from 1; sets the bias corrections 1 − β^t. */
  step: number;
}

/** Default β1, β2 and eps. */
export const ADAMW_DEFAULTS: Pick<AdamwHyperparameters, 'beta1' | 'beta2' | 'eps'> = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/**
 * Returns [1 − β1^t, 1 − β2^t] in f64, from the f32-rounded β that the shader holds. The host
 * computes them because WGSL's pow is too coarse for β2 close to 1 (see adamw.wgsl).
 */
export function adamwBiasCorrections(hyper: AdamwHyperparameters): [number, number] {
  return [1 - Math.fround(hyper.beta1) ** hyper.step, 1 - Math.fround(hyper.beta2) ** hyper.step];
}

function adamwFields(hyper: AdamwHyperparameters): UniformField[] {
  for (const [name, value] of Object.entries(hyper)) {
    if (!Number.isFinite(value)) throw new Error(`AdamW hyperparameter ${name} must be finite, got ${value}`);
  }
  if (!Number.isInteger(hyper.step) || hyper.step < 1 || hyper.step > 0xffffffff) {
    throw new Error(`AdamW step must be an integer >= 1 (the first step is 1), got ${hyper.step}`);
  }
  for (const name of ['beta1', 'beta2'] as const) {
    const beta = Math.fround(hyper[name]);
    if (!(beta >= 0 && beta < 1)) throw new Error(`AdamW ${name} must be in [0, 1), got ${hyper[name]}`);
  }
  const [correction1, correction2] = adamwBiasCorrections(hyper);
  return [
    ['f32', hyper.learningRate],
    ['f32', hyper.beta1],
    ['f32', hyper.beta2],
    ['f32', hyper.eps],
    ['f32', hyper.weightDecay],
    ['u32', hyper.step],
    ['f32', correction1],
    ['f32', correction2],
  ];
}

/** Creates the shared hyperparameter uniform of one AdamW optimizer. */
export function makeAdamwHyperparameters(ctx: GpuContext, label: string, hyper: AdamwHyperparameters): GPUBuffer {
  return makeUniform(ctx, label, adamwFields(hyper));
}

/** Rewrites the hyperparameters, at least the step before every step. Queue order puts the write before any later submit. */
export function writeAdamwHyperparameters(ctx: GpuContext, buffer: GPUBuffer, hyper: AdamwHyperparameters): void {
  writeUniform(ctx, buffer, adamwFields(hyper));
}

export interface AdamwState {
  /** First moment m. */
  m: GPUBuffer;
  /** Second moment v. */
  v: GPUBuffer;
}

/** Creates the two moment buffers of an n-element tensor, zero-filled, counted as optimizer state. */
export function makeAdamwState(ctx: GpuContext, label: string, n: number): AdamwState {
  requirePositiveDims(label, 'AdamW state', { n });
  // WebGPU zero-fills new buffers, so m and v start at 0.
  return {
    m: ctx.pool.storage(`${label} m`, 'optimizer-state', n * 4),
    v: ctx.pool.storage(`${label} v`, 'optimizer-state', n * 4),
  };
}

export interface AdamwArgs {
  /** [n] f32 parameters, updated in place. */
  p: GPUBuffer;
  /** [n] f32 gradient or direction (for Shampoo, the grafted direction). Read only. */
  d: GPUBuffer;
  /** [n] f32 first moment, updated in place. */
  m: GPUBuffer;
  /** [n] f32 second moment, updated in place. */
  v: GPUBuffer;
  n: number;
  /** Uniform from `makeAdamwHyperparameters`. */
  hyper: GPUBuffer;
  /** Whether p is multiplied by 1 − η·wd (default true). */
  applyDecay?: boolean;
}

/** Builds the AdamW step for one tensor. */
export function makeAdamw(ctx: GpuContext, label: string, args: AdamwArgs): Dispatch {
  const { p, d, m, v, n, hyper } = args;
  const applyDecay = args.applyDecay ?? true;
  requirePositiveDims(label, 'AdamW', { n });
  for (const [name, buffer] of [['p', p], ['d', d], ['m', m], ['v', v]] as const) {
    requireElements(label, 'AdamW', name, buffer, n, `n = ${n}`);
  }
  if (new Set([p, d, m, v]).size !== 4) throw new Error(`${label}: AdamW p, d, m and v must be four separate buffers`);

  const pipeline = ctx.pipelines.get('adamw', () => wgslConstants({ WORKGROUP_SIZE }) + source);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', n],
    ['u32', applyDecay ? 1 : 0],
  ]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [p, d, m, v, params, hyper]),
    workgroups: workgroupGrid(ctx, n, WORKGROUP_SIZE),
  };
}
