import { describe, expect, it } from 'vitest';
import { blockRanges, makeBlockGather, makeBlockScatter, type BlockCopyArgs } from '../../kernels/block-copy/block-copy';
import { blockGatherRef, blockScatterRef } from '../../kernels/block-copy/block-copy.ref';
import { readU32, runDispatches } from '../../kernels/gpu/dispatch';
import { gpu, randomArray } from '../helpers/gpu';

interface Shape {
  rows: number;
  cols: number;
  r0: number;
  c0: number;
  h: number;
  w: number;
  matrixOffset?: number;
  blockOffset?: number;
}

const SHAPES: Shape[] = [
  { rows: 1, cols: 1, r0: 0, c0: 0, h: 1, w: 1 },
  { rows: 7, cols: 5, r0: 2, c0: 1, h: 3, w: 4 },
  { rows: 13, cols: 300, r0: 0, c0: 256, h: 13, w: 44 },
  { rows: 300, cols: 9, r0: 256, c0: 0, h: 44, w: 9, matrixOffset: 5, blockOffset: 3 },
  { rows: 257, cols: 255, r0: 1, c0: 2, h: 256, w: 253 },
];

function describeShape(s: Shape): string {
  return `${s.h}×${s.w} at (${s.r0}, ${s.c0}) of ${s.rows}×${s.cols}`;
}

/** Returns the words of `values`, so comparisons are bit-exact and NaN payloads count. */
function words(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** Random data with a few NaN payloads, -0 and Inf, which a bit-exact copy must keep. */
function randomWords(n: number, seed: number): Float32Array {
  const values = randomArray(n, seed);
  const bits = words(values);
  const patterns = [0x7fc00123, 0xffc00000, 0x80000000, 0x7f800000];
  for (let i = 0; i < n; i += 97) bits[i] = patterns[(i / 97) % patterns.length];
  return values;
}

describe('block gather', () => {
  it.each(SHAPES.map((shape) => [describeShape(shape), shape] as const))('matches reference for %s', async (_name, shape) => {
    const ctx = await gpu();
    const { rows, cols, h, w } = shape;
    const matrixOffset = shape.matrixOffset ?? 0;
    const blockOffset = shape.blockOffset ?? 0;
    const matrix = randomWords(matrixOffset + rows * cols, rows + cols);
    const block = randomArray(blockOffset + h * w + 2, 5);
    const expected = block.slice();
    blockGatherRef(matrix, expected, rows, cols, shape.r0, shape.c0, h, w, matrixOffset, blockOffset);

    const matrixBuffer = ctx.pool.storageFrom('block test matrix', 'gradients', matrix);
    const blockBuffer = ctx.pool.storageFrom('block test block', 'preconditioner', block);
    const args: BlockCopyArgs = { matrix: matrixBuffer, block: blockBuffer, ...shape };
    runDispatches(ctx, [makeBlockGather(ctx, 'block gather test', args)]);
    const actual = await readU32(ctx, blockBuffer);

    expect(actual).toEqual(words(expected));
    for (const buffer of [matrixBuffer, blockBuffer]) ctx.pool.release(buffer);
  });
});

describe('block scatter', () => {
  it.each(SHAPES.map((shape) => [describeShape(shape), shape] as const))('matches reference for %s', async (_name, shape) => {
    const ctx = await gpu();
    const { rows, cols, h, w } = shape;
    const matrixOffset = shape.matrixOffset ?? 0;
    const blockOffset = shape.blockOffset ?? 0;
    const matrix = randomArray(matrixOffset + rows * cols + 2, 6);
    const block = randomWords(blockOffset + h * w, h + w);
    const expected = matrix.slice();
    blockScatterRef(expected, block, rows, cols, shape.r0, shape.c0, h, w, matrixOffset, blockOffset);

    const matrixBuffer = ctx.pool.storageFrom('block test matrix', 'gradients', matrix);
    const blockBuffer = ctx.pool.storageFrom('block test block', 'preconditioner', block);
    runDispatches(ctx, [makeBlockScatter(ctx, 'block scatter test', { matrix: matrixBuffer, block: blockBuffer, ...shape })]);
    const actual = await readU32(ctx, matrixBuffer);

    expect(actual).toEqual(words(expected));
    for (const buffer of [matrixBuffer, blockBuffer]) ctx.pool.release(buffer);
  });
});

describe('block split', () => {
  it('splits a dimension at maxOrder with the remainder last', () => {
    expect(blockRanges(5, 8)).toEqual([{ start: 0, size: 5 }]);
    expect(blockRanges(8, 8)).toEqual([{ start: 0, size: 8 }]);
    expect(blockRanges(2500, 1200)).toEqual([
      { start: 0, size: 1200 },
      { start: 1200, size: 1200 },
      { start: 2400, size: 100 },
    ]);
  });

  it('round-trips a matrix through all its blocks', async () => {
    // A 23×19 matrix in blocks of at most 8×8 (3 × 3 blocks with remainders 7 and 3), gathered into one
    // packed buffer at running offsets, then scattered into a zero matrix.
    const ctx = await gpu();
    const [rows, cols, maxOrder] = [23, 19, 8];
    const matrix = randomWords(rows * cols, 9);
    const matrixBuffer = ctx.pool.storageFrom('block test matrix', 'gradients', matrix);
    const packed = ctx.pool.storage('block test packed', 'preconditioner', rows * cols * 4);
    const merged = ctx.pool.storage('block test merged', 'gradients', rows * cols * 4);

    const gathers = [];
    const scatters = [];
    let blockOffset = 0;
    for (const rowRange of blockRanges(rows, maxOrder)) {
      for (const colRange of blockRanges(cols, maxOrder)) {
        const shape = { rows, cols, r0: rowRange.start, c0: colRange.start, h: rowRange.size, w: colRange.size, blockOffset };
        gathers.push(makeBlockGather(ctx, `gather ${blockOffset}`, { matrix: matrixBuffer, block: packed, ...shape }));
        scatters.push(makeBlockScatter(ctx, `scatter ${blockOffset}`, { matrix: merged, block: packed, ...shape }));
        blockOffset += rowRange.size * colRange.size;
      }
    }
    expect(blockOffset).toBe(rows * cols);
    runDispatches(ctx, [...gathers, ...scatters]);
    const actual = await readU32(ctx, merged);

    expect(actual).toEqual(words(matrix));
    for (const buffer of [matrixBuffer, packed, merged]) ctx.pool.release(buffer);
  });

  it('rejects a block outside the matrix', async () => {
    const ctx = await gpu();
    const matrix = ctx.pool.storage('block test matrix', 'gradients', 7 * 5 * 4);
    const block = ctx.pool.storage('block test block', 'preconditioner', 64 * 4);

    expect(() => makeBlockGather(ctx, 'rows past the end', { matrix, block, rows: 7, cols: 5, r0: 5, c0: 0, h: 3, w: 5 })).toThrow(/exceed the matrix's 7 rows/);
    expect(() => makeBlockScatter(ctx, 'cols past the end', { matrix, block, rows: 7, cols: 5, r0: 0, c0: 1, h: 2, w: 5 })).toThrow(/exceed the matrix's 5 columns/);
    for (const buffer of [matrix, block]) ctx.pool.release(buffer);
  });
});
