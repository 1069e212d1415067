/**
 * Shampoo factor updates on the GPU, for a gradient block G (m×n, a strided view so that a block
 * of a larger gradient needs no copy):
 *   left:  L ← β·L + (1 − β)·G·Gᵀ   (m×m)
 *   right: R ← β·R + (1 − β)·Gᵀ·G   (n×n)
 * One in-place GEMM each; the result is exactly symmetric when the factor was. makeScaledIdentity
 * (elementwise.ts) initialises L = R = ε·I.
 */
import type { GpuContext } from '../gpu/context';
import type { Dispatch } from '../gpu/dispatch';
import type { Gate } from './common';
import { makeGemm } from './gemm';

export interface GramEmaArgs {
  /** The gradient block: element (i, j) at g[offset + i·rowStride + j]. */
  g: GPUBuffer;
  rows: number;
  cols: number;
  /** Default cols (a whole row-major matrix). */
  rowStride?: number;
  offset?: number;
  /** m×m for 'left', n×n for 'right', row-major, updated in place. */
  factor: GPUBuffer;
  side: 'left' | 'right';
  beta: number;
  /** Optional: skip the update, for example when the gradient held a non-finite entry. */
  gate?: Gate;
}

export function makeGramEma(ctx: GpuContext, label: string, args: GramEmaArgs): Dispatch {
  const { g, rows, cols, factor, side, beta, gate } = args;
  if (!(beta >= 0 && beta <= 1)) throw new Error(`${label}: gram EMA beta must be in [0, 1], got ${beta}`);
  const rowStride = args.rowStride ?? cols;
  const offset = args.offset ?? 0;
  if (!Number.isInteger(rowStride) || rowStride < cols) throw new Error(`${label}: gram EMA rowStride must be an integer ≥ cols = ${cols}, got ${rowStride}`);
  const gView = { buffer: g, offset, rowStride, colStride: 1 };
  const gTransposed = { buffer: g, offset, rowStride: 1, colStride: rowStride };
  const order = side === 'left' ? rows : cols;
  return makeGemm(ctx, label, {
    a: side === 'left' ? gView : gTransposed,
    b: side === 'left' ? gTransposed : gView,
    out: factor,
    m: order,
    k: side === 'left' ? cols : rows,
    n: order,
    alpha: 1 - beta,
    addend: factor,
    beta,
    gate,
    symmetric: true,
  });
}
