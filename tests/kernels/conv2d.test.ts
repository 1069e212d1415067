import { describe, expect, it } from 'vitest';
import { conv2dSizes, makeCol2im, makeConv2dBackward, makeConv2dForward, makeIm2col, type Conv2dShape } from '../../kernels/conv2d/conv2d';
import { col2imRef, conv2dBackwardRef, conv2dForwardRef, im2colRef } from '../../kernels/conv2d/conv2d.ref';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { compare, gpu, randomArray } from '../helpers/gpu';

// Odd shapes: stride 1 and 2, padding 0 to 2, a non-square kernel and input, a 1×1 kernel, and the
// first layer of a Fashion-MNIST CNN (28×28×1, 3×3, padding 1).
const SHAPES: [string, Conv2dShape][] = [
  ['3x7x7x3 to 5, 3x3, stride 1, padding 1', { B: 3, H: 7, W: 7, C: 3, outChannels: 5, KH: 3, KW: 3, stride: 1, padding: 1 }],
  ['3x7x7x3 to 5, 3x3, stride 2, padding 1', { B: 3, H: 7, W: 7, C: 3, outChannels: 5, KH: 3, KW: 3, stride: 2, padding: 1 }],
  ['2x7x6x2 to 4, 3x2, stride 2, no padding', { B: 2, H: 7, W: 6, C: 2, outChannels: 4, KH: 3, KW: 2, stride: 2, padding: 0 }],
  ['1x5x5x1 to 3, 5x5, stride 1, padding 2', { B: 1, H: 5, W: 5, C: 1, outChannels: 3, KH: 5, KW: 5, stride: 1, padding: 2 }],
  ['2x4x4x6 to 3, 1x1, stride 1, no padding', { B: 2, H: 4, W: 4, C: 6, outChannels: 3, KH: 1, KW: 1, stride: 1, padding: 0 }],
  ['2x28x28x1 to 8, 3x3, stride 1, padding 1', { B: 2, H: 28, W: 28, C: 1, outChannels: 8, KH: 3, KW: 3, stride: 1, padding: 1 }],
];

function inputElements(shape: Conv2dShape): number {
  return shape.B * shape.H * shape.W * shape.C;
}

describe('im2col and col2im', () => {
  it.each(SHAPES)('im2col matches reference, %s', async (_name, shape) => {
    const ctx = await gpu();
    const { rows, patch } = conv2dSizes('test', shape);
    const x = randomArray(inputElements(shape), rows + patch);
    const bufX = ctx.pool.storageFrom('x', 'activations', x);
    // NaN fill: an element that im2col leaves unwritten fails the comparison.
    const cols = ctx.pool.storageFrom('cols', 'activations', new Float32Array(rows * patch).fill(NaN));

    runDispatches(ctx, [makeIm2col(ctx, 'im2col test', { x: bufX, cols, shape })]);
    const actual = await readF32(ctx, cols);
    for (const buffer of [bufX, cols]) ctx.pool.release(buffer);

    expect(compare(actual, im2colRef(x, shape), 0).mismatches).toEqual([]);
  });

  it.each(SHAPES)('col2im matches reference, %s', async (_name, shape) => {
    const ctx = await gpu();
    const { rows, patch } = conv2dSizes('test', shape);
    const dcols = randomArray(rows * patch, rows * 3 + patch);
    const bufDcols = ctx.pool.storageFrom('dcols', 'gradients', dcols);
    const dx = ctx.pool.storageFrom('dx', 'gradients', new Float32Array(inputElements(shape)).fill(NaN));

    runDispatches(ctx, [makeCol2im(ctx, 'col2im test', { dcols: bufDcols, dx, shape })]);
    const actual = await readF32(ctx, dx);
    for (const buffer of [bufDcols, dx]) ctx.pool.release(buffer);

    expect(compare(actual, col2imRef(dcols, shape), col2imTolerance(shape)).mismatches).toEqual([]);
  });
});

interface ConvRun {
  out: Float32Array;
  dx: Float32Array;
  dWeight: Float32Array;
  dBias: Float32Array;
}

/** Runs makeConv2dForward and makeConv2dBackward; `sharedColumns` passes cols as dcols too. */
async function runConv(
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array,
  dy: Float32Array,
  shape: Conv2dShape,
  sharedColumns: boolean,
): Promise<ConvRun> {
  const ctx = await gpu();
  const { rows, patch } = conv2dSizes('test', shape);
  const bufX = ctx.pool.storageFrom('x', 'activations', x);
  const bufWeight = ctx.pool.storageFrom('weight', 'weights', weight);
  const bufBias = ctx.pool.storageFrom('bias', 'weights', bias);
  const bufDy = ctx.pool.storageFrom('dy', 'gradients', dy);
  const cols = ctx.pool.storage('cols', 'activations', rows * patch * 4);
  const dcols = sharedColumns ? cols : ctx.pool.storage('dcols', 'gradients', rows * patch * 4);
  const out = ctx.pool.storage('out', 'activations', rows * shape.outChannels * 4);
  const dx = ctx.pool.storage('dx', 'gradients', x.length * 4);
  const dWeight = ctx.pool.storage('dWeight', 'gradients', weight.length * 4);
  const dBias = ctx.pool.storage('dBias', 'gradients', bias.length * 4);

  const { result: dispatches, buffers } = ctx.pool.capture(() => [
    ...makeConv2dForward(ctx, 'conv test', { x: bufX, weight: bufWeight, bias: bufBias, cols, out, shape }),
    ...makeConv2dBackward(ctx, 'conv test backward', { dy: bufDy, weight: bufWeight, cols, dcols, dx, dWeight, dBias, shape }),
  ]);
  runDispatches(ctx, dispatches);
  const result = {
    out: await readF32(ctx, out),
    dx: await readF32(ctx, dx),
    dWeight: await readF32(ctx, dWeight),
    dBias: await readF32(ctx, dBias),
  };

  for (const buffer of new Set([bufX, bufWeight, bufBias, bufDy, cols, dcols, out, dx, dWeight, dBias, ...buffers])) ctx.pool.release(buffer);
  return result;
}

// Tolerances for inputs in [-1, 1). im2col copies, so it is exact. The rest use the matmul test's
// 2e-7 per summed term and the bias-grad test's 2⁻²⁴ · Σ|dy| of a column (at most 2⁻²⁴ · B·OH·OW):
//   col2im   2e-7 · KH·KW             (at most KH·KW terms)
//   forward  2e-7 · (C·KH·KW + 1)     (the products and the bias)
//   dx       2e-7 · outChannels·KH·KW (col2im of column gradients of outChannels products each)
//   dWeight  2e-7 · B·OH·OW           (the TN matmul over every output position)
//   dBias    2⁻²⁴ · B·OH·OW
// The largest errors seen are below a third of each tolerance.
function col2imTolerance(shape: Conv2dShape): number {
  return 2e-7 * shape.KH * shape.KW;
}

describe.each([
  ['separate dcols', false],
  ['dcols sharing cols', true],
] as const)('conv2d via im2col, %s', (_name, sharedColumns) => {
  it.each(SHAPES)('matches direct reference, %s', async (_shapeName, shape) => {
    const { rows, patch } = conv2dSizes('test', shape);
    const O = shape.outChannels;
    const seed = rows * 7 + patch;
    const x = randomArray(inputElements(shape), seed);
    const weight = randomArray(O * patch, seed + 1);
    const bias = randomArray(O, seed + 2);
    const dy = randomArray(rows * O, seed + 3);

    const actual = await runConv(x, weight, bias, dy, shape, sharedColumns);
    const expected = conv2dBackwardRef(x, weight, dy, shape);

    expect(compare(actual.out, conv2dForwardRef(x, weight, bias, shape), 2e-7 * (patch + 1)).mismatches).toEqual([]);
    expect(compare(actual.dx, expected.dx, 2e-7 * O * shape.KH * shape.KW).mismatches).toEqual([]);
    expect(compare(actual.dWeight, expected.dWeight, 2e-7 * rows).mismatches).toEqual([]);
    expect(compare(actual.dBias, expected.dBias, 2 ** -24 * rows).mismatches).toEqual([]);
  });
});

describe('conv2d backward', () => {
  it('is bit-identical across runs', async () => {
    const shape = SHAPES[1][1];
    const { rows, patch } = conv2dSizes('test', shape);
    const x = randomArray(inputElements(shape), 1);
    const weight = randomArray(shape.outChannels * patch, 2);
    const bias = randomArray(shape.outChannels, 3);
    const dy = randomArray(rows * shape.outChannels, 4);

    const first = await runConv(x, weight, bias, dy, shape, false);
    const second = await runConv(x, weight, bias, dy, shape, false);

    expect(Array.from(second.dx)).toEqual(Array.from(first.dx));
    expect(Array.from(second.dWeight)).toEqual(Array.from(first.dWeight));
    expect(Array.from(second.dBias)).toEqual(Array.from(first.dBias));
  });

  it('skips col2im without dx', async () => {
    const ctx = await gpu();
    const shape = SHAPES[0][1];
    const { rows, patch } = conv2dSizes('test', shape);
    const buffer = (name: string, elements: number) => ctx.pool.storage(name, 'gradients', elements * 4);
    const cols = buffer('cols', rows * patch);

    const dispatches = makeConv2dBackward(ctx, 'first layer', {
      dy: buffer('dy', rows * shape.outChannels),
      weight: buffer('weight', shape.outChannels * patch),
      cols,
      dcols: cols,
      dWeight: buffer('dWeight', shape.outChannels * patch),
      dBias: buffer('dBias', shape.outChannels),
      shape,
    });

    expect(dispatches.map((dispatch) => dispatch.label)).toEqual([
      'first layer weight gradient',
      'first layer bias gradient partial sums',
      'first layer bias gradient final sums',
    ]);
  });

  it('rejects a kernel larger than the padded input', async () => {
    const ctx = await gpu();
    const x = ctx.pool.storage('x', 'activations', 64);
    const cols = ctx.pool.storage('cols', 'activations', 64);
    const shape: Conv2dShape = { B: 1, H: 2, W: 2, C: 1, outChannels: 1, KH: 3, KW: 3, stride: 1, padding: 0 };

    expect(() => makeIm2col(ctx, 'tiny', { x, cols, shape })).toThrow(/tiny: conv2d kernel 3x3 is larger than the padded input 2x2/);
  });
});
