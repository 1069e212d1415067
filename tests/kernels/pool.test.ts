import { describe, expect, it } from 'vitest';
import { makeMaxPool, makeMaxPoolBackward, maxPoolSizes, type MaxPoolShape } from '../../kernels/pool/max-pool';
import { maxPoolBackwardRef, maxPoolRef } from '../../kernels/pool/max-pool.ref';
import { readF32, readU32, runDispatches } from '../../kernels/gpu/dispatch';
import { compare, gpu, randomArray } from '../helpers/gpu';

// Max pooling only compares and copies, so maxima, argmax indices and gradients must match the
// reference exactly, ties included.
const SHAPES: [string, MaxPoolShape][] = [
  ['2x2 on 3x7x7x3 (floor drops a row and a column)', { B: 3, H: 7, W: 7, C: 3, kernel: 2 }],
  ['2x2 on 2x8x6x5', { B: 2, H: 8, W: 6, C: 5, kernel: 2 }],
  ['3x3 on 2x7x8x4', { B: 2, H: 7, W: 8, C: 4, kernel: 3 }],
  ['1x1 on 1x3x5x2', { B: 1, H: 3, W: 5, C: 2, kernel: 1 }],
  ['7x7 on 2x7x7x3 (one window)', { B: 2, H: 7, W: 7, C: 3, kernel: 7 }],
  ['2x2 on 4x28x28x16 (a CNN layer)', { B: 4, H: 28, W: 28, C: 16, kernel: 2 }],
];

async function runMaxPool(x: Float32Array, dy: Float32Array, shape: MaxPoolShape) {
  const ctx = await gpu();
  const { inputs, outputs } = maxPoolSizes('test', shape);
  const bufX = ctx.pool.storageFrom('x', 'activations', x);
  const out = ctx.pool.storage('out', 'activations', outputs * 4);
  const argmax = ctx.pool.storage('argmax', 'activations', outputs * 4);
  const bufDy = ctx.pool.storageFrom('dy', 'gradients', dy);
  // dx starts as NaN so that an element the backward fails to write shows up.
  const dx = ctx.pool.storageFrom('dx', 'gradients', new Float32Array(inputs).fill(NaN));

  runDispatches(ctx, [
    makeMaxPool(ctx, 'max pool test', { x: bufX, out, argmax, shape }),
    makeMaxPoolBackward(ctx, 'max pool backward test', { dy: bufDy, argmax, dx, shape }),
  ]);
  const result = { out: await readF32(ctx, out), argmax: await readU32(ctx, argmax), dx: await readF32(ctx, dx) };

  for (const buffer of [bufX, out, argmax, bufDy, dx]) ctx.pool.release(buffer);
  return result;
}

describe('max pool', () => {
  it.each(SHAPES)('matches reference, %s', async (_name, shape) => {
    const { inputs, outputs } = maxPoolSizes('test', shape);
    const x = randomArray(inputs, inputs);
    const dy = randomArray(outputs, outputs + 1);
    const expected = maxPoolRef(x, shape);

    const actual = await runMaxPool(x, dy, shape);

    expect(compare(actual.out, expected.out, 0).mismatches).toEqual([]);
    expect(Array.from(actual.argmax)).toEqual(Array.from(expected.argmax));
    expect(compare(actual.dx, maxPoolBackwardRef(dy, expected.argmax, shape), 0).mismatches).toEqual([]);
  });

  it.each(SHAPES)('breaks ties like the reference, %s', async (_name, shape) => {
    // Values rounded to {-1, -0.5, 0, 0.5, 1}: most windows hold several copies of their maximum.
    const { inputs, outputs } = maxPoolSizes('test', shape);
    const x = randomArray(inputs, inputs + 2).map((value) => Math.round(value * 2) / 2);
    const dy = randomArray(outputs, outputs + 3);
    const expected = maxPoolRef(x, shape);

    const actual = await runMaxPool(x, dy, shape);

    expect(Array.from(actual.argmax)).toEqual(Array.from(expected.argmax));
    expect(compare(actual.dx, maxPoolBackwardRef(dy, expected.argmax, shape), 0).mismatches).toEqual([]);
  });

  it('rejects stride different from kernel', async () => {
    const ctx = await gpu();
    const x = ctx.pool.storage('x', 'activations', 64 * 4);
    const out = ctx.pool.storage('out', 'activations', 64 * 4);
    const argmax = ctx.pool.storage('argmax', 'activations', 64 * 4);
    const shape: MaxPoolShape = { B: 1, H: 8, W: 8, C: 1, kernel: 2, stride: 1 };

    expect(() => makeMaxPool(ctx, 'overlapping', { x, out, argmax, shape })).toThrow(/overlapping: max pool supports only stride = kernel/);
  });
});
