import { describe, expect, it } from 'vitest';
import { makeEmbedding } from '../../kernels/embedding/embedding';
import { embeddingRef } from '../../kernels/embedding/embedding.ref';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { compare, gpu, randomArray } from '../helpers/gpu';

// One f32 addition per element on both sides, each correctly rounded, so the results are exact.
const ATOL = 0;

function randomTokens(count: number, V: number, seed: number): Uint32Array {
  return Uint32Array.from(randomArray(count, seed), (value) => Math.floor(((value + 1) / 2) * V) % V);
}

async function runEmbedding(tokens: Uint32Array, B: number, T: number, C: number, V: number, P: number, seed: number) {
  const ctx = await gpu();
  const wte = randomArray(V * C, seed + 1);
  const wpe = randomArray(P * C, seed + 2);
  const bufTokens = ctx.pool.storageFrom('tokens', 'activations', tokens);
  const bufWte = ctx.pool.storageFrom('wte', 'weights', wte);
  const bufWpe = ctx.pool.storageFrom('wpe', 'weights', wpe);
  const out = ctx.pool.storage('out', 'activations', B * T * C * 4);

  runDispatches(ctx, [makeEmbedding(ctx, 'embedding test', { tokens: bufTokens, wte: bufWte, wpe: bufWpe, out, B, T, C, V })]);
  const actual = await readF32(ctx, out);

  for (const buffer of [bufTokens, bufWte, bufWpe, out]) ctx.pool.release(buffer);
  return { actual, expected: embeddingRef(tokens, wte, wpe, B, T, C, V), wpe };
}

describe('embedding', () => {
  it.each([
    [1, 1, 1, 1],
    [2, 5, 7, 11],
    [3, 17, 33, 50],
    [1, 128, 16, 257],
    [4, 64, 64, 300],
  ])('matches reference for B=%i T=%i C=%i V=%i', async (B, T, C, V) => {
    const tokens = randomTokens(B * T, V, B + T + C + V);

    // wpe has more positions than T, as a model's context usually does.
    const { actual, expected } = await runEmbedding(tokens, B, T, C, V, T + 3, B * T);

    const result = compare(actual, expected, ATOL);
    expect(result.mismatches).toEqual([]);
  });

  it('adds a zero row for token ids >= V', async () => {
    const [B, T, C, V] = [2, 3, 5, 10];
    const tokens = Uint32Array.from([9, 10, 11, 0xffffffff, 1_000_000, 0]);

    const { actual, expected, wpe } = await runEmbedding(tokens, B, T, C, V, T, 7);

    const result = compare(actual, expected, ATOL);
    expect(result.mismatches).toEqual([]);
    // Row 3 is (b=1, t=0) with id 0xffffffff: its output is wpe[0, :].
    expect(Array.from(actual.subarray(3 * C, 4 * C))).toEqual(Array.from(wpe.subarray(0, C)));
  });

  it('rejects a wpe shorter than T', async () => {
    const ctx = await gpu();
    const [B, T, C, V] = [1, 8, 4, 6];
    const tokens = ctx.pool.storage('tokens', 'activations', B * T * 4);
    const wte = ctx.pool.storage('wte', 'weights', V * C * 4);
    const wpe = ctx.pool.storage('wpe', 'weights', (T - 1) * C * 4);
    const out = ctx.pool.storage('out', 'activations', B * T * C * 4);

    expect(() => makeEmbedding(ctx, 'short wpe', { tokens, wte, wpe, out, B, T, C, V })).toThrow(/wpe is too small/);
  });
});
