/**
 * Block copies between a row-major matrix and a contiguous buffer, on the GPU. Shampoo splits a
 * dimension above its maximum order into blocks (`blockRanges`), gathers each block of the
 * gradient into its own buffer, preconditions it, and scatters the result back into the merged
 * direction.
 *
 * Element (r, c) of the h×w block is matrix[matrixOffset + (r0 + r)·cols + c0 + c] and
 * block[blockOffset + r·w + c]. The copy is bit-exact.
 */
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements, requirePositiveDims } from '../gpu/validate';
import source from './block-copy.wgsl?raw';

const WORKGROUP_SIZE = 256;

export interface BlockRange {
  start: number;
  size: number;
}

/** Splits 0 .. dim − 1 into consecutive blocks of maxOrder, the remainder last (dim ≤ maxOrder gives one block). */
export function blockRanges(dim: number, maxOrder: number): BlockRange[] {
  requirePositiveDims('blockRanges', 'block split', { dim, maxOrder });
  const ranges: BlockRange[] = [];
  for (let start = 0; start < dim; start += maxOrder) ranges.push({ start, size: Math.min(maxOrder, dim - start) });
  return ranges;
}

export interface BlockCopyArgs {
  /** rows×cols row-major f32 matrix, starting at element matrixOffset. */
  matrix: GPUBuffer;
  /** h×w contiguous f32 block, starting at element blockOffset. Must be a separate buffer from matrix. */
  block: GPUBuffer;
  rows: number;
  cols: number;
  /** First row of the block in the matrix. */
  r0: number;
  /** First column of the block in the matrix. */
  c0: number;
  /** Rows of the block. */
  h: number;
  /** Columns of the block. */
  w: number;
  /** Default 0. */
  matrixOffset?: number;
  /** Default 0. */
  blockOffset?: number;
}

/** Builds the dispatch that copies the sub-block of matrix into block. */
export function makeBlockGather(ctx: GpuContext, label: string, args: BlockCopyArgs): Dispatch {
  return makeBlockCopy(ctx, label, 'gather', args);
}

/** Builds the dispatch that copies block into the sub-block of matrix. Nothing else in matrix is written. */
export function makeBlockScatter(ctx: GpuContext, label: string, args: BlockCopyArgs): Dispatch {
  return makeBlockCopy(ctx, label, 'scatter', args);
}

function makeBlockCopy(ctx: GpuContext, label: string, entryPoint: 'gather' | 'scatter', args: BlockCopyArgs): Dispatch {
  const { matrix, block, rows, cols, r0, c0, h, w } = args;
  const matrixOffset = args.matrixOffset ?? 0;
  const blockOffset = args.blockOffset ?? 0;
  const op = `block ${entryPoint}`;
  requirePositiveDims(label, op, { rows, cols, h, w });
  for (const [name, value] of [['r0', r0], ['c0', c0], ['matrixOffset', matrixOffset], ['blockOffset', blockOffset]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${label}: ${op} ${name} must be an integer >= 0, got ${value}`);
  }
  if (r0 + h > rows) throw new Error(`${label}: ${op} rows r0 + h = ${r0} + ${h} exceed the matrix's ${rows} rows`);
  if (c0 + w > cols) throw new Error(`${label}: ${op} columns c0 + w = ${c0} + ${w} exceed the matrix's ${cols} columns`);
  // The shader's thread index runs up to h·w plus one partial grid row, and matrix indices up to matrixOffset + rows·cols.
  if (matrixOffset + rows * cols > 2 ** 32 || blockOffset + h * w > 2 ** 32 || h * w > 2 ** 31) {
    throw new Error(`${label}: ${op} indices exceed the u32 range (rows·cols = ${rows * cols}, h·w = ${h * w})`);
  }
  requireElements(label, op, 'matrix', matrix, matrixOffset + rows * cols, `matrixOffset + rows·cols = ${matrixOffset} + ${rows}·${cols}`);
  requireElements(label, op, 'block', block, blockOffset + h * w, `blockOffset + h·w = ${blockOffset} + ${h}·${w}`);
  if (matrix === block) throw new Error(`${label}: ${op} matrix and block must be separate buffers`);

  const pipeline = ctx.pipelines.get(`block-copy:${entryPoint}`, () => wgslConstants({ WORKGROUP_SIZE }) + source, entryPoint);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', cols],
    ['u32', r0],
    ['u32', c0],
    ['u32', h],
    ['u32', w],
    ['u32', matrixOffset],
    ['u32', blockOffset],
  ]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [matrix, block, params]),
    workgroups: workgroupGrid(ctx, h * w, WORKGROUP_SIZE),
  };
}
