import { describe, expect, it } from 'vitest';
import { makeAdd } from '../../kernels/add/add';
import { addRef } from '../../kernels/add/add.ref';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { compare, gpu, randomArray } from '../helpers/gpu';

describe('add kernel', () => {
  it.each([1, 255, 257, 4099])('matches reference for n=%i', async (n) => {
    const ctx = await gpu();
    const a = randomArray(n, 1);
    const b = randomArray(n, 2);
    const bufA = ctx.pool.storageFrom('a', 'activations', a);
    const bufB = ctx.pool.storageFrom('b', 'activations', b);
    const out = ctx.pool.storage('out', 'activations', n * 4);

    runDispatches(ctx, [makeAdd(ctx, 'add test', { a: bufA, b: bufB, out, n })]);

    const result = compare(await readF32(ctx, out), addRef(a, b), 0);
    expect(result.mismatches).toEqual([]);
  });
});
