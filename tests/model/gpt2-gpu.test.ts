/** The GPT-2 forward on the GPU against the CPU reference forward, on small random models. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../app/run/load-model';
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

describe('embedded gpt2-moby on the GPU', () => {
  it('matches the PyTorch fixture', async () => {
    const ctx = await gpu();
    const root = new URL('../../', import.meta.url);
    const fixture = JSON.parse(readFileSync(new URL('tests/fixtures/gpt2-moby-reference.json', root), 'utf8')) as {
      sequenceLength: number;
      meanLoss: number;
      sequences: Array<{ inputIds: number[]; targetIds: number[]; losses: number[] }>;
    };
    const loaded = loadModel({
      name: 'gpt2-moby',
      config: readFileSync(new URL('public/models/gpt2-moby/config.json', root), 'utf8'),
      safetensors: new Uint8Array(readFileSync(new URL('public/models/gpt2-moby/model.safetensors', root))).buffer,
      tokenizer: readFileSync(new URL('public/models/gpt2-moby/tokenizer.json', root), 'utf8'),
    });
    const B = fixture.sequences.length;
    const T = fixture.sequenceLength;
    const model = new Gpt2Model(ctx, loaded.config, loaded.weights);
    const activations = model.createActivations(B, T);
    const plan = model.buildForward(activations, plainView);
    model.writeBatch(activations, {
      inputs: Uint32Array.from(fixture.sequences.flatMap((sequence) => sequence.inputIds)),
      targets: Uint32Array.from(fixture.sequences.flatMap((sequence) => sequence.targetIds)),
      mask: new Float32Array(B * T).fill(1),
    });

    runDispatches(ctx, plan.dispatches);

    const losses = compare(await readF32(ctx, activations.losses, B * T), fixture.sequences.flatMap((sequence) => sequence.losses), 1e-4);
    expect(losses.mismatches).toEqual([]);
    const [loss] = await readF32(ctx, activations.loss, 1);
    expect(Math.abs(loss - fixture.meanLoss)).toBeLessThan(1e-5);
    model.releasePlan(plan);
    model.releaseActivations(activations);
    model.release();
  });
});
