import { describe, expect, it } from 'vitest';
import { makeRelu, makeReluBackward } from '../../kernels/relu/relu';
import { reluBackwardRef, reluRef } from '../../kernels/relu/relu.ref';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { compare, gpu, randomArray } from '../helpers/gpu';

// ReLU selects or zeroes each element without arithmetic, so the GPU must match the reference exactly.
const SIZES = [1, 7, 256, 257, 4099];

/** Random values in [-1, 1) with every fifth element an exact 0, where forward and backward switch. */
function inputs(n: number, seed: number): Float32Array {
  const x = randomArray(n, seed);
  for (let i = 0; i < n; i += 5) x[i] = 0;
  return x;
}

async function runForward(x: Float32Array, inPlace: boolean) {
  const ctx = await gpu();
  const n = x.length;
  const bufX = ctx.pool.storageFrom('x', 'activations', x);
  const out = inPlace ? bufX : ctx.pool.storage('out', 'activations', n * 4);

  runDispatches(ctx, [makeRelu(ctx, 'relu test', { x: bufX, out, n })]);
  const actual = await readF32(ctx, out);

  ctx.pool.release(bufX);
  if (!inPlace) ctx.pool.release(out);
  return actual;
}

async function runBackward(x: Float32Array, dy: Float32Array, inPlace: boolean) {
  const ctx = await gpu();
  const n = x.length;
  const bufX = ctx.pool.storageFrom('x', 'activations', x);
  const bufDy = ctx.pool.storageFrom('dy', 'gradients', dy);
  const dx = inPlace ? bufDy : ctx.pool.storage('dx', 'gradients', n * 4);

  runDispatches(ctx, [makeReluBackward(ctx, 'relu backward test', { x: bufX, dy: bufDy, dx, n })]);
  const actual = await readF32(ctx, dx);

  for (const buffer of new Set([bufX, bufDy, dx])) ctx.pool.release(buffer);
  return actual;
}

describe.each([
  ['out of place', false],
  ['in place', true],
] as const)('relu %s', (_name, inPlace) => {
  it.each(SIZES)('forward matches reference for n=%i', async (n) => {
    const x = inputs(n, n);

    const result = compare(await runForward(x, inPlace), reluRef(x, n), 0);
    expect(result.mismatches).toEqual([]);
  });

  it.each(SIZES)('backward matches reference for n=%i', async (n) => {
    const x = inputs(n, n + 1);
    const dy = randomArray(n, n + 2);

    const result = compare(await runBackward(x, dy, inPlace), reluBackwardRef(x, dy, n), 0);
    expect(result.mismatches).toEqual([]);
  });
});

describe('relu backward', () => {
  it('accepts the forward output as x', async () => {
    const n = 1000;
    const x = inputs(n, 5);
    const dy = randomArray(n, 6);
    const y = await runForward(x, false);

    const result = compare(await runBackward(y, dy, false), reluBackwardRef(x, dy, n), 0);
    expect(result.mismatches).toEqual([]);
  });

  it('rejects dx aliasing x', async () => {
    const ctx = await gpu();
    const x = ctx.pool.storage('x', 'activations', 64);
    const dy = ctx.pool.storage('dy', 'gradients', 64);

    expect(() => makeReluBackward(ctx, 'aliased', { x, dy, dx: x, n: 16 })).toThrow(/separate buffers from x/);
  });
});
