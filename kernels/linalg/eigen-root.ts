/**
 * The 4-bit Shampoo inverse root from an eigendecomposition, on the GPU:
 *   Â = V · diag(f(S)) · Vᵀ,   f(s) = (max(s, 0) + ε·max S)^(−1/4)
 * Layout: `vt` is n×n row-major and contains Vᵀ: row k is the unit eigenvector vₖ of eigenvalue S[k]
 * (the layout 4-bit Shampoo stores), so Â[i, j] = Σₖ f(S[k])·vt[k, i]·vt[k, j].
 *
 * Negative S (rounding of a positive semidefinite factor) is clamped to 0. A NaN or ±Inf in S or
 * Vᵀ, or max S ≤ 0 (or ε = 0), leaves `root` as it was, sets FLAGS and increments KEPT_COUNT in the
 * status block (root-status.ts); the root GEMM is gated on WRITE, so nothing is read back.
 */
import type { GpuContext } from '../gpu/context';
import { makeUniform, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements, requirePositiveDims } from '../gpu/validate';
import { makeCountNonFinite } from '../reduce/reduce';
import { bindBuffers, checkWorkspace, type LinalgWorkspace } from './common';
import { ROOT_EPSILON, ROOT_ORDER } from './constants';
import source from './eigen-root.wgsl?raw';
import { makeGemm, rowMajor } from './gemm';
import { ROOT_STATUS, ROOT_STATUS_WORDS, rootStatusConstants } from './root-status';

const WORKGROUP_SIZE = 256;

export interface EigenRootArgs {
  /** n×n row-major Vᵀ (rows are eigenvectors). */
  vt: GPUBuffer;
  /** n eigenvalues, S[k] belonging to row k of vt. */
  values: GPUBuffer;
  n: number;
  /** n×n row-major output; keeps its previous contents when the inputs are rejected. */
  root: GPUBuffer;
  /** u32 status block of ROOT_STATUS_WORDS words at word statusOffset (default 0). */
  status: GPUBuffer;
  statusOffset?: number;
  /** Scratch: vectors[0] (the weights) and vectors[2] (non-finite count partials). */
  workspace: LinalgWorkspace;
  /** Relative ridge ε (default 1e-6). */
  epsilon?: number;
}

export function makeEigenRoot(ctx: GpuContext, label: string, args: EigenRootArgs): Dispatch[] {
  const { vt, values, n, root, status, workspace } = args;
  const statusOffset = args.statusOffset ?? 0;
  const epsilon = args.epsilon ?? ROOT_EPSILON;
  requirePositiveDims(label, 'eigen root', { n });
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) throw new Error(`${label}: eigen root epsilon must be finite and ≥ 0, got ${epsilon}`);
  if (!Number.isInteger(statusOffset) || statusOffset < 0) throw new Error(`${label}: eigen root statusOffset must be an integer ≥ 0, got ${statusOffset}`);
  requireElements(label, 'eigen root', 'vt', vt, n * n, `n*n = ${n}*${n}`);
  requireElements(label, 'eigen root', 'values', values, n, `n = ${n}`);
  requireElements(label, 'eigen root', 'root', root, n * n, `n*n = ${n}*${n}`);
  requireElements(label, 'eigen root', 'status', status, statusOffset + ROOT_STATUS_WORDS, `statusOffset + ${ROOT_STATUS_WORDS}`);
  checkWorkspace(label, 'eigen root', workspace, n);
  const weights = workspace.vectors[0];
  const partials = workspace.vectors[2];
  if (new Set([vt, values, root, status, weights, partials]).size !== 6) {
    throw new Error(`${label}: eigen root vt, values, root, status and the workspace vectors must be separate buffers`);
  }

  const pipeline = ctx.pipelines.get('linalg-eigen-root', () => wgslConstants({ WORKGROUP_SIZE, ROOT_P: ROOT_ORDER, ...rootStatusConstants() }) + source);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', n],
    ['u32', statusOffset],
    ['f32', epsilon],
  ]);
  return [
    ...makeCountNonFinite(ctx, `${label} check`, { src: vt, n: n * n, results: status, index: statusOffset + ROOT_STATUS.NONFINITE_COUNT, partials }),
    {
      label: `${label} weights`,
      pipeline,
      bindGroup: bindBuffers(ctx, pipeline, `${label} weights`, { 0: params, 1: status, 2: values, 3: weights }),
      workgroups: [1, 1, 1],
    },
    makeGemm(ctx, `${label} V·diag(w)·Vᵀ`, {
      a: rowMajor(vt, n, true),
      b: rowMajor(vt, n),
      out: root,
      m: n,
      k: n,
      n,
      weights,
      symmetric: true,
      gate: { status, word: statusOffset + ROOT_STATUS.WRITE, runIf: 'nonzero' },
    }),
  ];
}
