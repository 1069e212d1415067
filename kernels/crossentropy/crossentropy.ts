/**
 * Cross-entropy loss on the GPU: per-row losses, then their masked mean.
 * makeCrossEntropy: losses[i] = mask[i] · (logsumexp(logits[i, :]) - logits[i, targets[i]]).
 * makeMaskedMean: out[outIndex] = Σ values / max(Σ mask, 1), in one workgroup with a fixed
 * reduction order, so the loss the optimizer reads back is bit-for-bit reproducible.
 */
import { requireElements, requirePositiveDims } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import crossEntropySource from './crossentropy.wgsl?raw';
import maskedMeanSource from './masked-mean.wgsl?raw';

/** Threads per row (cross-entropy) and for the whole mean; a power of two for the tree reductions. */
const WORKGROUP_SIZE = 256;

/** The most negative finite f32, the initial running maximum in the shader. */
const LOWEST_F32 = -3.4028234663852886e38;

export interface CrossEntropyArgs {
  /** N×V. */
  logits: GPUBuffer;
  /** N u32 target ids. A target >= V gives loss 0 (see the shader); loaders are expected to reject such ids. */
  targets: GPUBuffer;
  /** N f32, 1 for rows that count and 0 for rows that do not. */
  mask: GPUBuffer;
  /** N f32 output. */
  losses: GPUBuffer;
  N: number;
  V: number;
}

export function makeCrossEntropy(ctx: GpuContext, label: string, args: CrossEntropyArgs): Dispatch {
  const { logits, targets, mask, losses, N, V } = args;
  requirePositiveDims(label, 'cross-entropy', { N, V });
  requireElements(label, 'cross-entropy', 'logits', logits, N * V, `N*V = ${N}*${V}`);
  requireElements(label, 'cross-entropy', 'targets', targets, N, `N = ${N}`);
  requireElements(label, 'cross-entropy', 'mask', mask, N, `N = ${N}`);
  requireElements(label, 'cross-entropy', 'losses', losses, N, `N = ${N}`);

  const pipeline = ctx.pipelines.get('crossentropy', () => wgslConstants({ WORKGROUP_SIZE, LOWEST_F32 }) + crossEntropySource);
  const params = makeUniform(ctx, `${label} params`, [['u32', N], ['u32', V]]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [logits, targets, mask, losses, params]),
    workgroups: workgroupGrid(ctx, N * WORKGROUP_SIZE, WORKGROUP_SIZE),
  };
}

export interface MaskedMeanArgs {
  /** N f32, typically the masked per-row losses. */
  values: GPUBuffer;
  /** N f32 weights of the denominator, 0 or 1. */
  mask: GPUBuffer;
  /** Receives the mean at element outIndex; no other element is written. */
  out: GPUBuffer;
  outIndex: number;
  N: number;
}

export function makeMaskedMean(ctx: GpuContext, label: string, args: MaskedMeanArgs): Dispatch {
  const { values, mask, out, outIndex, N } = args;
  requirePositiveDims(label, 'masked mean', { N });
  if (!Number.isInteger(outIndex) || outIndex < 0) throw new Error(`${label}: masked mean outIndex must be an integer >= 0, got ${outIndex}`);
  requireElements(label, 'masked mean', 'values', values, N, `N = ${N}`);
  requireElements(label, 'masked mean', 'mask', mask, N, `N = ${N}`);
  requireElements(label, 'masked mean', 'out', out, outIndex + 1, `outIndex + 1 = ${outIndex + 1}`);
  if (out === values || out === mask) throw new Error(`${label}: masked mean out must be a separate buffer from values and mask`);

  const pipeline = ctx.pipelines.get('masked-mean', () => wgslConstants({ WORKGROUP_SIZE }) + maskedMeanSource);
  const params = makeUniform(ctx, `${label} params`, [['u32', N], ['u32', outIndex]]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [values, mask, out, params]),
    workgroups: [1, 1, 1],
  };
}


