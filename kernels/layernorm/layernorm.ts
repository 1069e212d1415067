/**
 * LayerNorm on the GPU over rows of C channels (biased variance, as PyTorch):
 * out[n, :] = (x[n, :] - mean) / sqrt(var + eps) * gamma + beta. One workgroup per row.
 */
import { requireElements, requirePositiveDims } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import source from './layernorm.wgsl?raw';

/** Threads per row; a power of two, because the reduction halves it at each step. */
const WORKGROUP_SIZE = 256;

export const LAYER_NORM_DEFAULT_EPS = 1e-5;

export interface LayerNormArgs {
  /** N×C. */
  x: GPUBuffer;
  /** C. */
  gamma: GPUBuffer;
  /** C. */
  beta: GPUBuffer;
  /** N×C. Must not be x: WebGPU rejects one buffer bound as both read-only and writable storage. */
  out: GPUBuffer;
  N: number;
  C: number;
  /** Added to the variance; defaults to 1e-5 as in GPT-2. */
  eps?: number;
}

export function makeLayerNorm(ctx: GpuContext, label: string, args: LayerNormArgs): Dispatch {
  const { x, gamma, beta, out, N, C } = args;
  const eps = args.eps ?? LAYER_NORM_DEFAULT_EPS;
  requirePositiveDims(label, 'layernorm', { N, C });
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new Error(`${label}: layernorm eps must be a finite number >= 0, got ${eps}`);
  requireElements(label, 'layernorm', 'x', x, N * C, `N*C = ${N}*${C}`);
  requireElements(label, 'layernorm', 'gamma', gamma, C, `C = ${C}`);
  requireElements(label, 'layernorm', 'beta', beta, C, `C = ${C}`);
  requireElements(label, 'layernorm', 'out', out, N * C, `N*C = ${N}*${C}`);
  if (out === x) throw new Error(`${label}: layernorm out must be a separate buffer from x`);

  const pipeline = ctx.pipelines.get('layernorm', () => wgslConstants({ WORKGROUP_SIZE }) + source);
  const params = makeUniform(ctx, `${label} params`, [['u32', N], ['u32', C], ['f32', eps]]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [x, gamma, beta, out, params]),
    workgroups: workgroupGrid(ctx, N * WORKGROUP_SIZE, WORKGROUP_SIZE),
  };
}

