/**
 * Row-split tensors: a row-major rows × cols f32 tensor larger than the binding limit
 * (`ctx.maxBindingBytes`) is stored as several buffers of whole rows, each within the limit.
 *
 * A tensor that fits is one chunk holding every row, so code written for chunks runs the unsplit
 * case with exactly the dispatches it had before. Ops that read a split tensor run once per chunk,
 * with the chunk's first row and row count as uniforms.
 */
import type { GpuContext } from './context';
import type { MemoryCategory } from './pool';
import { readF32 } from './dispatch';

/** Rows [rowStart, rowStart + rows) of a tensor. */
export interface RowRange {
  rowStart: number;
  rows: number;
}

/** One buffer of a row-split tensor: rows [rowStart, rowStart + rows), row-major from offset 0. */
export interface RowChunk extends RowRange {
  buffer: GPUBuffer;
}

/**
 * Cuts `rows` rows of `cols` f32 values into the fewest chunks of whole rows that each fit
 * `maxBytes`. Chunk sizes differ by at most one row, the first chunks taking the extra rows, so the
 * largest chunk (the size of scratch buffers) is as small as the chunk count allows.
 * Throws, naming the tensor and the sizes, when a single row is above `maxBytes`.
 */
export function planRowChunks(name: string, rows: number, cols: number, maxBytes: number): RowRange[] {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) {
    throw new Error(`Tensor "${name}": rows and cols must be positive integers, got ${rows} × ${cols}.`);
  }
  const rowBytes = cols * 4;
  if (rows * rowBytes <= maxBytes) return [{ rowStart: 0, rows }];
  const rowsPerChunk = Math.floor(maxBytes / rowBytes);
  if (rowsPerChunk < 1) {
    throw new Error(
      `Tensor "${name}" [${rows} × ${cols}] needs ${rows * rowBytes} bytes, above the binding limit of ${maxBytes} bytes, ` +
        `and cannot be split across buffers by rows: one row of ${cols} f32 values is ${rowBytes} bytes, itself above the limit. ` +
        'Use a GPU with a higher maxStorageBufferBindingSize.',
    );
  }
  const count = Math.ceil(rows / rowsPerChunk);
  const base = Math.floor(rows / count);
  const extra = rows % count;
  const chunks: RowRange[] = [];
  let rowStart = 0;
  for (let i = 0; i < count; i++) {
    const size = base + (i < extra ? 1 : 0);
    chunks.push({ rowStart, rows: size });
    rowStart += size;
  }
  return chunks;
}

/** Label of one chunk's buffer: the tensor's name alone when unsplit, else with its row range. */
export function chunkLabel(name: string, range: RowRange, chunkCount: number): string {
  return chunkCount === 1 ? name : `${name} rows ${range.rowStart}..${range.rowStart + range.rows - 1}`;
}

/**
 * Creates the chunk buffers of a rows × cols tensor holding `data` (row-major, rows·cols values),
 * split as `planRowChunks` decides for `ctx.maxBindingBytes`.
 */
export function createRowChunks(ctx: GpuContext, name: string, category: MemoryCategory, data: Float32Array, rows: number, cols: number): RowChunk[] {
  if (data.length !== rows * cols) {
    throw new Error(`Tensor "${name}": ${data.length} values do not fill ${rows} × ${cols} = ${rows * cols}.`);
  }
  return uploadRowChunks(ctx, name, category, data, cols, planRowChunks(name, rows, cols, ctx.maxBindingBytes));
}

/** Creates one buffer per range of `ranges`, filled from the matching rows of `data`. Frees them all if one fails. */
export function uploadRowChunks(ctx: GpuContext, name: string, category: MemoryCategory, data: Float32Array, cols: number, ranges: readonly RowRange[]): RowChunk[] {
  const chunks: RowChunk[] = [];
  try {
    for (const range of ranges) {
      const values = data.subarray(range.rowStart * cols, (range.rowStart + range.rows) * cols);
      chunks.push({ ...range, buffer: ctx.pool.storageFrom(chunkLabel(name, range, ranges.length), category, values) });
    }
  } catch (error) {
    for (const chunk of chunks) ctx.pool.release(chunk.buffer);
    throw error;
  }
  return chunks;
}

/** Reads a row-split tensor back whole, as rows·cols row-major values. For setup, tests and export only. */
export async function readRowChunks(ctx: GpuContext, chunks: readonly RowChunk[], cols: number): Promise<Float32Array> {
  const parts = await Promise.all(chunks.map((chunk) => readF32(ctx, chunk.buffer, chunk.rows * cols)));
  const rows = chunks.reduce((sum, chunk) => sum + chunk.rows, 0);
  const out = new Float32Array(rows * cols);
  chunks.forEach((chunk, i) => out.set(parts[i], chunk.rowStart * cols));
  return out;
}

/** Largest chunk in elements, the size of a scratch buffer that can hold any one chunk. */
export function largestChunkElements(chunks: readonly RowRange[], cols: number): number {
  return chunks.reduce((largest, chunk) => Math.max(largest, chunk.rows * cols), 0);
}
