/**
 * Softmax cross-entropy on the GPU for classification: per-sample losses, the gradient of the mean
 * loss with respect to the logits, and per-sample correct flags for accuracy, in one dispatch.
 * The number of rows processed is a uniform that setBatchSize lowers below the buffers' capacity,
 * so the last, partial evaluation batch reuses the same prepared dispatch.
 */
import { requireElements, requirePositiveDims } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, writeUniform, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import source from './softmax-xent.wgsl?raw';

const WORKGROUP_SIZE = 64;

/** Bits of the quiet NaN written for a label >= K. */
const NAN_BITS = 0x7fc00000;

export interface SoftmaxCrossEntropyArgs {
  /** [B, K]. */
  logits: GPUBuffer;
  /** [B] u32 class ids. A label >= K gives a NaN loss and dlogits row; loaders are expected to reject such labels. */
  labels: GPUBuffer;
  /** [B] per-sample losses. */
  losses: GPUBuffer;
  /** [B, K], (softmax − onehot) / batch size. Must not be logits. */
  dlogits: GPUBuffer;
  /** [B] u32, 1 where the first index of the largest logit equals the label, else 0. */
  correct: GPUBuffer;
  /** Rows the buffers hold: the largest batch size, and the one used until setBatchSize changes it. */
  B: number;
  /** Classes. */
  K: number;
}

export interface SoftmaxCrossEntropyDispatch extends Dispatch {
  /**
   * Sets the rows processed by later submits to the first `batchSize` (1 ≤ batchSize ≤ B). Rows past
   * it are left untouched, and the gradient is divided by `batchSize`. Takes effect in queue order.
   */
  setBatchSize(batchSize: number): void;
}

export function makeSoftmaxCrossEntropy(ctx: GpuContext, label: string, args: SoftmaxCrossEntropyArgs): SoftmaxCrossEntropyDispatch {
  const { logits, labels, losses, dlogits, correct, B, K } = args;
  requirePositiveDims(label, 'softmax cross-entropy', { B, K });
  requireElements(label, 'softmax cross-entropy', 'logits', logits, B * K, `B*K = ${B}*${K}`);
  requireElements(label, 'softmax cross-entropy', 'labels', labels, B, `B = ${B}`);
  requireElements(label, 'softmax cross-entropy', 'losses', losses, B, `B = ${B}`);
  requireElements(label, 'softmax cross-entropy', 'dlogits', dlogits, B * K, `B*K = ${B}*${K}`);
  requireElements(label, 'softmax cross-entropy', 'correct', correct, B, `B = ${B}`);
  if (new Set([logits, labels, losses, dlogits, correct]).size !== 5) {
    throw new Error(`${label}: softmax cross-entropy logits, labels, losses, dlogits and correct must be five separate buffers`);
  }

  const pipeline = ctx.pipelines.get('softmax-xent', () => wgslConstants({ WORKGROUP_SIZE, NAN_BITS: { u32: NAN_BITS } }) + source);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', B],
    ['u32', K],
  ]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [params, logits, labels, losses, dlogits, correct]),
    workgroups: workgroupGrid(ctx, B, WORKGROUP_SIZE),
    setBatchSize(batchSize: number): void {
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > B) {
        throw new Error(`${label}: softmax cross-entropy batch size must be an integer in [1, ${B}], got ${batchSize}`);
      }
      writeUniform(ctx, params, [
        ['u32', batchSize],
        ['u32', K],
      ]);
    },
  };
}
