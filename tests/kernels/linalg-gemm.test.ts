import { describe, expect, it } from 'vitest';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { makeGemm, rowMajor } from '../../kernels/linalg/gemm';
import { gemmRef, rowMajorRef } from '../../kernels/linalg/gemm.ref';
import { compare, gpu, randomArray } from '../helpers/gpu';

// Inputs in [-1, 1): the f32 sum of K products stays within 2e-7·K of the f64 reference, as for
// kernels/matmul (largest seen: see the tolerance table in kernels/README.md).
function tolerance(k: number): number {
  return 2e-7 * k + 1e-7;
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [5, 17, 3],
  [17, 5, 65],
  [64, 64, 64],
  [130, 33, 67],
];

describe('linalg gemm', () => {
  it.each(SHAPES)('matches reference in all transpose layouts for M=%i K=%i N=%i', async (m, k, n) => {
    const ctx = await gpu();
    const aData = randomArray(m * k, m + 3 * k + 7 * n);
    const bData = randomArray(k * n, m + 5 * k + 11 * n);
    const aBuffer = ctx.pool.storageFrom('gemm a', 'activations', aData);
    const bBuffer = ctx.pool.storageFrom('gemm b', 'activations', bData);
    const out = ctx.pool.storage('gemm out', 'activations', m * n * 4);
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        // The same data read as A (M×K) stored row-major, or stored as its K×M transpose.
        const aCols = transposeA ? m : k;
        const bCols = transposeB ? k : n;
        runDispatches(ctx, [
          makeGemm(ctx, 'gemm test', {
            a: rowMajor(aBuffer, aCols, transposeA),
            b: rowMajor(bBuffer, bCols, transposeB),
            out,
            m,
            k,
            n,
          }),
        ]);
        const actual = await readF32(ctx, out, m * n);
        const expected = gemmRef(rowMajorRef(aData, aCols, transposeA), rowMajorRef(bData, bCols, transposeB), m, k, n);
        const result = compare(actual, expected, tolerance(k));
        expect(result.mismatches, `transposeA=${transposeA} transposeB=${transposeB}, max ${result.maxAbs}`).toEqual([]);
      }
    }
    for (const buffer of [aBuffer, bBuffer, out]) ctx.pool.release(buffer);
  });

  it('applies weights, alpha and a separate addend', async () => {
    const ctx = await gpu();
    const [m, k, n] = [33, 19, 21];
    const aData = randomArray(m * k, 1);
    const bData = randomArray(n * k, 2);
    const weights = randomArray(k, 3, 2);
    const addend = randomArray(m * n, 4);
    const buffers = [aData, bData, weights, addend].map((data) => ctx.pool.storageFrom('gemm input', 'activations', data));
    const out = ctx.pool.storage('gemm out', 'activations', m * n * 4);

    runDispatches(ctx, [
      makeGemm(ctx, 'weighted', {
        a: rowMajor(buffers[0], k),
        b: rowMajor(buffers[1], k, true),
        out,
        m,
        k,
        n,
        alpha: -0.5,
        weights: buffers[2],
        addend: buffers[3],
        beta: 1.5,
      }),
    ]);

    const expected = gemmRef(rowMajorRef(aData, k), rowMajorRef(bData, k, true), m, k, n, -0.5, weights, addend, 1.5);
    const result = compare(await readF32(ctx, out, m * n), expected, 2 * tolerance(k));
    expect(result.mismatches, `max ${result.maxAbs}`).toEqual([]);
    for (const buffer of [...buffers, out]) ctx.pool.release(buffer);
  });

  it('updates out in place and reads sub-blocks', async () => {
    // out ← 0.9·out + 0.1·X Xᵀ, where X is the 7×11 block at row 2, column 3 of a 13×20 matrix.
    const ctx = await gpu();
    const [rows, cols, m, k, r0, c0] = [13, 20, 7, 11, 2, 3];
    const big = randomArray(rows * cols, 5);
    // A symmetric start, so the result must be symmetric too.
    const start = randomArray(m * m, 6);
    for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) start[i * m + j] = start[j * m + i];
    const bigBuffer = ctx.pool.storageFrom('gemm big', 'activations', big);
    const out = ctx.pool.storageFrom('gemm out', 'activations', start);
    const offset = r0 * cols + c0;

    runDispatches(ctx, [
      makeGemm(ctx, 'in place', {
        a: { buffer: bigBuffer, offset, rowStride: cols, colStride: 1 },
        b: { buffer: bigBuffer, offset, rowStride: 1, colStride: cols },
        out,
        m,
        k,
        n: m,
        alpha: 0.1,
        addend: out,
        beta: 0.9,
      }),
    ]);

    const view = { data: big, offset, rowStride: cols, colStride: 1 };
    const expected = gemmRef(view, { data: big, offset, rowStride: 1, colStride: cols }, m, k, m, 0.1, undefined, start, 0.9);
    const actual = await readF32(ctx, out, m * m);
    expect(compare(actual, expected, tolerance(k)).mismatches).toEqual([]);
    // A·Aᵀ comes out exactly symmetric: both triangles sum the same products in the same order.
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < i; j++) expect(actual[i * m + j]).toBe(actual[j * m + i]);
    }
    ctx.pool.release(bigBuffer);
    ctx.pool.release(out);
  });

  it('computes A·diag(w)·Aᵀ from the upper tiles, bit-identical to the full product', async () => {
    // 130 rows make 3×3 tiles of 64, so the mirrored writes cross tile edges. The addend is not
    // symmetric, so a mirrored write that read the addend at the wrong index would show.
    const ctx = await gpu();
    const [m, k] = [130, 37];
    const aData = randomArray(m * k, 21);
    const weights = randomArray(k, 22, 2);
    const addend = randomArray(m * m, 23);
    const a = ctx.pool.storageFrom('gemm a', 'activations', aData);
    const w = ctx.pool.storageFrom('gemm w', 'activations', weights);
    const outs = [0, 1].map(() => ctx.pool.storageFrom('gemm out', 'activations', addend));
    const args = { a: rowMajor(a, k), b: rowMajor(a, k, true), m, k, n: m, alpha: 0.25, weights: w, beta: 0.5 };

    runDispatches(ctx, [
      makeGemm(ctx, 'full', { ...args, out: outs[0], addend: outs[0] }),
      makeGemm(ctx, 'symmetric', { ...args, out: outs[1], addend: outs[1], symmetric: true }),
    ]);
    const [full, symmetric] = await Promise.all(outs.map((out) => readF32(ctx, out, m * m)));
    expect(Array.from(symmetric)).toEqual(Array.from(full));
    const expected = gemmRef(rowMajorRef(aData, k), rowMajorRef(aData, k, true), m, k, m, 0.25, weights, addend, 0.5);
    expect(compare(symmetric, expected, 2 * tolerance(k)).mismatches).toEqual([]);

    // Equal data in another buffer is not enough: the kernel only reads the upper tiles.
    const copy = ctx.pool.storageFrom('gemm a copy', 'activations', aData);
    expect(() => makeGemm(ctx, 'not transposed', { ...args, b: rowMajor(copy, k, true), out: outs[0], symmetric: true })).toThrow(/transposed view of a/);
    for (const buffer of [a, copy, w, ...outs]) ctx.pool.release(buffer);
  });

  it('writes into a sub-block of a larger output and leaves the rest alone', async () => {
    // out is the 70×9 block at row 3, column 5 of a 80×20 matrix.
    const ctx = await gpu();
    const [m, k, n, rows, cols, r0, c0] = [70, 13, 9, 80, 20, 3, 5];
    const aData = randomArray(m * k, 31);
    const bData = randomArray(k * n, 32);
    const start = randomArray(rows * cols, 33);
    const a = ctx.pool.storageFrom('gemm a', 'activations', aData);
    const b = ctx.pool.storageFrom('gemm b', 'activations', bData);
    const out = ctx.pool.storageFrom('gemm out', 'activations', start);

    runDispatches(ctx, [
      makeGemm(ctx, 'block', { a: rowMajor(a, k), b: rowMajor(b, n), out, outOffset: r0 * cols + c0, outRowStride: cols, m, k, n, alpha: -1, addend: out }),
    ]);
    const actual = await readF32(ctx, out, rows * cols);
    const product = gemmRef(rowMajorRef(aData, k), rowMajorRef(bData, n), m, k, n);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const inside = i >= r0 && i < r0 + m && j >= c0 && j < c0 + n;
        const expected = inside ? start[i * cols + j] - product[(i - r0) * n + (j - c0)] : start[i * cols + j];
        if (inside) expect(Math.abs(actual[i * cols + j] - expected)).toBeLessThanOrEqual(tolerance(k) + 1e-7);
        else expect(actual[i * cols + j]).toBe(expected);
      }
    }
    expect(() => makeGemm(ctx, 'too far', { a: rowMajor(a, k), b: rowMajor(b, n), out, outOffset: 11 * cols, outRowStride: cols, m, k, n })).toThrow(/out is too small/);
    for (const buffer of [a, b, out]) ctx.pool.release(buffer);
  });

  it('skips the dispatch when its gate is closed', async () => {
    const ctx = await gpu();
    const [m, k, n] = [9, 9, 9];
    const a = ctx.pool.storageFrom('gemm a', 'activations', randomArray(m * k, 7));
    const b = ctx.pool.storageFrom('gemm b', 'activations', randomArray(k * n, 8));
    const status = ctx.pool.storageFrom('gemm status', 'staging', new Uint32Array([0, 1]));
    const sentinel = new Float32Array(m * n).fill(42);
    const out = ctx.pool.storageFrom('gemm out', 'activations', sentinel);
    const args = { a: rowMajor(a, k), b: rowMajor(b, n), out, m, k, n };

    runDispatches(ctx, [
      makeGemm(ctx, 'closed nonzero', { ...args, gate: { status, word: 0, runIf: 'nonzero' } }),
      makeGemm(ctx, 'closed zero', { ...args, gate: { status, word: 1, runIf: 'zero' } }),
    ]);
    expect(Array.from(await readF32(ctx, out))).toEqual(Array.from(sentinel));

    runDispatches(ctx, [makeGemm(ctx, 'open', { ...args, gate: { status, word: 1, runIf: 'nonzero' } })]);
    expect((await readF32(ctx, out))[0]).not.toBe(42);
    for (const buffer of [a, b, status, out]) ctx.pool.release(buffer);
  });

  it('rejects views that leave the buffer', async () => {
    const ctx = await gpu();
    const a = ctx.pool.storage('gemm a', 'activations', 4 * 20);
    const out = ctx.pool.storage('gemm out', 'activations', 4 * 100);
    expect(() => makeGemm(ctx, 'short', { a: rowMajor(a, 5), b: rowMajor(a, 5), out, m: 5, k: 5, n: 5 })).toThrow(/a is too small/);
    expect(() => makeGemm(ctx, 'alias', { a: rowMajor(out, 4), b: rowMajor(a, 4), out, m: 4, k: 4, n: 4 })).toThrow(/separate buffer/);
    ctx.pool.release(a);
    ctx.pool.release(out);
  });
});
