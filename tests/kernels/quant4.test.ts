import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../kernels/gpu/context';
import { readF32, readU32, runDispatches } from '../../kernels/gpu/dispatch';
import { CODEBOOKS, CODEBOOK_NAMES, QUANT4_BLOCK_SIZE, type CodebookName } from '../../kernels/quant4/codebooks';
import {
  makeDequantize4,
  makeDequantizeOffDiagonal4,
  makeQuantize4,
  makeQuantizeOffDiagonal4,
  quant4Layout,
} from '../../kernels/quant4/quant4';
import {
  dequantize4Ref,
  dequantizeOffDiagonal4Ref,
  quantize4Ref,
  quantizeOffDiagonal4Ref,
} from '../../kernels/quant4/quant4.ref';
import { gpu, randomArray } from '../helpers/gpu';

// Tolerance: bit-identical. Codes, absmax and decoded values are compared as u32 bit patterns, so
// −0 and +0 differ. The shader and the reference make the same f32 roundings: absmax is an exact
// max, a code compares x with the correctly rounded product midpoint · absmax, and a decoded
// value is the correctly rounded product value · absmax.

/** Marker written into output buffers before a dispatch, so an unwritten word shows up. */
const POISON = 0xdeadbeef;

/**
 * Returns rows×cols test data: uniform values in [−1, 1) scaled per row over several orders of
 * magnitude, with some all-zero blocks (one of them −0), and some entries set to exact ties, i.e.
 * to fl(midpoint · absmax) of their block.
 */
function testMatrix(rows: number, cols: number, seed: number, codebook: CodebookName): Float32Array {
  const values = randomArray(rows * cols, seed);
  for (let row = 0; row < rows; row++) {
    const scale = 10 ** ((row % 7) - 3);
    for (let col = 0; col < cols; col++) values[row * cols + col] *= scale;
  }

  // Zero the second block of every third row (or the first, for rows of one block).
  const blocksPerRow = Math.ceil(cols / QUANT4_BLOCK_SIZE);
  for (let row = 1; row < rows; row += 3) {
    const block = blocksPerRow > 1 ? 1 : 0;
    const end = Math.min(cols, (block + 1) * QUANT4_BLOCK_SIZE);
    for (let col = block * QUANT4_BLOCK_SIZE; col < end; col++) values[row * cols + col] = row % 2 ? -0 : 0;
  }

  // Exact ties: in every fourth row, put the block's absmax first and then scaled midpoints.
  const { midpoints } = CODEBOOKS[codebook];
  for (let row = 0; row < rows; row += 4) {
    for (let block = 0; block < blocksPerRow; block++) {
      const start = block * QUANT4_BLOCK_SIZE;
      const end = Math.min(cols, start + QUANT4_BLOCK_SIZE);
      let absmax = 0;
      for (let col = start; col < end; col++) absmax = Math.max(absmax, Math.abs(values[row * cols + col]));
      values[row * cols + start] = absmax;
      for (let col = start + 1; col < end; col++) {
        values[row * cols + col] = Math.fround(midpoints[(col + row) % midpoints.length] * absmax);
      }
    }
  }
  return values;
}

function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

function poisoned(ctx: GpuContext, label: string, category: 'preconditioner' | 'quantization-scales' | 'activations', elements: number): GPUBuffer {
  return ctx.pool.storageFrom(label, category, new Uint32Array(Math.max(elements, 1)).fill(POISON));
}

/** Returns the first index where two u32 arrays differ, with both words, or null. */
function firstDifference(actual: Uint32Array, expected: Uint32Array): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) return `[${i}] got 0x${actual[i].toString(16)}, expected 0x${expected[i].toString(16)}`;
  }
  return null;
}

async function gpuQuantize(ctx: GpuContext, values: Float32Array, rows: number, cols: number, codebook: CodebookName) {
  const layout = quant4Layout(rows, cols);
  const input = ctx.pool.storageFrom('quant4 test values', 'activations', values);
  const codes = poisoned(ctx, 'quant4 test codes', 'preconditioner', layout.codeWords);
  const absmax = poisoned(ctx, 'quant4 test absmax', 'quantization-scales', layout.scaleCount);

  runDispatches(ctx, [makeQuantize4(ctx, 'quant4 test quantize', { values: input, codes, absmax, rows, cols, codebook })]);
  const result = { codes: await readU32(ctx, codes, layout.codeWords), absmax: await readF32(ctx, absmax, layout.scaleCount) };

  for (const buffer of [input, codes, absmax]) ctx.pool.release(buffer);
  return result;
}

async function gpuDequantize(ctx: GpuContext, codes: Uint32Array, absmax: Float32Array, rows: number, cols: number, codebook: CodebookName) {
  const codesBuffer = ctx.pool.storageFrom('quant4 test codes', 'preconditioner', codes);
  const absmaxBuffer = ctx.pool.storageFrom('quant4 test absmax', 'quantization-scales', absmax);
  const values = poisoned(ctx, 'quant4 test decoded', 'activations', rows * cols);

  runDispatches(ctx, [makeDequantize4(ctx, 'quant4 test dequantize', { codes: codesBuffer, absmax: absmaxBuffer, values, rows, cols, codebook })]);
  const decoded = await readF32(ctx, values, rows * cols);

  for (const buffer of [codesBuffer, absmaxBuffer, values]) ctx.pool.release(buffer);
  return decoded;
}

describe('quant4 (block-wise 4-bit quantizer)', () => {
  const shapes = [
    { rows: 1, cols: 1 },
    { rows: 3, cols: 5 },
    { rows: 2, cols: 8 },
    { rows: 4, cols: 64 },
    { rows: 5, cols: 100 },
    { rows: 7, cols: 130 },
    { rows: 64, cols: 64 },
    { rows: 33, cols: 257 },
    { rows: 200, cols: 300 },
  ];
  const cases = CODEBOOK_NAMES.flatMap((codebook) => shapes.map((shape) => ({ ...shape, codebook })));

  it.each(cases)('quantize and dequantize match reference for %j', async ({ rows, cols, codebook }) => {
    const ctx = await gpu();
    const values = testMatrix(rows, cols, rows * 1000 + cols, codebook);
    const expected = quantize4Ref(values, rows, cols, codebook);

    const actual = await gpuQuantize(ctx, values, rows, cols, codebook);
    expect(firstDifference(actual.codes, expected.codes)).toBeNull();
    expect(firstDifference(bits(actual.absmax), bits(expected.absmax))).toBeNull();

    const decoded = await gpuDequantize(ctx, expected.codes, expected.absmax, rows, cols, codebook);
    const decodedRef = dequantize4Ref(expected.codes, expected.absmax, rows, cols, codebook);
    expect(firstDifference(bits(decoded), bits(decodedRef))).toBeNull();
  });

  it('test data contains ties and zero blocks', () => {
    // Guards the test above: without these the bit-identity check would miss the hard cases.
    const rows = 7;
    const cols = 130;
    const values = testMatrix(rows, cols, 1, 'linear-2');
    const { absmax } = quantize4Ref(values, rows, cols, 'linear-2');
    expect(Array.from(absmax).filter((scale) => scale === 0).length).toBeGreaterThanOrEqual(2);
    const { midpoints } = CODEBOOKS['linear-2'];
    const scale = absmax[0];
    expect(values[1]).toBe(Math.fround(midpoints[1] * scale));
  });

  it('splits many blocks over a 2-D grid', async () => {
    // 70000 one-block rows need more than 65535 workgroups, so workgroupGrid uses y as well.
    const ctx = await gpu();
    const rows = 70000;
    const cols = 3;
    const codebook = 'linear-2';
    const values = testMatrix(rows, cols, 5, codebook);
    const expected = quantize4Ref(values, rows, cols, codebook);

    const probe = [
      ctx.pool.storage('grid probe values', 'activations', rows * cols * 4),
      ctx.pool.storage('grid probe codes', 'preconditioner', rows * 4),
      ctx.pool.storage('grid probe absmax', 'quantization-scales', rows * 4),
    ];
    const dispatch = makeQuantize4(ctx, 'grid probe', { values: probe[0], codes: probe[1], absmax: probe[2], rows, cols, codebook });
    expect(dispatch.workgroups[1]).toBeGreaterThan(1);
    for (const buffer of probe) ctx.pool.release(buffer);

    const actual = await gpuQuantize(ctx, values, rows, cols, codebook);
    expect(firstDifference(actual.codes, expected.codes)).toBeNull();
    expect(firstDifference(bits(actual.absmax), bits(expected.absmax))).toBeNull();

    const decoded = await gpuDequantize(ctx, expected.codes, expected.absmax, rows, cols, codebook);
    expect(firstDifference(bits(decoded), bits(dequantize4Ref(expected.codes, expected.absmax, rows, cols, codebook)))).toBeNull();
  });

  const squareCases = CODEBOOK_NAMES.flatMap((codebook) => [1, 5, 64, 65, 130].map((n) => ({ n, codebook })));

  it.each(squareCases)('off-diagonal variant matches reference for %j', async ({ n, codebook }) => {
    const ctx = await gpu();
    const values = testMatrix(n, n, n + 17, codebook);
    // A dominant diagonal, as in an inverse root: without the split it would set every absmax.
    for (let i = 0; i < n; i++) values[i * n + i] = 1000 + i;
    const expected = quantizeOffDiagonal4Ref(values, n, codebook);
    const layout = quant4Layout(n, n);

    const input = ctx.pool.storageFrom('quant4 test values', 'activations', values);
    const codes = poisoned(ctx, 'quant4 test codes', 'preconditioner', layout.codeWords);
    const absmax = poisoned(ctx, 'quant4 test absmax', 'quantization-scales', layout.scaleCount);
    const diagonal = poisoned(ctx, 'quant4 test diagonal', 'preconditioner', n);
    const decoded = poisoned(ctx, 'quant4 test decoded', 'activations', n * n);
    runDispatches(ctx, [
      makeQuantizeOffDiagonal4(ctx, 'quant4 test quantize', { values: input, codes, absmax, diagonal, n, codebook }),
      makeDequantizeOffDiagonal4(ctx, 'quant4 test dequantize', { codes, absmax, diagonal, values: decoded, n, codebook }),
    ]);

    expect(firstDifference(await readU32(ctx, codes, layout.codeWords), expected.codes)).toBeNull();
    expect(firstDifference(bits(await readF32(ctx, absmax, layout.scaleCount)), bits(expected.absmax))).toBeNull();
    expect(firstDifference(bits(await readF32(ctx, diagonal, n)), bits(expected.diagonal))).toBeNull();
    const decodedRef = dequantizeOffDiagonal4Ref(expected.codes, expected.absmax, expected.diagonal, n, codebook);
    expect(firstDifference(bits(await readF32(ctx, decoded, n * n)), bits(decodedRef))).toBeNull();
    for (const buffer of [input, codes, absmax, diagonal, decoded]) ctx.pool.release(buffer);
  });

  it('rejects undersized buffers', async () => {
    const ctx = await gpu();
    const values = ctx.pool.storage('quant4 small values', 'activations', 7 * 130 * 4);
    const codes = ctx.pool.storage('quant4 small codes', 'preconditioner', 7 * 16 * 4);
    const absmax = ctx.pool.storage('quant4 small absmax', 'quantization-scales', 7 * 3 * 4);
    expect(() => makeQuantize4(ctx, 'small', { values, codes, absmax, rows: 7, cols: 130, codebook: 'linear-2' })).toThrow(
      /codes is too small: 448 bytes, expected at least 476/,
    );
    expect(() => makeQuantize4(ctx, 'aliased', { values, codes: values, absmax, rows: 1, cols: 8, codebook: 'linear-2' })).toThrow(
      /values and codes must be separate buffers/,
    );
    for (const buffer of [values, codes, absmax]) ctx.pool.release(buffer);
  });
});
