/**
 * SGD with momentum on the GPU, one prepared dispatch per parameter tensor:
 *   d' = d + wd·p (when applyDecay), m = μ·m + d', p = p − η·m
 * The hyperparameters live in one uniform buffer shared by all tensors of an optimizer. The host
 * rewrites it with `writeSgdHyperparameters` (for a learning-rate schedule, for example), so the
 * dispatches are built once and reused every step.
 */
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, writeUniform, type Dispatch, type UniformField } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements, requirePositiveDims } from '../gpu/validate';
import source from './sgd.wgsl?raw';

const WORKGROUP_SIZE = 256;

export interface SgdHyperparameters {
  /** η. */
  learningRate: number;
  /** μ, the momentum coefficient. */
  momentum: number;
  /** wd, added to the direction as wd·p for tensors with applyDecay. */
  weightDecay: number;
}

/** Default momentum coefficient μ. */
export const SGD_DEFAULTS: Pick<SgdHyperparameters, 'momentum'> = { momentum: 0.9 };

function sgdFields(hyper: SgdHyperparameters): UniformField[] {
  for (const [name, value] of Object.entries(hyper)) {
    if (!Number.isFinite(value)) throw new Error(`SGD hyperparameter ${name} must be finite, got ${value}`);
  }
  return [
    ['f32', hyper.learningRate],
    ['f32', hyper.momentum],
    ['f32', hyper.weightDecay],
  ];
}

/** Creates the shared hyperparameter uniform of one SGD optimizer. */
export function makeSgdHyperparameters(ctx: GpuContext, label: string, hyper: SgdHyperparameters): GPUBuffer {
  return makeUniform(ctx, label, sgdFields(hyper));
}

/** Rewrites the hyperparameters. Queue order puts the write before any later submit. */
export function writeSgdHyperparameters(ctx: GpuContext, buffer: GPUBuffer, hyper: SgdHyperparameters): void {
  writeUniform(ctx, buffer, sgdFields(hyper));
}

/** Creates the momentum buffer of an n-element tensor, zero-filled, counted as optimizer state. */
export function makeSgdState(ctx: GpuContext, label: string, n: number): GPUBuffer {
  requirePositiveDims(label, 'SGD state', { n });
  // WebGPU zero-fills new buffers, so m starts at 0.
  return ctx.pool.storage(label, 'optimizer-state', n * 4);
}

export interface SgdArgs {
  /** [n] f32 parameters, updated in place. */
  p: GPUBuffer;
  /** [n] f32 gradient or direction (for Shampoo, the grafted direction). Read only. */
  d: GPUBuffer;
  /** [n] f32 momentum, updated in place (see `makeSgdState`). */
  m: GPUBuffer;
  n: number;
  /** Uniform from `makeSgdHyperparameters`. */
  hyper: GPUBuffer;
  /** Whether wd·p is added to the direction (default true). */
  applyDecay?: boolean;
}

/** Builds the SGD step for one tensor. */
export function makeSgd(ctx: GpuContext, label: string, args: SgdArgs): Dispatch {
  const { p, d, m, n, hyper } = args;
  const applyDecay = args.applyDecay ?? true;
  requirePositiveDims(label, 'SGD', { n });
  requireElements(label, 'SGD', 'p', p, n, `n = ${n}`);
  requireElements(label, 'SGD', 'd', d, n, `n = ${n}`);
  requireElements(label, 'SGD', 'm', m, n, `n = ${n}`);
  if (p === d || p === m || d === m) throw new Error(`${label}: SGD p, d and m must be three separate buffers`);

  const pipeline = ctx.pipelines.get('sgd', () => wgslConstants({ WORKGROUP_SIZE }) + source);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', n],
    ['u32', applyDecay ? 1 : 0],
  ]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [p, d, m, params, hyper]),
    workgroups: workgroupGrid(ctx, n, WORKGROUP_SIZE),
  };
}
