/**
 * Block-wise 4-bit quantizer on the GPU, bit-identical to quant4.ref.ts (codes, absmax, and the
 * decoded f32 values). Each builder returns a prepared Dispatch; the caller owns every buffer.
 *
 * Buffers and memory categories: codes belong to `preconditioner`, absmax to
 * `quantization-scales`, and the f32 diagonal of the inverse-root variant to `preconditioner`.
 * quant4Layout gives their sizes.
 *
 * The codebook is a compile-time fact: its values and midpoints are written into the shader as
 * `const` arrays (codebookWgsl), so each codebook has its own pipelines.
 */
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements } from '../gpu/validate';
import { CODEBOOK_SIZE, CODES_PER_WORD, QUANT4_BLOCK_SIZE, codebookWgsl, getCodebook, type CodebookName } from './codebooks';
import { quant4Layout, type Quant4Layout } from './quant4.ref';
import source from './quant4.wgsl?raw';

export { quant4CodeBytes, quant4Layout, quant4ScaleBytes, type Quant4Layout } from './quant4.ref';

const DEQUANTIZE_WORKGROUP_SIZE = 256;

type EntryPoint = 'quantize' | 'quantize_off_diagonal' | 'dequantize' | 'dequantize_off_diagonal';

export interface Quantize4Args {
  /** [rows, cols] f32, row-major, read only. */
  values: GPUBuffer;
  /** [rows · wordsPerRow] u32, written. */
  codes: GPUBuffer;
  /** [rows · blocksPerRow] f32, written. */
  absmax: GPUBuffer;
  rows: number;
  cols: number;
  codebook: CodebookName;
}

export interface Dequantize4Args {
  /** [rows · wordsPerRow] u32, read only. */
  codes: GPUBuffer;
  /** [rows · blocksPerRow] f32, read only. */
  absmax: GPUBuffer;
  /** [rows, cols] f32, row-major, written. */
  values: GPUBuffer;
  rows: number;
  cols: number;
  codebook: CodebookName;
}

/** Quantizes values to codes and absmax: one workgroup per block of up to 64 entries. */
export function makeQuantize4(ctx: GpuContext, label: string, args: Quantize4Args): Dispatch {
  const layout = checkBuffers(label, 'quantize4', args);
  return quantizeDispatch(ctx, label, 'quantize', layout, args, [args.values, args.codes, args.absmax]);
}

/** Decodes codes and absmax to values: one invocation per entry. */
export function makeDequantize4(ctx: GpuContext, label: string, args: Dequantize4Args): Dispatch {
  const layout = checkBuffers(label, 'dequantize4', args);
  return dequantizeDispatch(ctx, label, 'dequantize', layout, args, [args.values, args.codes, args.absmax]);
}

export interface QuantizeOffDiagonal4Args {
  /** [n, n] f32, row-major, read only. */
  values: GPUBuffer;
  codes: GPUBuffer;
  absmax: GPUBuffer;
  /** [n] f32, written with the diagonal of values. */
  diagonal: GPUBuffer;
  n: number;
  codebook: CodebookName;
}

export interface DequantizeOffDiagonal4Args {
  codes: GPUBuffer;
  absmax: GPUBuffer;
  /** [n] f32, read only, written back onto the diagonal. */
  diagonal: GPUBuffer;
  /** [n, n] f32, row-major, written. */
  values: GPUBuffer;
  n: number;
  codebook: CodebookName;
}

/** Quantizes a square matrix with its diagonal zeroed before the absmax, and copies the diagonal out. */
export function makeQuantizeOffDiagonal4(ctx: GpuContext, label: string, args: QuantizeOffDiagonal4Args): Dispatch {
  const layout = checkBuffers(label, 'quantizeOffDiagonal4', { ...args, rows: args.n, cols: args.n });
  requireElements(label, 'quantizeOffDiagonal4', 'diagonal', args.diagonal, args.n, `n = ${args.n}`);
  checkDistinct(label, 'quantizeOffDiagonal4', { values: args.values, codes: args.codes, absmax: args.absmax, diagonal: args.diagonal });
  const buffers = [args.values, args.codes, args.absmax, args.diagonal];
  return quantizeDispatch(ctx, label, 'quantize_off_diagonal', layout, args, buffers);
}

/** Decodes an off-diagonal-quantized square matrix and writes its stored diagonal back. */
export function makeDequantizeOffDiagonal4(ctx: GpuContext, label: string, args: DequantizeOffDiagonal4Args): Dispatch {
  const layout = checkBuffers(label, 'dequantizeOffDiagonal4', { ...args, rows: args.n, cols: args.n });
  requireElements(label, 'dequantizeOffDiagonal4', 'diagonal', args.diagonal, args.n, `n = ${args.n}`);
  checkDistinct(label, 'dequantizeOffDiagonal4', { values: args.values, codes: args.codes, absmax: args.absmax, diagonal: args.diagonal });
  const buffers = [args.values, args.codes, args.absmax, args.diagonal];
  return dequantizeDispatch(ctx, label, 'dequantize_off_diagonal', layout, args, buffers);
}

interface CheckedArgs {
  values: GPUBuffer;
  codes: GPUBuffer;
  absmax: GPUBuffer;
  rows: number;
  cols: number;
  codebook: CodebookName;
}

function checkBuffers(label: string, op: string, args: CheckedArgs): Quant4Layout {
  const layout = quant4Layout(args.rows, args.cols);
  getCodebook(args.codebook);
  requireElements(label, op, 'values', args.values, args.rows * args.cols, `rows·cols = ${args.rows}·${args.cols}`);
  requireElements(label, op, 'codes', args.codes, layout.codeWords, `rows·⌈cols/${CODES_PER_WORD}⌉ = ${args.rows}·${layout.wordsPerRow}`);
  requireElements(label, op, 'absmax', args.absmax, layout.scaleCount, `rows·⌈cols/${QUANT4_BLOCK_SIZE}⌉ = ${args.rows}·${layout.blocksPerRow}`);
  checkDistinct(label, op, { values: args.values, codes: args.codes, absmax: args.absmax });
  return layout;
}

function checkDistinct(label: string, op: string, buffers: Record<string, GPUBuffer>): void {
  const entries = Object.entries(buffers);
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      if (entries[i][1] === entries[j][1]) throw new Error(`${label}: ${op} ${entries[i][0]} and ${entries[j][0]} must be separate buffers`);
    }
  }
}

function pipeline(ctx: GpuContext, entryPoint: EntryPoint, codebook: CodebookName): GPUComputePipeline {
  const shader = () =>
    wgslConstants({ QUANT4_BLOCK_SIZE, CODES_PER_WORD, CODEBOOK_SIZE, DEQUANTIZE_WORKGROUP_SIZE }) + codebookWgsl(getCodebook(codebook)) + source;
  return ctx.pipelines.get(`quant4-${entryPoint}-${codebook}`, shader, entryPoint);
}

function params(ctx: GpuContext, label: string, layout: Quant4Layout): GPUBuffer {
  return makeUniform(ctx, `${label} params`, [
    ['u32', layout.rows],
    ['u32', layout.cols],
    ['u32', layout.wordsPerRow],
    ['u32', layout.blocksPerRow],
  ]);
}

/** Quantize dispatches run one workgroup of QUANT4_BLOCK_SIZE lanes per block; dequantize ones one lane per entry. */
function quantizeDispatch(ctx: GpuContext, label: string, entryPoint: EntryPoint, layout: Quant4Layout, args: { codebook: CodebookName }, buffers: GPUBuffer[]): Dispatch {
  return quant4Dispatch(ctx, label, entryPoint, layout, args.codebook, buffers, workgroupGrid(ctx, layout.scaleCount * QUANT4_BLOCK_SIZE, QUANT4_BLOCK_SIZE));
}

function dequantizeDispatch(ctx: GpuContext, label: string, entryPoint: EntryPoint, layout: Quant4Layout, args: { codebook: CodebookName }, buffers: GPUBuffer[]): Dispatch {
  return quant4Dispatch(ctx, label, entryPoint, layout, args.codebook, buffers, workgroupGrid(ctx, layout.rows * layout.cols, DEQUANTIZE_WORKGROUP_SIZE));
}

function quant4Dispatch(
  ctx: GpuContext,
  label: string,
  entryPoint: EntryPoint,
  layout: Quant4Layout,
  codebook: CodebookName,
  buffers: GPUBuffer[],
  workgroups: [number, number, number],
): Dispatch {
  const kernel = pipeline(ctx, entryPoint, codebook);
  return { label, pipeline: kernel, bindGroup: makeBindGroup(ctx, kernel, label, [params(ctx, label, layout), ...buffers]), workgroups };
}
