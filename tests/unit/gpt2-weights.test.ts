import { describe, expect, it } from 'vitest';
import type { Gpt2Config } from '../../app/model/gpt2-config';
import { GPT2_TENSOR_NAMES, gpt2ExpectedShapes, validateGpt2Weights } from '../../app/model/gpt2-weights';

const FILE = 'model.safetensors';
const CONFIG: Gpt2Config = { vocabSize: 11, nPositions: 5, nEmbd: 4, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5, activation: 'gelu_new' };

type Tensors = Map<string, { shape: number[]; data: Float32Array }>;

/** Builds a complete checkpoint for CONFIG, each tensor filled with its position in the list. */
function checkpoint(prefix = ''): Tensors {
  const tensors: Tensors = new Map();
  let index = 0;
  for (const [name, shape] of gpt2ExpectedShapes(CONFIG)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(index++);
    tensors.set(prefix + name, { shape, data });
  }
  return tensors;
}

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the action to throw');
}

describe('GPT2_TENSOR_NAMES', () => {
  it('lists 4 + 12 per layer tensors', () => {
    const names = GPT2_TENSOR_NAMES(CONFIG);
    expect(names).toHaveLength(4 + 12 * CONFIG.nLayer);
    expect(names[0]).toBe('wte.weight');
    expect(names).toContain('h.1.mlp.c_proj.bias');
    expect(names.at(-1)).toBe('ln_f.bias');
  });

  it('uses Conv1D (in, out) shapes', () => {
    const shapes = gpt2ExpectedShapes(CONFIG);
    expect(shapes.get('h.0.attn.c_attn.weight')).toEqual([4, 12]);
    expect(shapes.get('h.0.mlp.c_fc.weight')).toEqual([4, 16]);
    expect(shapes.get('h.0.mlp.c_proj.weight')).toEqual([16, 4]);
    expect(shapes.get('wte.weight')).toEqual([11, 4]);
    expect(shapes.get('wpe.weight')).toEqual([5, 4]);
  });
});

describe('validateGpt2Weights', () => {
  it('accepts unprefixed names', () => {
    const weights = validateGpt2Weights(checkpoint(), CONFIG, FILE);
    expect([...weights.keys()]).toEqual(GPT2_TENSOR_NAMES(CONFIG));
    expect(weights.get('wpe.weight')![0]).toBe(1);
  });

  it('strips the transformer prefix', () => {
    const weights = validateGpt2Weights(checkpoint('transformer.'), CONFIG, FILE);
    expect([...weights.keys()]).toEqual(GPT2_TENSOR_NAMES(CONFIG));
    expect(weights.get('h.0.ln_1.weight')![0]).toBe(2);
  });

  it('ignores attention buffers and a tied lm_head', () => {
    const tensors = checkpoint('transformer.');
    tensors.set('transformer.h.0.attn.bias', { shape: [1, 1, 5, 5], data: new Float32Array(25) });
    tensors.set('transformer.h.1.attn.masked_bias', { shape: [], data: new Float32Array(1) });
    tensors.set('lm_head.weight', { shape: [11, 4], data: tensors.get('transformer.wte.weight')!.data.slice() });
    expect(validateGpt2Weights(tensors, CONFIG, FILE).size).toBe(GPT2_TENSOR_NAMES(CONFIG).length);
  });

  it('rejects a missing tensor', () => {
    const tensors = checkpoint();
    tensors.delete('h.1.attn.c_proj.weight');
    expect(() => validateGpt2Weights(tensors, CONFIG, FILE)).toThrow(/model\.safetensors: the weights do not match config\.json: missing 1 tensor\(s\): "h\.1\.attn\.c_proj\.weight"/);
  });

  it('rejects a wrong shape', () => {
    const tensors = checkpoint();
    tensors.set('h.0.attn.c_attn.weight', { shape: [12, 4], data: new Float32Array(48) });
    expect(() => validateGpt2Weights(tensors, CONFIG, FILE)).toThrow(/"h\.0\.attn\.c_attn\.weight" has shape \[12, 4\], expected \[4, 12\]/);
  });

  it('rejects tensors of extra layers', () => {
    const tensors = checkpoint();
    tensors.set('h.2.ln_1.weight', { shape: [4], data: new Float32Array(4) });
    expect(() => validateGpt2Weights(tensors, CONFIG, FILE)).toThrow(/1 unexpected tensor\(s\) for a 2-layer GPT-2: "h\.2\.ln_1\.weight"/);
  });

  it('lists at most five missing names', () => {
    const message = messageOf(() => validateGpt2Weights(new Map(), CONFIG, FILE));
    expect(message).toMatch(/missing 28 tensor\(s\): "wte\.weight", "wpe\.weight", "h\.0\.ln_1\.weight", "h\.0\.ln_1\.bias", "h\.0\.attn\.c_attn\.weight" and 23 more/);
  });

  it('rejects duplicate prefixed and unprefixed names', () => {
    const tensors = checkpoint();
    tensors.set('transformer.ln_f.bias', tensors.get('ln_f.bias')!);
    expect(() => validateGpt2Weights(tensors, CONFIG, FILE)).toThrow(/tensor "ln_f\.bias" appears twice/);
  });

  it('rejects an untied lm_head', () => {
    const tensors = checkpoint();
    const head = tensors.get('wte.weight')!.data.slice();
    head[5] += 1;
    tensors.set('lm_head.weight', { shape: [11, 4], data: head });
    expect(() => validateGpt2Weights(tensors, CONFIG, FILE)).toThrow(/"lm_head\.weight" differs from wte\.weight \(first at index 5\)/);
  });

  it('rejects an lm_head of another shape', () => {
    const tensors = checkpoint();
    tensors.set('lm_head.weight', { shape: [12, 4], data: new Float32Array(48) });
    expect(() => validateGpt2Weights(tensors, CONFIG, FILE)).toThrow(/"lm_head\.weight" has shape \[12, 4\], expected \[11, 4\]/);
  });
});
