import { describe, expect, it } from 'vitest';
import { makeAttention } from '../../kernels/attention/attention';
import { attentionRef } from '../../kernels/attention/attention.ref';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { compare, gpu, randomArray } from '../helpers/gpu';

// Each output is a convex combination of values in [-1, 1), so it lies in [-1, 1). Rounding of
// the scores (HS products) and of exp moves the weights by a few ulp each: the largest error seen
// on lavapipe is 2.8e-7. 2e-6 leaves room for other drivers, while a wrongly masked or misplaced
// key moves outputs by more than 1e-3.
const ATOL = 2e-6;

async function runAttention(qkv: Float32Array, B: number, T: number, C: number, NH: number) {
  const ctx = await gpu();
  const bufQkv = ctx.pool.storageFrom('qkv', 'activations', qkv);
  // Filled with NaN, so an output element the kernel does not write, or reads before writing, shows.
  const out = ctx.pool.storageFrom('out', 'activations', new Float32Array(B * T * C).fill(NaN));

  runDispatches(ctx, makeAttention(ctx, 'attention test', { qkv: bufQkv, out, B, T, C, NH }));
  const actual = await readF32(ctx, out);

  ctx.pool.release(bufQkv);
  ctx.pool.release(out);
  return { actual, expected: attentionRef(qkv, B, T, C, NH) };
}

describe('attention', () => {
  // Shapes as [B, T, C, NH]. T crosses the 64-query workgroup (63, 64, 65, 127, 128, 129). HS
  // ranges from 1 to 128 and includes sizes that are not multiples of 4 (1, 3, 5, 15, 125). Key
  // tiles hold 64 keys up to HS = 32, 21 at HS = 96 and 16 at HS = 125 and 128, so most shapes
  // cross several tiles.
  it.each([
    [1, 1, 4, 1],
    [1, 5, 3, 3],
    [2, 7, 12, 3],
    [1, 33, 64, 2],
    [2, 63, 16, 4],
    [1, 64, 32, 1],
    [1, 65, 96, 1],
    [2, 127, 24, 2],
    [1, 128, 256, 2],
    [3, 129, 30, 2],
    [2, 40, 250, 2],
    [1, 100, 15, 3],
  ])('matches reference for B=%i T=%i C=%i NH=%i', async (B, T, C, NH) => {
    const qkv = randomArray(B * T * 3 * C, B + T + C + NH);

    const { actual, expected } = await runAttention(qkv, B, T, C, NH);

    const result = compare(actual, expected, ATOL);
    expect(result.mismatches).toEqual([]);
  });

  it('handles T=1024 with HS=128', async () => {
    // 16 query workgroups, the last of which walks 64 tiles of 16 keys.
    const [B, T, C, NH] = [1, 1024, 128, 1];
    const qkv = randomArray(B * T * 3 * C, 1025);

    const { actual, expected } = await runAttention(qkv, B, T, C, NH);

    const result = compare(actual, expected, ATOL);
    expect(result.mismatches).toEqual([]);
  });

  it('handles T=1024', async () => {
    const [B, T, C, NH] = [1, 1024, 4, 2];
    const qkv = randomArray(B * T * 3 * C, 1024, 2);

    const { actual, expected } = await runAttention(qkv, B, T, C, NH);

    const result = compare(actual, expected, ATOL);
    expect(result.mismatches).toEqual([]);
  });

  it('stays finite for large scores', async () => {
    // q and k up to 30 with HS = 16 give scores up to 30·30·HS / sqrt(HS) = 3600: exp of a raw score
    // overflows f32, and the running max changes from tile to tile. v stays in [-1, 1).
    const [B, T, C, NH] = [1, 100, 32, 2];
    const qkv = randomArray(B * T * 3 * C, 99);
    for (let row = 0; row < B * T; row++) {
      for (let col = 0; col < 2 * C; col++) qkv[row * 3 * C + col] *= 30;
    }

    const { actual, expected } = await runAttention(qkv, B, T, C, NH);

    expect(Array.from(actual).every(Number.isFinite)).toBe(true);
    // Scores of a few hundred carry an f32 rounding error of about 2^-24·Σ|q_d·k_d|·scale ≈ 5e-5,
    // which moves the softmax weights by that relative amount. The largest error seen is 1.8e-5.
    const result = compare(actual, expected, 1e-4);
    expect(result.mismatches).toEqual([]);
  });

  it('ignores keys after the query', async () => {
    // Changing the last position's q, k and v must leave every earlier output unchanged.
    const [B, T, C, NH] = [1, 70, 16, 2];
    const qkv = randomArray(B * T * 3 * C, 70);
    const changed = qkv.slice();
    for (let col = 0; col < 3 * C; col++) changed[(T - 1) * 3 * C + col] = 100;

    const first = await runAttention(qkv, B, T, C, NH);
    const second = await runAttention(changed, B, T, C, NH);

    expect(Array.from(second.actual.subarray(0, (T - 1) * C))).toEqual(Array.from(first.actual.subarray(0, (T - 1) * C)));
  });

  it('rejects C not divisible by NH', async () => {
    const ctx = await gpu();
    const qkv = ctx.pool.storage('qkv', 'activations', 2 * 3 * 10 * 4);
    const out = ctx.pool.storage('out', 'activations', 2 * 10 * 4);

    expect(() => makeAttention(ctx, 'bad heads', { qkv, out, B: 1, T: 2, C: 10, NH: 3 })).toThrow(/multiple of NH = 3/);
  });

  it('rejects HS above the maximum', async () => {
    const ctx = await gpu();
    const qkv = ctx.pool.storage('qkv', 'activations', 2 * 3 * 258 * 4);
    const out = ctx.pool.storage('out', 'activations', 2 * 258 * 4);

    expect(() => makeAttention(ctx, 'wide heads', { qkv, out, B: 1, T: 2, C: 258, NH: 2 })).toThrow(/HS = C \/ NH = 258 \/ 2 = 129 is above the supported maximum 128/);
  });
});
