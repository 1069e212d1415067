import { describe, expect, it } from 'vitest';
import { makeGelu } from '../../kernels/gelu/gelu';
import { geluRef } from '../../kernels/gelu/gelu.ref';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { compare, gpu, randomArray } from '../helpers/gpu';

// gelu(x) = x·s with s = 1/(1 + exp(-2u)). The WGSL spec allows f32 exp an error of 3 + 2|arg| ulp, so s carries
// a relative error of a few 1e-6 at most for |x| <= 6, and gelu the same relative error. The test
// allows 1e-6 absolute plus 1e-5 relative; a wrong constant moves outputs by more than 1e-4.
const ATOL = 1e-6;
const RTOL = 1e-5;

async function runGelu(x: Float32Array, inPlace: boolean) {
  const ctx = await gpu();
  const n = x.length;
  const bufX = ctx.pool.storageFrom('x', 'activations', x);
  const out = inPlace ? bufX : ctx.pool.storage('out', 'activations', n * 4);

  runDispatches(ctx, [makeGelu(ctx, 'gelu test', { x: bufX, out, n })]);
  const actual = await readF32(ctx, out);

  ctx.pool.release(bufX);
  if (!inPlace) ctx.pool.release(out);
  return actual;
}

describe.each([
  ['out of place', false],
  ['in place', true],
] as const)('gelu %s', (_name, inPlace) => {
  it.each([1, 7, 256, 257, 4099])('matches reference for n=%i', async (n) => {
    const x = randomArray(n, n, 6);

    const result = compare(await runGelu(x, inPlace), geluRef(x), ATOL, RTOL);
    expect(result.mismatches).toEqual([]);
  });

  it('stays finite for large |x|', async () => {
    const x = new Float32Array([-1e30, -1e6, -100, -20, -10.5, -10, -9.99, -5, 5, 9.99, 10, 10.5, 20, 100, 1e6, 1e30, -3.4e38, 3.4e38]);

    const actual = await runGelu(x, inPlace);

    expect(Array.from(actual).filter((value) => !Number.isFinite(value))).toEqual([]);
    const result = compare(actual, geluRef(x), ATOL, RTOL);
    expect(result.mismatches).toEqual([]);
  });
});
