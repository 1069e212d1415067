/** Parses a model's raw files (config.json, model.safetensors, tokenizer.json) into a loaded GPT-2. */
import { parseGpt2Config, type Gpt2Config } from '../model/gpt2-config';
import { validateGpt2Weights } from '../model/gpt2-weights';
import { parseSafetensors } from '../model/safetensors';
import { loadTokenizer } from '../model/tokenizer';
import type { ModelFiles } from './types';

export interface LoadedModel {
  name: string;
  config: Gpt2Config;
  /** f32 tensors keyed by unprefixed Hugging Face names (`wte.weight`, `h.0.attn.c_attn.weight`, …). */
  weights: Map<string, Float32Array>;
  tokenizer: ReturnType<typeof loadTokenizer>;
}

/** Parses and validates every file; errors name the file and the offending tensor or key. */
export function loadModel(files: ModelFiles): LoadedModel {
  const config = parseGpt2Config(files.config, `${files.name}/config.json`);
  const tensors = parseSafetensors(files.safetensors, `${files.name}/model.safetensors`);
  const weights = validateGpt2Weights(tensors, config, `${files.name}/model.safetensors`);
  const tokenizer = loadTokenizer(files.tokenizer, `${files.name}/tokenizer.json`);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new Error(
      `${files.name}/tokenizer.json has ${tokenizer.vocabSize} tokens but config.json sets vocab_size ${config.vocabSize}: ` +
        'the tokenizer does not belong to this model. Pick the tokenizer.json saved with the weights.',
    );
  }
  return { name: files.name, config, weights, tokenizer };
}
