/**
 * A tiny random GPT-2 (real byte-level tokenizer, random weights) for GPU tests that need a whole
 * model but must stay fast on a CPU Vulkan driver.
 */
import { readFileSync } from 'node:fs';
import { gpt2ExpectedShapes } from '../../app/model/gpt2-weights';
import type { Gpt2Config } from '../../app/model/gpt2-config';
import { loadTokenizer } from '../../app/model/tokenizer';
import type { LoadedModel } from '../../app/run/load-model';
import { writeSafetensors } from '../../app/model/safetensors';
import type { ModelFiles } from '../../app/run/types';
import { randomArray } from './gpu';

export const TINY_CONFIG: Gpt2Config = {
  vocabSize: 256,
  nPositions: 16,
  nEmbd: 8,
  nLayer: 1,
  nHead: 2,
  layerNormEpsilon: 1e-5,
  activation: 'gelu_new',
};

export function embeddedTokenizerJson(): string {
  return readFileSync(new URL('../../public/models/gpt2-moby/tokenizer.json', import.meta.url), 'utf8');
}

/** Builds a LoadedModel with random weights (LayerNorm gains near 1) for `config`. */
export function tinyModel(config: Gpt2Config = TINY_CONFIG, seed = 7): LoadedModel {
  const weights = new Map<string, Float32Array>();
  let k = seed;
  for (const [name, shape] of gpt2ExpectedShapes(config)) {
    const numel = shape.reduce((a, b) => a * b, 1);
    const values = randomArray(numel, k++, 0.3);
    if (/ln_\w+\.weight|ln_f\.weight/.test(name)) for (let i = 0; i < numel; i++) values[i] += 1;
    weights.set(name, values);
  }
  return { name: 'tiny-random', config, weights, tokenizer: loadTokenizer(embeddedTokenizerJson(), 'tokenizer.json') };
}

/** Text long enough for a few batches of the tiny model. */
export const TINY_TEXT = 'It is a truth universally acknowledged that a tiny model must still be tested on real text. '.repeat(8);

/** Serialises a tiny model as Hugging Face files (config.json, model.safetensors, tokenizer.json). */
export function tinyModelFiles(config: Gpt2Config = TINY_CONFIG, seed = 7): ModelFiles {
  const loaded = tinyModel(config, seed);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of gpt2ExpectedShapes(config)) tensors.set(`transformer.${name}`, { shape, data: loaded.weights.get(name)! });
  const bytes = writeSafetensors(tensors);
  const json = {
    model_type: 'gpt2',
    vocab_size: config.vocabSize,
    n_positions: config.nPositions,
    n_embd: config.nEmbd,
    n_layer: config.nLayer,
    n_head: config.nHead,
    layer_norm_epsilon: config.layerNormEpsilon,
    activation_function: config.activation,
  };
  return {
    name: 'tiny-random',
    config: JSON.stringify(json),
    safetensors: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    tokenizer: embeddedTokenizerJson(),
  };
}
