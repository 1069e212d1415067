/**
 * The step-parameters uniform: one buffer shared by all tensors of a pass. The host rewrites it
 * between submits (+ε pass, −ε pass, update pass), so prepared dispatches never change.
 */
import type { GpuContext } from '../gpu/context';
import { makeUniform, writeUniform, type UniformField } from '../gpu/dispatch';
import stepParamsSource from './step-params.wgsl?raw';

export interface StepParams {
  /** Step seed (u32): with a tensor's stream it selects that tensor's Gaussian direction. */
  seed: number;
  /** Direction coefficient: ±ε while perturbing, −η·g in the update. */
  c: number;
  /** Weight-decay factor applied to tensors with decay, 1 − η·λ in the update, 1 otherwise. */
  keep: number;
}

/** WGSL declaration of `struct StepParams`, for kernels that bind the uniform. */
export function stepParamsWgsl(): string {
  return stepParamsSource;
}

/** Creates the shared step-parameters uniform, initialised to seed 0, c = 0, keep = 1. */
export function makeStepParams(ctx: GpuContext, label: string): GPUBuffer {
  return makeUniform(ctx, label, stepParamsFields({ seed: 0, c: 0, keep: 1 }));
}

/** Rewrites the step parameters; queue order puts the write before any later submit. */
export function writeStepParams(ctx: GpuContext, buffer: GPUBuffer, p: StepParams): void {
  writeUniform(ctx, buffer, stepParamsFields(p));
}

function stepParamsFields(p: StepParams): UniformField[] {
  if (!Number.isInteger(p.seed) || p.seed < 0 || p.seed > 0xffffffff) {
    throw new Error(`StepParams.seed must be an integer in [0, 2^32), got ${p.seed}`);
  }
  if (!Number.isFinite(p.c)) throw new Error(`StepParams.c must be finite, got ${p.c}`);
  if (!Number.isFinite(p.keep)) throw new Error(`StepParams.keep must be finite, got ${p.keep}`);
  return [
    ['u32', p.seed],
    ['f32', p.c],
    ['f32', p.keep],
  ];
}
