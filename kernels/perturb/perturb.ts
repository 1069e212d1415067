/**
 * Perturbation kernels of the zeroth-order optimizers (MeZO, SubZero). Each tensor gets prepared
 * dispatches once; the shared StepParams uniform (seed, c, keep) is rewritten between passes.
 *
 * Full rank (MeZO, and 1-D tensors under SubZero), over N elements:
 *   dst[i] = (applyDecay ? keep · src[i] : src[i]) + c · gaussian(seed, stream, i)
 * Low rank (2-D tensors under SubZero), src and dst [M, N], U [M, R], V [N, R], Σ [R, R]:
 *   dst = (applyDecay ? keep : 1) · src + c · scale · U Σ Vᵀ
 *
 * When src === dst the in-place variant binds one read_write buffer, so the same code serves the
 * scratch copy (src = θ, dst = scratch, c = ±ε) and the update (src = dst = θ, c = −η·g, keep = 1 − η·λ).
 */
import { requireElements } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { checkU32, getGaussianTable, rngWgsl } from '../rng/rng';
import fullSource from './perturb-full.wgsl?raw';
import lowRankSource from './perturb-low-rank.wgsl?raw';
import { stepParamsWgsl } from './step-params';
import copySource from './tensor-copy.wgsl?raw';
import inPlaceSource from './tensor-in-place.wgsl?raw';

export { makeStepParams, writeStepParams, type StepParams } from './step-params';

const WORKGROUP_SIZE = 256;
/** Largest rank R the low-rank kernel accepts (size of its workgroup row buffer). */
export const LOW_RANK_MAX_RANK = 64;
/** First binding of the src/dst buffers in each kernel: after the table and uniforms (full) or U, V, Σ (low rank). */
const FULL_TENSOR_BINDING = 3;
const LOW_RANK_TENSOR_BINDING = 5;

type TensorVariant = 'copy' | 'in-place';

function tensorVariant(src: GPUBuffer, dst: GPUBuffer): TensorVariant {
  return src === dst ? 'in-place' : 'copy';
}

function tensorBindings(src: GPUBuffer, dst: GPUBuffer): GPUBuffer[] {
  return src === dst ? [src] : [src, dst];
}

function tensorSource(variant: TensorVariant): string {
  return variant === 'copy' ? copySource : inPlaceSource;
}


export interface PerturbFullArgs {
  /** [N] f32 input, which may be the same buffer as dst. */
  src: GPUBuffer;
  /** [N] f32 output. */
  dst: GPUBuffer;
  n: number;
  /** u32 stream of this tensor (static). */
  stream: number;
  /** Whether src is multiplied by step.keep (weight decay). False for biases and norm gains. */
  applyDecay: boolean;
  /** StepParams uniform shared by the pass (seed, c, keep). */
  step: GPUBuffer;
  /** Stream index of element 0 (default 0), for a tensor split over several buffers. */
  indexOffset?: number;
}

/** Builds the full-rank perturbation dispatch for one tensor. */
export function makePerturbFull(ctx: GpuContext, label: string, args: PerturbFullArgs): Dispatch {
  const indexOffset = args.indexOffset ?? 0;
  checkU32(`${label}: n`, args.n);
  checkU32(`${label}: stream`, args.stream);
  checkU32(`${label}: indexOffset`, indexOffset);
  if (indexOffset + args.n > 2 ** 32) {
    throw new Error(`${label}: indexOffset + n = ${indexOffset + args.n} exceeds the last u32 index 2^32 − 1`);
  }
  requireElements(label, 'perturb', 'src', args.src, args.n, `n = ${args.n}`);
  requireElements(label, 'perturb', 'dst', args.dst, args.n, `n = ${args.n}`);

  const variant = tensorVariant(args.src, args.dst);
  const pipeline = ctx.pipelines.get(`perturb-full:${variant}`, () =>
    wgslConstants({ WORKGROUP_SIZE, TENSOR_BINDING: FULL_TENSOR_BINDING }) + rngWgsl() + stepParamsWgsl() + tensorSource(variant) + fullSource,
  );
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', args.n],
    ['u32', args.stream],
    ['u32', args.applyDecay ? 1 : 0],
    ['u32', indexOffset],
  ]);
  const buffers = [getGaussianTable(ctx), params, args.step, ...tensorBindings(args.src, args.dst)];
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, buffers),
    workgroups: workgroupGrid(ctx, args.n, WORKGROUP_SIZE),
  };
}

export interface PerturbLowRankArgs {
  /** [M, N] f32 input, which may be the same buffer as dst. */
  src: GPUBuffer;
  /** [M, N] f32 output. */
  dst: GPUBuffer;
  /** [M, R] f32, orthonormal columns (rows rowOffset.. are used). */
  u: GPUBuffer;
  /** [N, R] f32, orthonormal columns. */
  v: GPUBuffer;
  /** [R, R] f32 core Σ, fresh Gaussian each step. */
  sigma: GPUBuffer;
  m: number;
  n: number;
  /** Effective rank, 1 ≤ r ≤ min(m, n, LOW_RANK_MAX_RANK). */
  r: number;
  /** Static factor of the direction. SubZero passes sqrt(m·n) / r. */
  scale: number;
  applyDecay: boolean;
  step: GPUBuffer;
  /** Row of U that row 0 of src/dst corresponds to (default 0), for a matrix split by rows. */
  rowOffset?: number;
  /**
   * Rows of the whole matrix, which U has (default rowOffset + m). With a matrix split by rows, each
   * chunk passes its own m and rowOffset and the whole matrix's row count here.
   */
  totalRows?: number;
}

/** Builds the low-rank perturbation dispatch for one m×n matrix: one workgroup per row. */
export function makePerturbLowRank(ctx: GpuContext, label: string, args: PerturbLowRankArgs): Dispatch {
  const { m, n, r } = args;
  const rowOffset = args.rowOffset ?? 0;
  const totalRows = args.totalRows ?? rowOffset + m;
  checkU32(`${label}: m`, m);
  checkU32(`${label}: n`, n);
  checkU32(`${label}: rowOffset`, rowOffset);
  if (!Number.isInteger(r) || r < 1 || r > LOW_RANK_MAX_RANK) {
    throw new Error(`${label}: rank r must be an integer in [1, ${LOW_RANK_MAX_RANK}], got ${r}`);
  }
  if (!Number.isInteger(totalRows) || rowOffset + m > totalRows) {
    throw new Error(`${label}: rows ${rowOffset}..${rowOffset + m - 1} must lie within totalRows = ${totalRows}`);
  }
  if (r > Math.min(totalRows, n)) {
    const rows = totalRows === m ? 'm' : 'totalRows';
    throw new Error(`${label}: rank r = ${r} exceeds min(${rows}, n) = ${Math.min(totalRows, n)}; pass the effective rank min(r, m, n)`);
  }
  if (m * n > 2 ** 32) throw new Error(`${label}: m·n = ${m * n} exceeds the u32 index range`);
  if (!Number.isFinite(args.scale)) throw new Error(`${label}: scale must be finite, got ${args.scale}`);
  requireElements(label, 'perturb', 'src', args.src, m * n, `m·n = ${m}·${n}`);
  requireElements(label, 'perturb', 'dst', args.dst, m * n, `m·n = ${m}·${n}`);
  requireElements(label, 'perturb', 'u', args.u, totalRows * r, `totalRows·r = ${totalRows}·${r}`);
  requireElements(label, 'perturb', 'v', args.v, n * r, `n·r = ${n}·${r}`);
  requireElements(label, 'perturb', 'sigma', args.sigma, r * r, `r·r = ${r}·${r}`);

  const variant = tensorVariant(args.src, args.dst);
  const pipeline = ctx.pipelines.get(`perturb-low-rank:${variant}`, () =>
    wgslConstants({ WORKGROUP_SIZE, LOW_RANK_MAX_RANK, TENSOR_BINDING: LOW_RANK_TENSOR_BINDING }) + stepParamsWgsl() + tensorSource(variant) + lowRankSource,
  );
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', m],
    ['u32', n],
    ['u32', r],
    ['f32', args.scale],
    ['u32', args.applyDecay ? 1 : 0],
    ['u32', rowOffset],
  ]);
  const buffers = [params, args.step, args.u, args.v, args.sigma, ...tensorBindings(args.src, args.dst)];
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, buffers),
    workgroups: workgroupGrid(ctx, m * WORKGROUP_SIZE, WORKGROUP_SIZE),
  };
}
