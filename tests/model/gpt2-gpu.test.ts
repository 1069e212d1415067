/** The GPT-2 forward on the GPU against the CPU reference forward, on small random models. */
import { describe, expect, it } from 'vitest';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { Gpt2Model, plainView } from '../../app/model/gpt2';
import { gpt2ForwardRef } from '../../app/model/gpt2.ref';
import type { Gpt2Config } from '../../app/model/gpt2-config';
import { compare, gpu } from '../helpers/gpu';
import { tinyModel, TINY_CONFIG } from '../helpers/tiny-gpt2';

const CASES: Array<[string, Gpt2Config, number, number]> = [
  ['1 layer, B=2, T=8', TINY_CONFIG, 2, 8],
  ['2 layers, odd width, B=3, T=5', { ...TINY_CONFIG, nLayer: 2, nEmbd: 12, nHead: 3 }, 3, 5],
  ['full context, B=1', { ...TINY_CONFIG, nPositions: 16 }, 1, 16],
];

describe('gpt2 forward on the GPU', () => {
  it.each(CASES)('matches the CPU reference (%s)', async (_name, config, B, T) => {
    const ctx = await gpu();
    const loaded = tinyModel(config, 21);
    const model = new Gpt2Model(ctx, config, loaded.weights);
    const activations = model.createActivations(B, T);
    const plan = model.buildForward(activations, plainView);
    const N = B * T;
    const inputs = new Uint32Array(N).map((_, i) => (i * 37 + 11) % config.vocabSize);
    const targets = new Uint32Array(N).map((_, i) => (i * 53 + 5) % config.vocabSize);
    const mask = new Float32Array(N).map((_, i) => (i % 4 === 3 ? 0 : 1));
    model.writeBatch(activations, { inputs, targets, mask });

    runDispatches(ctx, plan.dispatches);

    const expected = gpt2ForwardRef(config, loaded.weights, inputs, targets, mask, B, T);
    const logits = compare(await readF32(ctx, activations.logits, N * config.vocabSize), expected.logits, 2e-5, 1e-4);
    expect(logits.mismatches).toEqual([]);
    const [loss] = await readF32(ctx, activations.loss, 1);
    expect(Math.abs(loss - expected.meanLoss)).toBeLessThan(1e-5);
    model.releaseActivations(activations);
    model.release();
  });

  it('rejects a sequence longer than the context', async () => {
    const ctx = await gpu();
    const model = new Gpt2Model(ctx, TINY_CONFIG, tinyModel().weights);
    expect(() => model.createActivations(1, TINY_CONFIG.nPositions + 1)).toThrow(/exceeds the model's context of 16 tokens/);
    model.release();
  });
});
