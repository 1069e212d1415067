/**
 * Inverse 4th root (A + ε·λmax·I)^(−1/4) of a symmetric positive semidefinite n×n matrix on the
 * GPU, by the coupled Newton iteration for the inverse p-th root (p = 4):
 *
 *   Ã = A + ε·max(λ, 0)·I, with λ from 10 power iterations (makePowerIteration)
 *   z = (p + 1) / (2‖Ã‖∞),   X₀ = z^(1/p)·I,   M₀ = z·Ã          (so M = X^p·Ã throughout)
 *   T = ((p + 1)·I − M) / p,   X ← X·T,   M ← T^p·M = (T²)²·M
 *
 * Scaling: X₀ = c·I, M₀ = c^p·Ã with c^p = z. ‖Ã‖∞ (the largest absolute row sum) bounds every
 * eigenvalue of Ã, so the eigenvalues of M₀ lie in (0, (p + 1)/2]. That is inside (0, p + 1),
 * where the scalar map t ↦ t·((p + 1 − t)/p)^p carries every value to 1. This is the scaling used by
 * distributed Shampoo, z = (p + 1) / (2‖Ã‖), there with the Frobenius norm; the ∞-norm is
 * cheaper, cannot overflow on squares, and is never larger than √n times λmax.
 *
 * Stopping: the iteration runs while max|M − I| ≥ tolerance (1e-6) and fewer than maxIterations
 * (10) iterates were accepted. An iterate whose error is not below 1.2 times the previous one is
 * discarded, the previous X kept, and the iteration stops. Small eigenvalues of M₀ grow only by
 * ((p + 1)/p)^p ≈ 2.44 per iteration. NOTE: so the default 10 iterations reach the tolerance only
 * up to cond(Ã) ≈ 300; cond 1e4 needs 14 and cond 1e6 (the ridge ε = 1e-6 alone) 19 (f64
 * reference, n = 64 and 200, log-spaced eigenvalues). With fewer, the root comes out too small
 * along the smallest eigenvectors, and FLAGS has NOT_CONVERGED; pass maxIterations to raise it.
 *
 * Safety: everything is decided on the GPU through the status block (root-status.ts). A NaN or
 * ±Inf in A or λmax, an ‖Ã‖∞ of 0 or +Inf, or a non-finite result leaves `root` holding its
 * previous contents, sets FLAGS and increments KEPT_COUNT; the caller reads the block whenever it
 * likes, for example every few hundred steps.
 */
import type { GpuContext } from '../gpu/context';
import { makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements, requirePositiveDims } from '../gpu/validate';
import { makeCountNonFinite } from '../reduce/reduce';
import { bindBuffers, checkWorkspace, type LinalgWorkspace } from './common';
import { NEWTON_GROWTH_LIMIT, NEWTON_MAX_ITERATIONS, NEWTON_TOLERANCE, ROOT_EPSILON, ROOT_ORDER } from './constants';
import { makeGemm, rowMajor } from './gemm';
import source from './inverse-root.wgsl?raw';
import { makePowerIteration } from './power-iteration';
import { ROOT_STATUS, ROOT_STATUS_WORDS, rootStatusConstants } from './root-status';

const WORKGROUP_SIZE = 256;

export interface InverseRootArgs {
  /** n×n row-major, symmetric positive semidefinite. Not modified. */
  a: GPUBuffer;
  n: number;
  /** n×n row-major output; keeps its previous contents when the run fails (see FLAGS). */
  root: GPUBuffer;
  /** u32 status block of ROOT_STATUS_WORDS words at word statusOffset (default 0). */
  status: GPUBuffer;
  statusOffset?: number;
  /**
   * Scratch: matrices[0..4] (X, M, T, T², candidate X) and vectors[0..2] (power iteration,
   * non-finite count partials). Must not contain a, root or status.
   */
  workspace: LinalgWorkspace;
  /** Relative ridge ε (default 1e-6). */
  epsilon?: number;
  /** Default 10. */
  maxIterations?: number;
  /** Default 1e-6. */
  tolerance?: number;
}

/** Builds every dispatch of one inverse-root computation, to record in order. */
export function makeInverseRoot(ctx: GpuContext, label: string, args: InverseRootArgs): Dispatch[] {
  const { a, n, root, status, workspace } = args;
  const statusOffset = args.statusOffset ?? 0;
  const epsilon = args.epsilon ?? ROOT_EPSILON;
  const maxIterations = args.maxIterations ?? NEWTON_MAX_ITERATIONS;
  const tolerance = args.tolerance ?? NEWTON_TOLERANCE;
  requirePositiveDims(label, 'inverse root', { n });
  if (!Number.isInteger(maxIterations) || maxIterations < 0) throw new Error(`${label}: inverse root maxIterations must be an integer ≥ 0, got ${maxIterations}`);
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) throw new Error(`${label}: inverse root epsilon must be finite and ≥ 0, got ${epsilon}`);
  if (!(tolerance > 0)) throw new Error(`${label}: inverse root tolerance must be positive, got ${tolerance}`);
  if (!Number.isInteger(statusOffset) || statusOffset < 0) throw new Error(`${label}: inverse root statusOffset must be an integer ≥ 0, got ${statusOffset}`);
  requireElements(label, 'inverse root', 'a', a, n * n, `n*n = ${n}*${n}`);
  requireElements(label, 'inverse root', 'root', root, n * n, `n*n = ${n}*${n}`);
  requireElements(label, 'inverse root', 'status', status, statusOffset + ROOT_STATUS_WORDS, `statusOffset + ${ROOT_STATUS_WORDS}`);
  checkWorkspace(label, 'inverse root', workspace, n);
  const [x, m, t, t2, nextX] = workspace.matrices;
  const [v, w, partials] = workspace.vectors;
  const scratch = new Set([x, m, t, t2, nextX, v, w, partials]);
  if (scratch.has(a) || scratch.has(root) || scratch.has(status) || a === root || status === a || status === root) {
    throw new Error(`${label}: inverse root a, root, status and the workspace must be separate buffers`);
  }

  const pipeline = (entry: string) =>
    ctx.pipelines.get(
      `linalg-inverse-root:${entry}`,
      () => wgslConstants({ WORKGROUP_SIZE, ROOT_P: ROOT_ORDER, ...rootStatusConstants() }) + source,
      entry,
    );
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', n],
    ['u32', statusOffset],
    ['f32', epsilon],
    ['f32', tolerance],
    ['u32', maxIterations],
    ['f32', NEWTON_GROWTH_LIMIT],
  ]);
  const grid = workgroupGrid(ctx, n * n, WORKGROUP_SIZE);
  const single: [number, number, number] = [1, 1, 1];
  const control = (entry: string, workgroups: [number, number, number], buffers: Record<number, GPUBuffer> = {}): Dispatch => {
    const p = pipeline(entry);
    return { label: `${label} ${entry}`, pipeline: p, bindGroup: bindBuffers(ctx, p, `${label} ${entry}`, { 0: params, 1: status, ...buffers }), workgroups };
  };
  const gate = { status, word: statusOffset + ROOT_STATUS.ACTIVE, runIf: 'nonzero' as const };
  const product = (name: string, left: GPUBuffer, right: GPUBuffer, out: GPUBuffer) =>
    makeGemm(ctx, `${label} ${name}`, { a: rowMajor(left, n), b: rowMajor(right, n), out, m: n, k: n, n, gate });

  const dispatches: Dispatch[] = [
    ...makePowerIteration(ctx, `${label} power iteration`, { a, n, lambda: status, lambdaIndex: statusOffset + ROOT_STATUS.LAMBDA_MAX, v, w }),
    control('prepare', single, { 2: a }),
    control('fill', grid, { 2: a, 3: x, 5: m }),
    control('start', single),
  ];
  // One set of prepared dispatches serves every iteration: the buffers play the same roles each time.
  const iteration = [
    control('affine', grid, { 2: m, 3: t }),
    product('X·T', x, t, nextX),
    product('T·T', t, t, t2),
    product('T²·T²', t2, t2, t),
    product('T⁴·M', t, m, t2),
    control('measure_error', grid, { 2: t2 }),
    control('decide', single),
    control('commit', grid, { 2: nextX, 3: x, 4: t2, 5: m }),
  ];
  for (let i = 0; i < maxIterations; i++) dispatches.push(...iteration);
  dispatches.push(
    ...makeCountNonFinite(ctx, `${label} check`, { src: x, n: n * n, results: status, index: statusOffset + ROOT_STATUS.NONFINITE_COUNT, partials }),
    control('finish', single),
    control('store', grid, { 2: x, 3: root }),
  );
  return dispatches;
}
