import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGpt2Config } from '../../app/model/gpt2-config';

const FILE = 'config.json';

/** The config.json of Hugging Face "gpt2" (124M), trimmed to the keys that matter here. */
const HF_GPT2 = {
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  bos_token_id: 50256,
  eos_token_id: 50256,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  vocab_size: 50257,
};

function withChanges(changes: Record<string, unknown>, remove: string[] = []): string {
  const config: Record<string, unknown> = { ...HF_GPT2, ...changes };
  for (const key of remove) delete config[key];
  return JSON.stringify(config);
}

describe('parseGpt2Config', () => {
  it('reads the Hugging Face gpt2 config', () => {
    expect(parseGpt2Config(JSON.stringify(HF_GPT2), FILE)).toEqual({
      vocabSize: 50257,
      nPositions: 1024,
      nEmbd: 768,
      nLayer: 12,
      nHead: 12,
      layerNormEpsilon: 1e-5,
      activation: 'gelu_new',
    });
  });

  it('reads the embedded model config', () => {
    const json = readFileSync(new URL('../../public/models/gpt2-moby/config.json', import.meta.url), 'utf8');
    const config = parseGpt2Config(json, FILE);
    expect(config).toMatchObject({ vocabSize: 256, nPositions: 128, nEmbd: 128, nLayer: 4, nHead: 4, activation: 'gelu_new' });
  });

  it('applies transformers defaults', () => {
    const config = parseGpt2Config(withChanges({}, ['activation_function', 'layer_norm_epsilon']), FILE);
    expect(config.activation).toBe('gelu_new');
    expect(config.layerNormEpsilon).toBe(1e-5);
  });

  it('accepts gelu_pytorch_tanh', () => {
    expect(parseGpt2Config(withChanges({ activation_function: 'gelu_pytorch_tanh' }), FILE).activation).toBe('gelu_pytorch_tanh');
  });

  it('rejects a missing key', () => {
    expect(() => parseGpt2Config(withChanges({}, ['n_head']), FILE)).toThrow(/config\.json: invalid GPT-2 config: key "n_head" is missing/);
  });

  it('rejects a wrong type', () => {
    expect(() => parseGpt2Config(withChanges({ n_embd: '768' }), FILE)).toThrow(/key "n_embd" must be integer, got "768"/);
  });

  it('lists several problems at once', () => {
    const message = captureMessage(() => parseGpt2Config(withChanges({ n_layer: 0, layer_norm_epsilon: -1 }, ['vocab_size']), FILE));
    expect(message).toMatch(/key "vocab_size" is missing/);
    expect(message).toMatch(/key "n_layer" must be >= 1, got 0/);
    expect(message).toMatch(/key "layer_norm_epsilon" must be > 0, got -1/);
  });

  it('rejects a wrong model_type', () => {
    expect(() => parseGpt2Config(withChanges({ model_type: 'llama' }), FILE)).toThrow(/config\.json: model_type is "llama", but this loader reads only "gpt2" models/);
  });

  it('rejects an unsupported activation', () => {
    expect(() => parseGpt2Config(withChanges({ activation_function: 'relu' }), FILE)).toThrow(/activation_function "relu" is not supported/);
  });

  it('rejects n_embd not divisible by n_head', () => {
    expect(() => parseGpt2Config(withChanges({ n_head: 5 }), FILE)).toThrow(/n_embd \(768\) must be divisible by n_head \(5\)/);
  });

  it('rejects an untied LM head', () => {
    expect(() => parseGpt2Config(withChanges({ tie_word_embeddings: false }), FILE)).toThrow(/tie_word_embeddings false is not supported/);
  });

  it('rejects a custom n_inner', () => {
    expect(() => parseGpt2Config(withChanges({ n_inner: 1000 }), FILE)).toThrow(/n_inner 1000 is not supported/);
  });

  it('rejects invalid JSON and non-objects', () => {
    expect(() => parseGpt2Config('{"model_type": ', FILE)).toThrow(/config\.json: not valid JSON/);
    expect(() => parseGpt2Config('[1]', FILE)).toThrow(/the file must contain a JSON object with GPT-2 config keys .*, got \[1\]/);
  });
});

function captureMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the action to throw');
}
