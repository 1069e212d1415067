/**
 * Weight export: the safetensors written after training load back through the same checks as any
 * checkpoint (GPT-2 in the Hugging Face layout) and hold exactly the weights on the GPU.
 */
import { describe, expect, it } from 'vitest';
import { exportGpt2Safetensors, exportVisionSafetensors } from '../../app/model/export';
import { Gpt2Model } from '../../app/model/gpt2';
import { validateGpt2Weights } from '../../app/model/gpt2-weights';
import { parseSafetensors } from '../../app/model/safetensors';
import { VisionNet } from '../../app/model/vision';
import { gpu } from '../helpers/gpu';
import { TINY_CONFIG, tinyModel } from '../helpers/tiny-gpt2';

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

describe('weight export', () => {
  it('writes GPT-2 weights in the GPT2LMHeadModel layout, bit for bit', async () => {
    const ctx = await gpu();
    const loaded = tinyModel();
    const model = new Gpt2Model(ctx, TINY_CONFIG, loaded.weights);
    try {
      const file = await exportGpt2Safetensors(ctx, model);
      const tensors = parseSafetensors(toArrayBuffer(file), 'exported.safetensors');
      expect([...tensors.keys()].every((name) => name.startsWith('transformer.'))).toBe(true);
      expect(tensors.has('lm_head.weight')).toBe(false);
      expect(tensors.get('transformer.h.0.attn.c_attn.weight')?.shape).toEqual([TINY_CONFIG.nEmbd, 3 * TINY_CONFIG.nEmbd]);
      const weights = validateGpt2Weights(tensors, TINY_CONFIG, 'exported.safetensors');
      for (const [name, values] of loaded.weights) expect(weights.get(name), name).toEqual(values);
    } finally {
      model.release();
    }
  });

  it('writes vision weights under their PyTorch names and shapes', async () => {
    const ctx = await gpu();
    const net = new VisionNet(ctx, 'cnn', { height: 8, width: 8, channels: 1 }, 3, 5);
    try {
      const tensors = parseSafetensors(toArrayBuffer(await exportVisionSafetensors(net)), 'cnn.safetensors');
      expect([...tensors.keys()]).toEqual(net.parameters.map((param) => param.name));
      expect(tensors.get('conv1.weight')?.shape).toEqual([16, 1, 3, 3]);
      expect(tensors.get('fc.weight')?.shape).toEqual([3, 16 * 2 * 2]);
      const values = await net.readParameters();
      net.parameters.forEach((param, i) => expect(tensors.get(param.name)?.data, param.name).toEqual(values[i]));
    } finally {
      net.release();
    }
  });
});
