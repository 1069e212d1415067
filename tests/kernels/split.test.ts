/**
 * Tensors split by rows across buffers (kernels/gpu/split.ts) and the ops that read them chunk by
 * chunk: the embedding gather, the matmul along K (accumulating) and along N (an out column
 * window), and the full-rank and low-rank perturbations. Each chunked result must be bit-identical
 * to the same op on the unsplit tensor, which the op's own test compares with its CPU reference.
 */
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../kernels/gpu/context';
import { readF32, runDispatches, type Dispatch } from '../../kernels/gpu/dispatch';
import { createRowChunks, planRowChunks, readRowChunks, type RowRange } from '../../kernels/gpu/split';
import { makeEmbedding } from '../../kernels/embedding/embedding';
import { embeddingRef } from '../../kernels/embedding/embedding.ref';
import { makeMatmul } from '../../kernels/matmul/matmul';
import { matmulRef } from '../../kernels/matmul/matmul.ref';
import { makePerturbFull, makePerturbLowRank, makeStepParams, writeStepParams, type StepParams } from '../../kernels/perturb/perturb';
import { perturbFullRef } from '../../kernels/perturb/perturb.ref';
import { fillGaussianRef } from '../../kernels/rng/rng.ref';
import { compare, gpu, randomArray } from '../helpers/gpu';

/** Compares f32 bit patterns element-wise and returns up to 5 differences. */
function bitMismatches(actual: Float32Array, expected: Float32Array): string[] {
  if (actual.length !== expected.length) return [`length ${actual.length} != ${expected.length}`];
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const mismatches: string[] = [];
  for (let i = 0; i < a.length && mismatches.length < 5; i++) {
    if (a[i] !== e[i]) mismatches.push(`[${i}] got ${actual[i]} (0x${a[i].toString(16)}), expected ${expected[i]} (0x${e[i].toString(16)})`);
  }
  return mismatches;
}

/** Row-major rows [range.rowStart, +range.rows) of a matrix with `cols` columns. */
function rowsOf(values: Float32Array, range: RowRange, cols: number): Float32Array {
  return values.slice(range.rowStart * cols, (range.rowStart + range.rows) * cols);
}

/** Runs `build`, which creates buffers through `keep`, and frees them all afterwards. */
async function withBuffers<T>(ctx: GpuContext, build: (keep: (buffer: GPUBuffer) => GPUBuffer) => Promise<T>): Promise<T> {
  const buffers: GPUBuffer[] = [];
  try {
    return await build((buffer) => {
      buffers.push(buffer);
      return buffer;
    });
  } finally {
    for (const buffer of buffers) ctx.pool.release(buffer);
  }
}

describe('row chunks', () => {
  it('plans fewest balanced chunks', () => {
    expect(planRowChunks('wte', 256, 8, 3000)).toEqual([
      { rowStart: 0, rows: 86 },
      { rowStart: 86, rows: 85 },
      { rowStart: 171, rows: 85 },
    ]);
    for (const [rows, cols, maxBytes] of [
      [50257, 768, 128 * 2 ** 20],
      [1, 7, 28],
      [97, 3, 12],
      [1000, 13, 52 * 17 + 51],
      [5, 5, 100],
    ]) {
      const chunks = planRowChunks('t', rows, cols, maxBytes);
      const perChunk = Math.floor(maxBytes / (cols * 4));
      expect(chunks.length).toBe(Math.ceil(rows / Math.min(perChunk, rows)));
      let next = 0;
      for (const chunk of chunks) {
        expect(chunk.rowStart).toBe(next);
        expect(chunk.rows * cols * 4).toBeLessThanOrEqual(maxBytes);
        expect(chunk.rows).toBeGreaterThanOrEqual(chunks[chunks.length - 1].rows);
        expect(chunk.rows - chunks[chunks.length - 1].rows).toBeLessThanOrEqual(1);
        next += chunk.rows;
      }
      expect(next).toBe(rows);
    }
    // GPT-2 small's wte on a 128 MiB adapter: two chunks of about 77 MB.
    expect(planRowChunks('wte', 50257, 768, 128 * 2 ** 20).map((chunk) => chunk.rows)).toEqual([25129, 25128]);
  });

  it('keeps a fitting tensor whole', () => {
    expect(planRowChunks('t', 10, 25, 1000)).toEqual([{ rowStart: 0, rows: 10 }]);
    expect(planRowChunks('t', 10, 25, 999)).toHaveLength(2);
  });

  it('rejects a row above the limit', () => {
    expect(() => planRowChunks('h.0.mlp.c_fc.weight', 3, 10, 39)).toThrow(
      /Tensor "h\.0\.mlp\.c_fc\.weight" \[3 × 10\] needs 120 bytes, above the binding limit of 39 bytes.*one row of 10 f32 values is 40 bytes/,
    );
  });

  it('pool enforces the lowered limit', async () => {
    const ctx = await gpu();
    const adapterLimit = ctx.limits.maxStorageBufferBindingSize;
    expect(ctx.maxBindingBytes).toBe(adapterLimit);
    expect(() => (ctx.maxBindingBytes = adapterLimit + 4)).toThrow(/from 4 to this adapter's maxStorageBufferBindingSize/);
    expect(() => (ctx.maxBindingBytes = 0)).toThrow(/maxBindingBytes must be an integer/);
    const before = ctx.pool.bytes();
    ctx.maxBindingBytes = 1024;
    try {
      expect(ctx.pool.maxBindingBytes).toBe(1024);
      ctx.pool.release(ctx.pool.storage('fits', 'weights', 1024));
      expect(() => ctx.pool.storage('too big', 'weights', 1025)).toThrow(
        /Buffer "too big" needs 1028 bytes, above the binding limit of 1024 bytes \(lowered from this adapter's maxStorageBufferBindingSize/,
      );
      // Buffers that are not storage buffers (readback) are not bound, so the limit does not apply.
      ctx.pool.release(ctx.pool.readback('staging', 4096));
    } finally {
      ctx.maxBindingBytes = adapterLimit;
    }
    expect(ctx.pool.bytes()).toEqual(before);
  });

  it('uploads and reads back chunks', async () => {
    const ctx = await gpu();
    const [rows, cols] = [37, 5];
    const data = randomArray(rows * cols, 3);
    const adapterLimit = ctx.maxBindingBytes;
    const before = ctx.pool.bytes();
    ctx.maxBindingBytes = 200;
    try {
      const chunks = createRowChunks(ctx, 'round trip', 'weights', data, rows, cols);
      expect(chunks.map((chunk) => chunk.rows)).toEqual([10, 9, 9, 9]);
      expect(chunks.map((chunk) => chunk.buffer.label)).toEqual(['round trip rows 0..9', 'round trip rows 10..18', 'round trip rows 19..27', 'round trip rows 28..36']);
      expect(bitMismatches(await readRowChunks(ctx, chunks, cols), data)).toEqual([]);
      for (const chunk of chunks) ctx.pool.release(chunk.buffer);
    } finally {
      ctx.maxBindingBytes = adapterLimit;
    }
    expect(ctx.pool.bytes()).toEqual(before);
  });
});

describe('embedding over wte chunks', () => {
  it.each([
    // B, T, C, V, max bytes per chunk
    [2, 5, 7, 11, 4 * 7 * 4],
    [3, 17, 33, 50, 4 * 33 * 17],
    [1, 40, 16, 257, 4 * 16 * 100],
    [2, 9, 1, 300, 4 * 1 * 299],
  ])('chunks write each row once (B=%i T=%i C=%i V=%i, %i bytes)', async (B, T, C, V, maxBytes) => {
    const ctx = await gpu();
    const N = B * T;
    // Ids cover every chunk, both ends of each, and ids >= V.
    const tokens = Uint32Array.from({ length: N }, (_, i) => (i % 7 === 6 ? V + i : (i * 31 + 3) % V));
    tokens[0] = 0;
    tokens[N - 1] = V - 1;
    const wte = randomArray(V * C, V + C);
    const wpe = randomArray(T * C, T + C);
    const ranges = planRowChunks('wte', V, C, maxBytes);
    expect(ranges.length).toBeGreaterThan(1);

    const actual = await withBuffers(ctx, async (keep) => {
      const bufTokens = keep(ctx.pool.storageFrom('tokens', 'activations', tokens));
      const bufWpe = keep(ctx.pool.storageFrom('wpe', 'weights', wpe));
      // NaN marks any row no chunk writes.
      const out = keep(ctx.pool.storageFrom('out', 'activations', new Float32Array(N * C).fill(NaN)));
      const dispatches = ranges.map((range) => {
        const chunk = keep(ctx.pool.storageFrom('wte chunk', 'weights', rowsOf(wte, range, C)));
        return makeEmbedding(ctx, 'embedding chunk', { tokens: bufTokens, wte: chunk, wpe: bufWpe, out, B, T, C, V, wteRowStart: range.rowStart, wteRows: range.rows });
      });
      runDispatches(ctx, dispatches);
      return readF32(ctx, out, N * C);
    });

    expect(bitMismatches(actual, embeddingRef(tokens, wte, wpe, B, T, C, V))).toEqual([]);
  });

  it('chunk writes only its own rows', async () => {
    const ctx = await gpu();
    const [B, T, C, V] = [2, 6, 3, 20];
    const tokens = Uint32Array.from([0, 5, 6, 7, 12, 13, 19, 20, 99, 6, 12, 1]);
    const wte = randomArray(V * C, 1);
    const wpe = randomArray(T * C, 2);
    for (const range of [
      { rowStart: 0, rows: 6 },
      { rowStart: 6, rows: 7 },
      { rowStart: 13, rows: 7 },
    ]) {
      const actual = await withBuffers(ctx, async (keep) => {
        const out = keep(ctx.pool.storageFrom('out', 'activations', new Float32Array(B * T * C).fill(NaN)));
        const dispatch = makeEmbedding(ctx, 'embedding chunk', {
          tokens: keep(ctx.pool.storageFrom('tokens', 'activations', tokens)),
          wte: keep(ctx.pool.storageFrom('wte chunk', 'weights', rowsOf(wte, range, C))),
          wpe: keep(ctx.pool.storageFrom('wpe', 'weights', wpe)),
          out,
          B,
          T,
          C,
          V,
          wteRowStart: range.rowStart,
          wteRows: range.rows,
        });
        runDispatches(ctx, [dispatch]);
        return readF32(ctx, out, B * T * C);
      });
      const expected = embeddingRef(tokens, rowsOf(wte, range, C), wpe, B, T, C, V, range.rowStart, range.rows, new Float32Array(B * T * C).fill(NaN));
      expect(bitMismatches(actual, expected), `rows ${range.rowStart}..${range.rowStart + range.rows - 1}`).toEqual([]);
    }
  });

  it('rejects a chunk past V', async () => {
    const ctx = await gpu();
    await withBuffers(ctx, async (keep) => {
      const buffer = keep(ctx.pool.storage('buffer', 'weights', 4096));
      const args = { tokens: buffer, wte: buffer, wpe: buffer, out: buffer, B: 1, T: 2, C: 3, V: 10 };
      expect(() => makeEmbedding(ctx, 'chunk past V', { ...args, wteRowStart: 8, wteRows: 3 })).toThrow(/wte rows 8\.\.10 must lie within the V = 10 rows/);
    });
  });
});

/** Runs one matmul over the whole b, then over b's row chunks, and returns both outputs. */
async function runMatmulChunks(M: number, K: number, N: number, transposeB: boolean, withBias: boolean, maxBytes: number, seed: number) {
  const ctx = await gpu();
  const a = randomArray(M * K, seed);
  const b = randomArray(K * N, seed + 1);
  const bias = withBias ? randomArray(N, seed + 2) : null;
  // b is K×N (chunks split K) or N×K (chunks split N); its rows are what the chunks hold.
  const bRows = transposeB ? N : K;
  const bCols = transposeB ? K : N;
  const ranges = planRowChunks('b', bRows, bCols, maxBytes);
  return withBuffers(ctx, async (keep) => {
    const bufA = keep(ctx.pool.storageFrom('a', 'activations', a));
    const bufBias = bias ? keep(ctx.pool.storageFrom('bias', 'weights', bias)) : undefined;
    const whole = keep(ctx.pool.storage('out whole', 'activations', M * N * 4));
    const chunked = keep(ctx.pool.storageFrom('out chunked', 'activations', new Float32Array(M * N).fill(NaN)));
    const dispatches: Dispatch[] = [makeMatmul(ctx, 'matmul whole', { a: bufA, b: keep(ctx.pool.storageFrom('b', 'weights', b)), bias: bufBias, out: whole, M, K, N, transposeB })];
    ranges.forEach((range, i) => {
      const chunk = keep(ctx.pool.storageFrom('b chunk', 'weights', rowsOf(b, range, bCols)));
      const last = i === ranges.length - 1;
      dispatches.push(
        transposeB
          ? makeMatmul(ctx, 'matmul N chunk', { a: bufA, b: chunk, bias: undefined, out: chunked, M, K, N: range.rows, transposeB, outColumns: N, outColumnOffset: range.rowStart })
          : makeMatmul(ctx, 'matmul K chunk', {
              a: bufA,
              b: chunk,
              bias: last ? bufBias : undefined,
              out: chunked,
              M,
              K: range.rows,
              N,
              transposeB,
              aColumns: K,
              aColumnOffset: range.rowStart,
              accumulate: i > 0,
            }),
      );
    });
    runDispatches(ctx, dispatches);
    return {
      chunks: ranges.length,
      whole: await readF32(ctx, whole, M * N),
      chunked: await readF32(ctx, chunked, M * N),
      expected: matmulRef(a, b, bias, M, K, N, transposeB),
    };
  });
}

describe('matmul over row chunks of b', () => {
  // [M, K, N, bytes per chunk]: chunk edges fall inside TILE_K (16) and TILE_N (64) tiles.
  it.each([
    [5, 70, 33, 33 * 4 * 25],
    [65, 17, 129, 129 * 4 * 6],
    [3, 200, 250, 250 * 4 * 90],
    [1, 2, 1, 4],
  ])('NN split along K matches whole (M=%i K=%i N=%i)', async (M, K, N, maxBytes) => {
    for (const withBias of [false, true]) {
      const result = await runMatmulChunks(M, K, N, false, withBias, maxBytes, M + K + N);
      expect(result.chunks).toBeGreaterThan(1);
      expect(bitMismatches(result.chunked, result.whole)).toEqual([]);
      expect(compare(result.chunked, result.expected, 2e-7 * K).mismatches).toEqual([]);
    }
  });

  it.each([
    [9, 24, 301, 24 * 4 * 110],
    [70, 8, 130, 8 * 4 * 64],
    [2, 33, 3, 33 * 4],
  ])('NT split along N matches whole (M=%i K=%i N=%i)', async (M, K, N, maxBytes) => {
    const result = await runMatmulChunks(M, K, N, true, false, maxBytes, M * K + N);
    expect(result.chunks).toBeGreaterThan(1);
    expect(bitMismatches(result.chunked, result.whole)).toEqual([]);
    expect(compare(result.chunked, result.expected, 2e-7 * K).mismatches).toEqual([]);
  });

  it('window accumulates like the reference', async () => {
    const ctx = await gpu();
    const [M, K, N] = [7, 19, 23];
    const [aColumns, aColumnOffset, outColumns, outColumnOffset] = [30, 6, 40, 11];
    const a = randomArray(M * aColumns, 5);
    const b = randomArray(K * N, 6);
    const bias = randomArray(N, 7);
    const initial = randomArray(M * outColumns, 8);
    const window = { aColumns, aColumnOffset, outColumns, outColumnOffset, accumulate: true };
    const actual = await withBuffers(ctx, async (keep) => {
      const out = keep(ctx.pool.storageFrom('out', 'activations', initial));
      const dispatch = makeMatmul(ctx, 'matmul window', {
        a: keep(ctx.pool.storageFrom('a', 'activations', a)),
        b: keep(ctx.pool.storageFrom('b', 'weights', b)),
        bias: keep(ctx.pool.storageFrom('bias', 'weights', bias)),
        out,
        M,
        K,
        N,
        transposeB: false,
        ...window,
      });
      runDispatches(ctx, [dispatch]);
      return readF32(ctx, out, M * outColumns);
    });
    const expected = matmulRef(a, b, bias, M, K, N, false, false, { ...window, out: initial.slice() });
    // Written entries sum K products and two addends; the others must keep their bits.
    expect(compare(actual, expected, 2e-7 * (K + 2)).mismatches).toEqual([]);
    for (let row = 0; row < M; row++) {
      for (let col = 0; col < outColumns; col++) {
        if (col >= outColumnOffset && col < outColumnOffset + N) continue;
        const i = row * outColumns + col;
        if (actual[i] !== initial[i]) throw new Error(`out[${row}, ${col}] outside the window changed: ${actual[i]} != ${initial[i]}`);
      }
    }
  });

  it('rejects invalid windows', async () => {
    const ctx = await gpu();
    await withBuffers(ctx, async (keep) => {
      const buffer = keep(ctx.pool.storage('buffer', 'activations', 4096));
      const args = { a: buffer, b: keep(ctx.pool.storage('b', 'weights', 4096)), out: keep(ctx.pool.storage('out', 'activations', 4096)), M: 4, K: 8, N: 6 };
      expect(() => makeMatmul(ctx, 'a window', { ...args, transposeB: false, aColumns: 10, aColumnOffset: 3 })).toThrow(/a columns 3\.\.10 must lie within aColumns = 10/);
      expect(() => makeMatmul(ctx, 'out window', { ...args, transposeB: true, outColumns: 8, outColumnOffset: 4 })).toThrow(/out columns 4\.\.9 must lie within outColumns = 8/);
      expect(() => makeMatmul(ctx, 'tn window', { ...args, transposeB: false, transposeA: true, aColumns: 9 })).toThrow(/a column window needs a non-transposed a/);
    });
  });
});

describe('perturbation over row chunks', () => {
  const p: StepParams = { seed: 0x1234567, c: -2.5e-3, keep: 0.999 };

  it.each([
    { rows: 31, cols: 13, maxBytes: 13 * 4 * 11, applyDecay: true },
    { rows: 300, cols: 7, maxBytes: 7 * 4 * 256, applyDecay: false },
  ])('full-rank chunks match whole (%j)', async ({ rows, cols, maxBytes, applyDecay }) => {
    const ctx = await gpu();
    const src = randomArray(rows * cols, rows, 0.4);
    const ranges = planRowChunks('theta', rows, cols, maxBytes);
    expect(ranges.length).toBeGreaterThan(1);
    const stream = 9;
    const { whole, copied, inPlace } = await withBuffers(ctx, async (keep) => {
      const step = keep(makeStepParams(ctx, 'split test step'));
      writeStepParams(ctx, step, p);
      const wholeBuffer = keep(ctx.pool.storageFrom('whole', 'weights', src));
      const dispatches = [makePerturbFull(ctx, 'whole', { src: wholeBuffer, dst: wholeBuffer, n: rows * cols, stream, applyDecay, step })];
      const copies: GPUBuffer[] = [];
      const chunks: GPUBuffer[] = [];
      for (const range of ranges) {
        const n = range.rows * cols;
        const chunk = keep(ctx.pool.storageFrom('chunk', 'weights', rowsOf(src, range, cols)));
        const copy = keep(ctx.pool.storage('copy', 'perturbation', n * 4));
        const indexOffset = range.rowStart * cols;
        dispatches.push(
          makePerturbFull(ctx, 'copy', { src: chunk, dst: copy, n, stream, applyDecay, step, indexOffset }),
          makePerturbFull(ctx, 'in place', { src: chunk, dst: chunk, n, stream, applyDecay, step, indexOffset }),
        );
        copies.push(copy);
        chunks.push(chunk);
      }
      runDispatches(ctx, dispatches);
      const join = (buffers: GPUBuffer[]) => readRowChunks(ctx, ranges.map((range, i) => ({ ...range, buffer: buffers[i] })), cols);
      return { whole: await readF32(ctx, wholeBuffer, rows * cols), copied: await join(copies), inPlace: await join(chunks) };
    });
    expect(bitMismatches(copied, whole)).toEqual([]);
    expect(bitMismatches(inPlace, whole)).toEqual([]);
    // The reference with the same index offset gives the chunk's values (each element one rounding).
    const last = ranges[ranges.length - 1];
    const expected = perturbFullRef(rowsOf(src, last, cols), last.rows * cols, stream, applyDecay, p, last.rowStart * cols);
    const bound = 2 ** -21 * Math.max(...expected.map(Math.abs));
    expect(compare(rowsOf(whole, last, cols), expected, bound).mismatches).toEqual([]);
  });

  it.each([
    { m: 37, n: 23, r: 7, maxBytes: 23 * 4 * 13, applyDecay: true },
    { m: 10, n: 40, r: 5, maxBytes: 40 * 4 * 2, applyDecay: false },
  ])('low-rank chunks match whole (%j)', async ({ m, n, r, maxBytes, applyDecay }) => {
    const ctx = await gpu();
    const src = randomArray(m * n, m + n, 0.3);
    const u = fillGaussianRef(11, m, m * r);
    const v = fillGaussianRef(12, n, n * r);
    const sigma = fillGaussianRef(13, r, r * r);
    const scale = Math.sqrt(m * n) / r;
    const ranges = planRowChunks('W', m, n, maxBytes);
    expect(ranges.length).toBeGreaterThan(1);
    const { whole, copied, inPlace } = await withBuffers(ctx, async (keep) => {
      const step = keep(makeStepParams(ctx, 'split test step'));
      writeStepParams(ctx, step, p);
      const factors = {
        u: keep(ctx.pool.storageFrom('u', 'perturbation', u)),
        v: keep(ctx.pool.storageFrom('v', 'perturbation', v)),
        sigma: keep(ctx.pool.storageFrom('sigma', 'perturbation', sigma)),
      };
      const wholeBuffer = keep(ctx.pool.storageFrom('whole', 'weights', src));
      const dispatches = [makePerturbLowRank(ctx, 'whole', { src: wholeBuffer, dst: wholeBuffer, ...factors, m, n, r, scale, applyDecay, step })];
      const copies: GPUBuffer[] = [];
      const chunks: GPUBuffer[] = [];
      for (const range of ranges) {
        const chunk = keep(ctx.pool.storageFrom('chunk', 'weights', rowsOf(src, range, n)));
        const copy = keep(ctx.pool.storage('copy', 'perturbation', range.rows * n * 4));
        const common = { ...factors, m: range.rows, n, r, scale, applyDecay, step, rowOffset: range.rowStart, totalRows: m };
        dispatches.push(makePerturbLowRank(ctx, 'copy', { src: chunk, dst: copy, ...common }), makePerturbLowRank(ctx, 'in place', { src: chunk, dst: chunk, ...common }));
        copies.push(copy);
        chunks.push(chunk);
      }
      runDispatches(ctx, dispatches);
      const join = (buffers: GPUBuffer[]) => readRowChunks(ctx, ranges.map((range, i) => ({ ...range, buffer: buffers[i] })), n);
      return { whole: await readF32(ctx, wholeBuffer, m * n), copied: await join(copies), inPlace: await join(chunks) };
    });
    expect(bitMismatches(copied, whole)).toEqual([]);
    expect(bitMismatches(inPlace, whole)).toEqual([]);
  });

  it('low-rank checks rows against totalRows', async () => {
    const ctx = await gpu();
    await withBuffers(ctx, async (keep) => {
      const step = keep(makeStepParams(ctx, 'split test step'));
      const make = (name: string) => keep(ctx.pool.storage(name, 'perturbation', 4096));
      const buffer = make('data');
      const args = { src: buffer, dst: buffer, u: make('u'), v: make('v'), sigma: make('sigma'), n: 10, scale: 1, applyDecay: false, step };
      // A chunk of 2 rows may use rank 4 when the whole matrix has 9 rows.
      const { buffers } = ctx.pool.capture(() => makePerturbLowRank(ctx, 'rank ok', { ...args, m: 2, r: 4, rowOffset: 6, totalRows: 9 }));
      buffers.forEach(keep);
      expect(() => makePerturbLowRank(ctx, 'past end', { ...args, m: 4, r: 2, rowOffset: 6, totalRows: 9 })).toThrow(/rows 6\.\.9 must lie within totalRows = 9/);
      expect(() => makePerturbLowRank(ctx, 'rank', { ...args, m: 2, r: 4, rowOffset: 0, totalRows: 3 })).toThrow(/rank r = 4 exceeds min\(totalRows, n\) = 3/);
    });
  });
});
