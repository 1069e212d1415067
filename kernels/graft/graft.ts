/**
 * Norm grafting on the GPU, in place on the preconditioned direction Ĝ:
 *   G̃ = Ĝ · ‖G‖_F / (‖Ĝ‖_F + GRAFT_EPSILON)
 * The two squared norms are read from a results buffer filled by `makeSumSquares` earlier in the
 * same or an earlier submit, so grafting needs no readback. Record the sum of squares of Ĝ before
 * this dispatch, because grafting overwrites Ĝ.
 */
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements, requirePositiveDims } from '../gpu/validate';
import source from './graft.wgsl?raw';

const WORKGROUP_SIZE = 256;
/** Added to ‖Ĝ‖_F so that a zero direction gives a finite scale (and stays zero). */
export const GRAFT_EPSILON = 1e-12;

export interface GraftArgs {
  /** f32 direction Ĝ, scaled in place over elements offset .. offset + n − 1. */
  direction: GPUBuffer;
  n: number;
  /** f32 slots written by `makeSumSquares`. Must be a separate buffer from direction. */
  results: GPUBuffer;
  /** Slot holding ‖G‖_F², the gradient's sum of squares. */
  gradientIndex: number;
  /** Slot holding ‖Ĝ‖_F², the direction's sum of squares before grafting. */
  directionIndex: number;
  /** First element of the range (default 0). */
  offset?: number;
}

/** Builds the grafting dispatch for one tensor's direction. */
export function makeGraft(ctx: GpuContext, label: string, args: GraftArgs): Dispatch {
  const { direction, n, results, gradientIndex, directionIndex } = args;
  const offset = args.offset ?? 0;
  requirePositiveDims(label, 'graft', { n });
  for (const [name, value] of [['offset', offset], ['gradientIndex', gradientIndex], ['directionIndex', directionIndex]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${label}: graft ${name} must be an integer >= 0, got ${value}`);
  }
  if (offset + n > 2 ** 32) throw new Error(`${label}: graft offset + n = ${offset + n} exceeds the u32 index range`);
  requireElements(label, 'graft', 'direction', direction, offset + n, `offset + n = ${offset} + ${n}`);
  const slots = Math.max(gradientIndex, directionIndex) + 1;
  requireElements(label, 'graft', 'results', results, slots, `max(gradientIndex, directionIndex) + 1 = ${slots}`);
  if (direction === results) throw new Error(`${label}: graft results must be a separate buffer from direction`);

  const pipeline = ctx.pipelines.get('graft', () => wgslConstants({ WORKGROUP_SIZE, GRAFT_EPSILON: { f32: GRAFT_EPSILON } }) + source);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', n],
    ['u32', offset],
    ['u32', gradientIndex],
    ['u32', directionIndex],
  ]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [direction, results, params]),
    workgroups: workgroupGrid(ctx, n, WORKGROUP_SIZE),
  };
}
