/**
 * diag(Pᵀ·A·P) on the GPU for n×n P and symmetric A: s[v] = pᵥᵀ·A·pᵥ for every basis vector pᵥ,
 * the eigenvalue read-off of the subspace iteration.
 *
 * layout 'columns': the vectors are the columns of P (row-major); s[j] = Σᵢ P[i, j]·(A·P)[i, j].
 * layout 'rows':    the vectors are the rows of P (P is Vᵀ, as 4-bit Shampoo stores
 *                   eigenvectors); s[k] = Σⱼ P[k, j]·(P·A)[k, j], which is diag(P·A·Pᵀ).
 * Pass `product` when A·P (columns) or P·A (rows) is already at hand; otherwise the GEMM that forms
 * it runs first, into workspace.matrices[0].
 */
import type { GpuContext } from '../gpu/context';
import { makeUniform, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements, requirePositiveDims } from '../gpu/validate';
import { bindBuffers, checkWorkspace, type LinalgWorkspace } from './common';
import source from './diag-quadratic.wgsl?raw';
import { makeGemm, rowMajor } from './gemm';

const WORKGROUP_SIZE = 64;

export type VectorLayout = 'columns' | 'rows';

export interface DiagQuadraticArgs {
  /** n×n row-major basis; `layout` tells whether its vectors are columns or rows. */
  p: GPUBuffer;
  n: number;
  layout: VectorLayout;
  /** n outputs. */
  out: GPUBuffer;
  /** n×n row-major A; needed unless `product` is given. */
  a?: GPUBuffer;
  /** A·P (columns) or P·A (rows), n×n row-major. */
  product?: GPUBuffer;
  /** Needed unless `product` is given. */
  workspace?: LinalgWorkspace;
}

export function makeDiagQuadratic(ctx: GpuContext, label: string, args: DiagQuadraticArgs): Dispatch[] {
  const { p, n, layout, out, a } = args;
  requirePositiveDims(label, 'diag quadratic', { n });
  requireElements(label, 'diag quadratic', 'p', p, n * n, `n*n = ${n}*${n}`);
  requireElements(label, 'diag quadratic', 'out', out, n, `n = ${n}`);
  if (n > ctx.limits.maxComputeWorkgroupsPerDimension) throw new Error(`${label}: diag quadratic n = ${n} exceeds the workgroup limit per dimension`);

  const dispatches: Dispatch[] = [];
  let product = args.product;
  if (!product) {
    if (!a || !args.workspace) throw new Error(`${label}: diag quadratic needs a and a workspace when product is not given`);
    checkWorkspace(label, 'diag quadratic', args.workspace, n);
    product = args.workspace.matrices[0];
    if (product === p || product === a || product === out) throw new Error(`${label}: diag quadratic p, a and out must not be workspace.matrices[0]`);
    const [left, right] = layout === 'columns' ? [a, p] : [p, a];
    dispatches.push(makeGemm(ctx, `${label} product`, { a: rowMajor(left, n), b: rowMajor(right, n), out: product, m: n, k: n, n }));
  }
  requireElements(label, 'diag quadratic', 'product', product, n * n, `n*n = ${n}*${n}`);
  if (out === p || out === product) throw new Error(`${label}: diag quadratic out must be separate from p and the product`);

  const pipeline = ctx.pipelines.get('linalg-diag-quadratic', () => wgslConstants({ WORKGROUP_SIZE }) + source);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', n],
    ['u32', layout === 'columns' ? 1 : n],
    ['u32', layout === 'columns' ? n : 1],
  ]);
  dispatches.push({ label, pipeline, bindGroup: bindBuffers(ctx, pipeline, label, { 0: params, 1: p, 2: product, 3: out }), workgroups: [n, 1, 1] });
  return dispatches;
}
