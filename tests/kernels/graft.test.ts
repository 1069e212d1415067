import { describe, expect, it } from 'vitest';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { makeGraft } from '../../kernels/graft/graft';
import { graftRef } from '../../kernels/graft/graft.ref';
import { makeSumSquares, sumSquaresRelativeErrorBound } from '../../kernels/reduce/reduce';
import { sumSquaresRef } from '../../kernels/reduce/reduce.ref';
import { compare, gpu, randomArray } from '../helpers/gpu';

const ULP = 2 ** -23;
// The scale takes two square roots and a division in f32. WGSL allows sqrt about 4.5 ulp (it is
// accurate as 1 / inverseSqrt, with 2 ulp for inverseSqrt and 2.5 for the division) and division
// 2.5 ulp, so the scale is within about 12 ulp and the product one more. 16 ulp of the result
// covers that and the reference's own rounding.
const RTOL = 16 * ULP;

async function gpuGraft(direction: Float32Array, n: number, sums: Float32Array, gradientIndex: number, directionIndex: number, offset = 0): Promise<Float32Array> {
  const ctx = await gpu();
  const directionBuffer = ctx.pool.storageFrom('graft test direction', 'gradients', direction);
  const results = ctx.pool.storageFrom('graft test results', 'optimizer-state', sums);
  const { result: dispatch, buffers } = ctx.pool.capture(() =>
    makeGraft(ctx, 'graft test', { direction: directionBuffer, n, results, gradientIndex, directionIndex, offset }),
  );

  runDispatches(ctx, [dispatch]);
  const actual = await readF32(ctx, directionBuffer);

  for (const buffer of [directionBuffer, results, ...buffers]) ctx.pool.release(buffer);
  return actual;
}

describe('graft', () => {
  it.each([1, 7, 1000, 65537])('matches reference for n=%i', async (n) => {
    const direction = randomArray(n, n, 5);
    // Slot 0 is unused, slot 1 ‖Ĝ‖², slot 2 ‖G‖², as a results buffer shared by several tensors would be.
    const sums = Float32Array.from([7, 0, 0]);
    sumSquaresRef(direction, n, sums, 1);
    sums[2] = Math.fround(sums[1] * 0.37);
    const expected = direction.slice();
    graftRef(expected, n, sums, 2, 1);

    const actual = await gpuGraft(direction, n, sums, 2, 1);

    const result = compare(actual, expected, 0, RTOL);
    expect(result.mismatches).toEqual([]);
  });

  it('scales only the range at offset', async () => {
    const [offset, n] = [5, 300];
    const direction = randomArray(offset + n + 4, 3);
    const sums = Float32Array.from([2.5, 1e4]);
    const expected = direction.slice();
    graftRef(expected, n, sums, 0, 1, offset);

    const actual = await gpuGraft(direction, n, sums, 0, 1, offset);

    expect(compare(actual, expected, 0, RTOL).mismatches).toEqual([]);
    expect(Array.from(actual.subarray(0, offset))).toEqual(Array.from(direction.subarray(0, offset)));
    expect(Array.from(actual.subarray(offset + n))).toEqual(Array.from(direction.subarray(offset + n)));
  });

  it('keeps a zero direction zero', async () => {
    // ‖Ĝ‖ = 0 gives the scale ‖G‖ / 1e-12, which is finite for every finite ‖G‖² in f32.
    const n = 1000;
    const sums = Float32Array.from([3.4e38, 0]);

    const actual = await gpuGraft(new Float32Array(n), n, sums, 0, 1);

    expect(actual.every((x) => x === 0)).toBe(true);
  });

  it('zeroes the direction for a zero gradient', async () => {
    const n = 7;
    const sums = Float32Array.from([0, 5]);

    const actual = await gpuGraft(randomArray(n, 2), n, sums, 0, 1);

    expect(actual.every((x) => x === 0)).toBe(true);
  });

  it('grafts to the gradient norm after GPU reductions', async () => {
    // The full sequence on the GPU: ‖G‖² and ‖Ĝ‖² into one results buffer, then grafting in place,
    // against the exact f64 norms. The sums add their tree bound to the tolerance.
    const ctx = await gpu();
    const n = 65537;
    const gradient = randomArray(n, 31, 0.01);
    const direction = randomArray(n, 32, 40);
    const gradientBuffer = ctx.pool.storageFrom('graft test gradient', 'gradients', gradient);
    const directionBuffer = ctx.pool.storageFrom('graft test direction', 'gradients', direction);
    const results = ctx.pool.storage('graft test results', 'optimizer-state', 2 * 4);

    runDispatches(ctx, [
      ...makeSumSquares(ctx, 'gradient norm', { src: gradientBuffer, n, results, index: 0 }),
      ...makeSumSquares(ctx, 'direction norm', { src: directionBuffer, n, results, index: 1 }),
      makeGraft(ctx, 'graft', { direction: directionBuffer, n, results, gradientIndex: 0, directionIndex: 1 }),
    ]);
    const actual = await readF32(ctx, directionBuffer);

    const exactSums = new Float64Array(2);
    exactSums[0] = sumSquaresRef(gradient, n, new Float32Array(1), 0);
    exactSums[1] = sumSquaresRef(direction, n, new Float32Array(1), 0);
    const scale = Math.sqrt(exactSums[0]) / (Math.sqrt(exactSums[1]) + 1e-12);
    const expected = direction.map((x) => x * scale);
    const rtol = sumSquaresRelativeErrorBound(n) + RTOL;
    expect(compare(actual, expected, 0, rtol).mismatches).toEqual([]);
    const graftedSquares = sumSquaresRef(actual, n, new Float32Array(1), 0);
    expect(Math.abs(Math.sqrt(graftedSquares / exactSums[0]) - 1)).toBeLessThan(rtol);
    for (const buffer of [gradientBuffer, directionBuffer, results]) ctx.pool.release(buffer);
  });

  it('rejects results in the direction buffer', async () => {
    const ctx = await gpu();
    const direction = ctx.pool.storage('graft test direction', 'gradients', 64);

    expect(() => makeGraft(ctx, 'same buffer', { direction, n: 8, results: direction, gradientIndex: 8, directionIndex: 9 })).toThrow(/separate buffer/);
    ctx.pool.release(direction);
  });
});
