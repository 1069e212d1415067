/**
 * Blocking plan and memory accounting of Shampoo on the vision nets.
 *
 * A parameter with a matrix view m×n (conv kernels as (out, in·kh·kw)) is cut into blocks. Rows and
 * columns above maxOrder are split into runs of maxOrder with the remainder last. Every block h×w
 * gets its own left factor (order h) and right factor (order w). Parameters without a matrix view
 * (biases) get no factors.
 *
 * How each factor is stored depends on the variant and on its size (order² elements):
 *   shampoo32                          'fp32':        L, L̂ in f32
 *   shampoo4, quantize 'eigenvectors'  'eigen-4bit':  Vᵀ as 4-bit codes + absmax, S in f32,
 *                                                     L̂ as f32 diagonal + 4-bit off-diagonal
 *                                      'eigen-fp32':  the same algorithm, Vᵀ, S and L̂ in f32,
 *                                                     for factors of fewer than 4096 elements
 *   shampoo4, quantize 'factor'        'factor-4bit': L as 4-bit codes + absmax,
 *                                                     L̂ as f32 diagonal + 4-bit off-diagonal
 *                                      'fp32':        below 4096 elements
 */
import { blockRanges } from '../../../kernels/block-copy/block-copy';
import { quant4Layout } from '../../../kernels/quant4/quant4';
import type { MemoryBytes } from '../../../kernels/gpu/pool';
import type { VisionParameter } from '../../model/vision-types';
import type { ShampooConfig } from '../../run/types';
import type { StateCategory } from './owned-buffers';

/** Factors with fewer elements than this stay in f32 under shampoo4. */
export const QUANTIZE_MIN_ELEMENTS = 4096;

export type FactorStorage = 'fp32' | 'eigen-fp32' | 'eigen-4bit' | 'factor-4bit';

export type FactorSide = 'left' | 'right';

export interface FactorPlan {
  side: FactorSide;
  /** h for the left factor, w for the right one. */
  order: number;
  storage: FactorStorage;
  /** Names the tensor in labels and warnings, e.g. "conv1.weight block rows 0–3, cols 4–7, left factor". */
  label: string;
}

export interface BlockPlan {
  /** First row and column of the block in the parameter's matrix view. */
  r0: number;
  c0: number;
  /** Block shape h×w. */
  rows: number;
  cols: number;
  label: string;
  left: FactorPlan;
  right: FactorPlan;
}

export interface MatrixPlan {
  /** Index into the optimizer's parameter list. */
  parameterIndex: number;
  name: string;
  rows: number;
  cols: number;
  /** Row-major over the block grid: row blocks outer, column blocks inner. */
  blocks: BlockPlan[];
}

/** Returns how a factor of `order` is stored under `config`. */
export function factorStorage(config: ShampooConfig, order: number): FactorStorage {
  if (config.name === 'shampoo32') return 'fp32';
  const quantized = order * order >= QUANTIZE_MIN_ELEMENTS;
  if ((config.quantize ?? 'eigenvectors') === 'factor') return quantized ? 'factor-4bit' : 'fp32';
  return quantized ? 'eigen-4bit' : 'eigen-fp32';
}

/** Splits an m×n matrix view into Shampoo blocks, rows outer. */
export function planMatrixBlocks(name: string, rows: number, cols: number, config: ShampooConfig): BlockPlan[] {
  const rowRanges = blockRanges(rows, config.maxOrder);
  const colRanges = blockRanges(cols, config.maxOrder);
  const single = rowRanges.length === 1 && colRanges.length === 1;
  const blocks: BlockPlan[] = [];
  for (const r of rowRanges) {
    for (const c of colRanges) {
      const label = single ? name : `${name} block rows ${r.start}–${r.start + r.size - 1}, cols ${c.start}–${c.start + c.size - 1}`;
      blocks.push({
        r0: r.start,
        c0: c.start,
        rows: r.size,
        cols: c.size,
        label,
        left: { side: 'left', order: r.size, storage: factorStorage(config, r.size), label: `${label}, left factor` },
        right: { side: 'right', order: c.size, storage: factorStorage(config, c.size), label: `${label}, right factor` },
      });
    }
  }
  return blocks;
}

/** Plans every parameter with a matrix view; 1-D parameters are left out (base optimizer only). */
export function planShampoo(parameters: readonly Pick<VisionParameter, 'name' | 'matrix'>[], config: ShampooConfig): MatrixPlan[] {
  const plans: MatrixPlan[] = [];
  parameters.forEach((param, parameterIndex) => {
    if (!param.matrix) return;
    const { rows, cols } = param.matrix;
    plans.push({ parameterIndex, name: param.name, rows, cols, blocks: planMatrixBlocks(param.name, rows, cols, config) });
  });
  return plans;
}

/**
 * Bytes of one factor's persistent state by category. The layouts are those of the GPU buffers:
 * 4-bit codes take ⌈order/8⌉ u32 words per row and one f32 absmax per 64 entries of a row.
 */
export function factorStateBytes(storage: FactorStorage, order: number): Record<StateCategory, number> {
  const square = order * order * 4;
  const vector = order * 4;
  const layout = quant4Layout(order, order);
  const bytes: Record<StateCategory, number> = { 'optimizer-state': 0, preconditioner: 0, 'quantization-scales': 0 };
  switch (storage) {
    case 'fp32':
      // Factor and inverse root.
      bytes.preconditioner = 2 * square;
      break;
    case 'eigen-fp32':
      // Vᵀ, S and inverse root.
      bytes.preconditioner = 2 * square + vector;
      break;
    case 'eigen-4bit':
      // Codes of Vᵀ, S, root diagonal, root off-diagonal codes; absmax of Vᵀ and of the root.
      bytes.preconditioner = 2 * layout.codeBytes + 2 * vector;
      bytes['quantization-scales'] = 2 * layout.scaleBytes;
      break;
    case 'factor-4bit':
      // Codes of the factor, root diagonal, root off-diagonal codes; absmax of both.
      bytes.preconditioner = 2 * layout.codeBytes + vector;
      bytes['quantization-scales'] = 2 * layout.scaleBytes;
      break;
  }
  return bytes;
}

/** Bytes of all factors of a plan (the base optimizer's state is not included). */
export function preconditionerStateBytes(plans: readonly MatrixPlan[]): Partial<MemoryBytes> {
  const total: Record<StateCategory, number> = { 'optimizer-state': 0, preconditioner: 0, 'quantization-scales': 0 };
  for (const plan of plans) {
    for (const block of plan.blocks) {
      for (const factor of [block.left, block.right]) {
        const bytes = factorStateBytes(factor.storage, factor.order);
        total.preconditioner += bytes.preconditioner;
        total['quantization-scales'] += bytes['quantization-scales'];
      }
    }
  }
  return { preconditioner: total.preconditioner, 'quantization-scales': total['quantization-scales'] };
}

/** Largest shapes over a plan, which size the scratch buffers shared by all factors. */
export interface ScratchShape {
  /** Largest factor order. */
  maxOrder: number;
  /** Largest block h·w. */
  maxBlockElements: number;
  /** Largest parameter size m·n among planned parameters. */
  maxMatrixElements: number;
}

export function scratchShape(plans: readonly MatrixPlan[]): ScratchShape {
  let maxOrder = 1;
  let maxBlockElements = 1;
  let maxMatrixElements = 1;
  for (const plan of plans) {
    maxMatrixElements = Math.max(maxMatrixElements, plan.rows * plan.cols);
    for (const block of plan.blocks) {
      maxOrder = Math.max(maxOrder, block.rows, block.cols);
      maxBlockElements = Math.max(maxBlockElements, block.rows * block.cols);
    }
  }
  return { maxOrder, maxBlockElements, maxMatrixElements };
}

/*
 * The update schedule, with steps counted from 0. Step s updates the factors when s mod T1 = 0
 * (steps 0, T1, 2·T1, …). It recomputes the inverse roots when s > 0 and s mod T2 = 0 (steps T2,
 * 2·T2, …), after that step's factor update, so the roots are the identity before step T2. Every
 * step then preconditions its gradient with the current roots.
 */

/** Tells whether step `step` updates the factors (s mod T1 = 0, step 0 included). */
export function isFactorStep(config: Pick<ShampooConfig, 'factorPeriod'>, step: number): boolean {
  return step % config.factorPeriod === 0;
}

/** Tells whether step `step` recomputes the inverse roots (s > 0 and s mod T2 = 0). */
export function isRootStep(config: Pick<ShampooConfig, 'rootPeriod'>, step: number): boolean {
  return step > 0 && step % config.rootPeriod === 0;
}
