/**
 * Björck orthogonal rectification on the GPU, repeated `steps` times in place on the n×n V:
 *   V ← 1.5·V − 0.5·V·Vᵀ·V
 * Each step maps every singular value σ of V to 1.5σ − 0.5σ³ and keeps the singular vectors. The
 * map converges quadratically to 1 for σ in (0, √3). The same formula serves V and Vᵀ, so it applies
 * to the stored eigenvector rows as they are.
 */
import type { GpuContext } from '../gpu/context';
import type { Dispatch } from '../gpu/dispatch';
import { requireElements, requirePositiveDims } from '../gpu/validate';
import { checkWorkspace, type LinalgWorkspace } from './common';
import { makeCopy } from './elementwise';
import { makeGemm, rowMajor } from './gemm';

export interface BjorckArgs {
  /** n×n row-major, updated in place. */
  v: GPUBuffer;
  n: number;
  steps: number;
  /** Scratch: matrices[0] (V·Vᵀ) and matrices[1] (the next V). */
  workspace: LinalgWorkspace;
}

/** Builds the dispatches of `steps` rectification steps: per step two GEMMs and a copy. */
export function makeBjorck(ctx: GpuContext, label: string, args: BjorckArgs): Dispatch[] {
  const { v, n, steps, workspace } = args;
  requirePositiveDims(label, 'Björck', { n, steps });
  requireElements(label, 'Björck', 'v', v, n * n, `n*n = ${n}*${n}`);
  checkWorkspace(label, 'Björck', workspace, n);
  const [gram, next] = workspace.matrices;
  if (v === gram || v === next) throw new Error(`${label}: Björck v must not be a workspace buffer`);
  const step = [
    makeGemm(ctx, `${label} V·Vᵀ`, { a: rowMajor(v, n), b: rowMajor(v, n, true), out: gram, m: n, k: n, n, symmetric: true }),
    makeGemm(ctx, `${label} 1.5V − 0.5V·Vᵀ·V`, { a: rowMajor(gram, n), b: rowMajor(v, n), out: next, m: n, k: n, n, alpha: -0.5, addend: v, beta: 1.5 }),
    makeCopy(ctx, `${label} copy`, { src: next, out: v, count: n * n }),
  ];
  return Array.from({ length: steps }, () => step).flat();
}
