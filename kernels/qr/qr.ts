/**
 * Thin QR on the GPU: replaces the [M, R] row-major matrix `a` by the Q factor of A = Q R, with
 * diag(R) > 0 (the convention of qr.ref.ts). Modified Gram–Schmidt with one re-orthogonalisation
 * pass, in a single workgroup. SubZero fills `a` with `makeGaussianFill` and then runs this to get
 * orthonormal U and V.
 */
import { requireElements } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import source from './qr.wgsl?raw';

const WORKGROUP_SIZE = 256;
/** Largest R accepted: it bounds the workgroup norm buffer, and WORKGROUP_SIZE / R ≥ 4 row slots. */
export const QR_MAX_RANK = 64;
/** MGS passes: the second re-orthogonalises the first pass's Q. */
const QR_PASSES = 2;

export interface QrArgs {
  /** [M, R] f32, row-major, overwritten by Q. */
  a: GPUBuffer;
  m: number;
  /** Number of columns, 1 ≤ r ≤ min(m, QR_MAX_RANK). */
  r: number;
}

/**
 * Builds the QR dispatch (one workgroup). Its cost is about 2 · QR_PASSES · m · r² multiply-adds
 * on a single workgroup, so it suits occasional subspace refreshes, not per-step work.
 */
export function makeQr(ctx: GpuContext, label: string, args: QrArgs): Dispatch {
  const { m, r } = args;
  if (!Number.isInteger(r) || r < 1 || r > QR_MAX_RANK) {
    throw new Error(`${label}: r must be an integer in [1, ${QR_MAX_RANK}], got ${r}`);
  }
  if (!Number.isInteger(m) || m < r) {
    throw new Error(`${label}: m must be an integer ≥ r = ${r}, got ${m}`);
  }
  requireElements(label, 'qr', 'a', args.a, m * r, `m·r = ${m}·${r}`);

  const pipeline = ctx.pipelines.get('qr-mgs', () => wgslConstants({ WORKGROUP_SIZE, QR_MAX_RANK, QR_PASSES }) + source);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', m],
    ['u32', r],
  ]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [args.a, params]),
    workgroups: [1, 1, 1],
  };
}
