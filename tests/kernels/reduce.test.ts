import { describe, expect, it } from 'vitest';
import { readF32, readU32, runDispatches } from '../../kernels/gpu/dispatch';
import {
  makeCountNonFinite,
  makeSumSquares,
  REDUCE_CHUNK,
  reducePartialsLength,
  sumSquaresRelativeErrorBound,
} from '../../kernels/reduce/reduce';
import { countNonFiniteRef, sumSquaresRef } from '../../kernels/reduce/reduce.ref';
import { gpu, randomArray } from '../helpers/gpu';

const SENTINEL = 42;

/** Runs one sum of squares over src[offset .. offset + n − 1] into slot `index` of a sentinel-filled results buffer. */
async function gpuSumSquares(src: Float32Array, n: number, index: number, offset = 0, slots = index + 2): Promise<Float32Array> {
  const ctx = await gpu();
  const srcBuffer = ctx.pool.storageFrom('reduce test src', 'gradients', src);
  const results = ctx.pool.storageFrom('reduce test results', 'optimizer-state', new Float32Array(slots).fill(SENTINEL));
  const { result: dispatches, buffers } = ctx.pool.capture(() => makeSumSquares(ctx, 'sum of squares test', { src: srcBuffer, n, results, index, offset }));

  runDispatches(ctx, dispatches);
  const actual = await readF32(ctx, results);

  for (const buffer of [srcBuffer, results, ...buffers]) ctx.pool.release(buffer);
  return actual;
}

async function gpuCountNonFinite(src: Float32Array, n: number, index: number, offset = 0): Promise<Uint32Array> {
  const ctx = await gpu();
  const srcBuffer = ctx.pool.storageFrom('reduce test src', 'gradients', src);
  const results = ctx.pool.storageFrom('reduce test results', 'optimizer-state', new Uint32Array(index + 2).fill(SENTINEL));
  const { result: dispatches, buffers } = ctx.pool.capture(() => makeCountNonFinite(ctx, 'non-finite test', { src: srcBuffer, n, results, index, offset }));

  runDispatches(ctx, dispatches);
  const actual = await readU32(ctx, results);

  for (const buffer of [srcBuffer, results, ...buffers]) ctx.pool.release(buffer);
  return actual;
}

/** Returns |gpu − exact| / exact, the exact sum taken in f64. */
function relativeError(actual: number, exact: number): number {
  return Math.abs(actual - exact) / exact;
}

describe('sum of squares', () => {
  // 4096 and 4097 sit on both sides of the one-pass limit, and 1_300_001 leaves 318 chunk sums
  // for the second pass.
  it.each([1, 7, 1000, 4096, 4097, 65537, 1_300_001])('is within the tree bound for n=%i', async (n) => {
    const src = randomArray(n, n, 3);
    const exact = sumSquaresRef(src, n, new Float32Array(1), 0);

    const actual = await gpuSumSquares(src, n, 1);

    const bound = sumSquaresRelativeErrorBound(n);
    expect(relativeError(actual[1], exact), `bound ${bound}`).toBeLessThanOrEqual(bound);
    expect(actual[0]).toBe(SENTINEL);
    expect(actual[2]).toBe(SENTINEL);
  });

  it('adds several chunks of partials in the second pass', async () => {
    // 4098 chunk sums: the second pass adds two chunks of partials in order.
    const n = REDUCE_CHUNK * REDUCE_CHUNK + REDUCE_CHUNK + 1;
    const src = randomArray(n, 17);
    const exact = sumSquaresRef(src, n, new Float32Array(1), 0);

    const actual = await gpuSumSquares(src, n, 0);

    expect(reducePartialsLength(n)).toBe(REDUCE_CHUNK + 2);
    expect(relativeError(actual[0], exact)).toBeLessThanOrEqual(sumSquaresRelativeErrorBound(n));
  });

  it('is within the bound for magnitudes from 1e-6 to 1e6', async () => {
    const n = 70_001;
    const src = randomArray(n, 11).map((x, i) => x * 10 ** ((i % 13) - 6));
    const exact = sumSquaresRef(src, n, new Float32Array(1), 0);

    const actual = await gpuSumSquares(src, n, 0);

    expect(relativeError(actual[0], exact)).toBeLessThanOrEqual(sumSquaresRelativeErrorBound(n));
  });

  it('reduces only the range at offset', async () => {
    // Outside the range every entry is 1000, so reading past either end shows up at once.
    const [offset, n] = [3, 5000];
    const src = new Float32Array(offset + n + 9).fill(1000);
    src.set(randomArray(n, 4), offset);
    const exact = sumSquaresRef(src, n, new Float32Array(1), 0, offset);

    const actual = await gpuSumSquares(src, n, 2, offset);

    expect(relativeError(actual[2], exact)).toBeLessThanOrEqual(sumSquaresRelativeErrorBound(n));
  });

  it('gives identical bits on two runs', async () => {
    const n = 1_000_003;
    const src = randomArray(n, 8, 2);

    const first = await gpuSumSquares(src, n, 0);
    const second = await gpuSumSquares(src, n, 0);

    expect(new Uint32Array(second.buffer)[0]).toBe(new Uint32Array(first.buffer)[0]);
  });

  it('returns 0 for zeros, +Inf for Inf and NaN for NaN', async () => {
    const n = 9000;
    const zeros = new Float32Array(n);
    const withInf = randomArray(n, 5);
    withInf[8999] = -Infinity;
    const withNaN = randomArray(n, 6);
    withNaN[4500] = NaN;

    expect((await gpuSumSquares(zeros, n, 0))[0]).toBe(0);
    expect((await gpuSumSquares(withInf, n, 0))[0]).toBe(Infinity);
    expect((await gpuSumSquares(withNaN, n, 0))[0]).toBeNaN();
  });

  it('shares one results buffer and one partials buffer across reductions', async () => {
    // Two sums and a count recorded in one pass land in slots 0, 1 (f32) and 2 (u32), read back once.
    const ctx = await gpu();
    const [nA, nB] = [10_000, 20_000];
    const a = randomArray(nA, 21);
    const b = randomArray(nB, 22);
    b[123] = NaN;
    const bufA = ctx.pool.storageFrom('reduce test a', 'gradients', a);
    const bufB = ctx.pool.storageFrom('reduce test b', 'gradients', b);
    const results = ctx.pool.storageFrom('reduce test results', 'optimizer-state', new Float32Array(4).fill(SENTINEL));
    const partials = ctx.pool.storage('reduce test partials', 'optimizer-state', reducePartialsLength(nB) * 4);

    const dispatches = [
      ...makeSumSquares(ctx, 'sum a', { src: bufA, n: nA, results, index: 0, partials }),
      ...makeSumSquares(ctx, 'sum b', { src: bufB, n: nB, results, index: 1, partials }),
      ...makeCountNonFinite(ctx, 'count b', { src: bufB, n: nB, results, index: 2, partials }),
    ];
    runDispatches(ctx, dispatches);
    const words = await readU32(ctx, results);
    const sums = new Float32Array(words.buffer);

    const expected = new Float32Array(1);
    expect(relativeError(sums[0], sumSquaresRef(a, nA, expected, 0))).toBeLessThanOrEqual(sumSquaresRelativeErrorBound(nA));
    expect(sums[1]).toBeNaN();
    expect(words[2]).toBe(1);
    expect(sums[3]).toBe(SENTINEL);
    for (const buffer of [bufA, bufB, results, partials]) ctx.pool.release(buffer);
  });

  it('rejects a results slot past the buffer', async () => {
    const ctx = await gpu();
    const src = ctx.pool.storage('reduce test src', 'gradients', 64);
    const results = ctx.pool.storage('reduce test results', 'optimizer-state', 8);

    expect(() => makeSumSquares(ctx, 'bad index', { src, n: 16, results, index: 2 })).toThrow(/results is too small/);
    expect(() => makeSumSquares(ctx, 'bad range', { src, n: 16, results, index: 0, offset: 1 })).toThrow(/src is too small/);
    for (const buffer of [src, results]) ctx.pool.release(buffer);
  });
});

describe('non-finite count', () => {
  /** Places NaN, ±Inf and NaN with other payloads at `positions`, cycling through them. */
  function withNonFinite(n: number, positions: number[], seed: number): Float32Array {
    const src = randomArray(n, seed);
    const words = new Uint32Array(src.buffer);
    const patterns = [0x7fc00000, 0x7f800000, 0xff800000, 0xffc00001, 0x7f800001];
    positions.forEach((position, k) => (words[position] = patterns[k % patterns.length]));
    return src;
  }

  it.each([
    [1, [0]],
    [7, [0, 3, 6]],
    [1000, []],
    [65537, [0, 4095, 4096, 30000, 65535, 65536]],
    [REDUCE_CHUNK * 3 + 5, [1, 2, 3, 4, 5, REDUCE_CHUNK * 3 + 4]],
  ])('matches reference for n=%i', async (n, positions) => {
    const src = withNonFinite(n, positions, n);
    const expected = new Uint32Array(1);
    countNonFiniteRef(src, n, expected, 0);
    expect(expected[0]).toBe(positions.length);

    const actual = await gpuCountNonFinite(src, n, 1);

    expect(actual[1]).toBe(expected[0]);
    expect(actual[0]).toBe(SENTINEL);
    expect(actual[2]).toBe(SENTINEL);
  });

  it('counts no finite extremes', async () => {
    // The largest finite f32, the smallest subnormal and −0 are all finite.
    const src = Float32Array.from([3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -0, 0]);

    expect((await gpuCountNonFinite(src, src.length, 0))[0]).toBe(0);
  });

  it('counts only the range at offset', async () => {
    const src = withNonFinite(9000, [0, 1, 2, 100, 8999], 3);
    const expected = new Uint32Array(1);
    countNonFiniteRef(src, 8000, expected, 0, 2);

    const actual = await gpuCountNonFinite(src, 8000, 0, 2);

    expect(expected[0]).toBe(2);
    expect(actual[0]).toBe(2);
  });
});
