/**
 * The embedded default model: a byte-level GPT-2 (4 layers, 128 channels, context 128) that
 * scripts/pretrain_gpt2.py trains on Moby Dick. Paths are relative to the site root, which is
 * public/ in the repository. The caller reads them with fetch in the browser or from disk in Node.
 */
export const EMBEDDED_MODEL_ID = 'gpt2-moby';
export const EMBEDDED_MODEL_DIR = 'models/gpt2-moby/';
export const EMBEDDED_MODEL_FILES = {
  config: 'config.json',
  weights: 'model.safetensors',
  tokenizer: 'tokenizer.json',
} as const;

/** Relative paths of the three model files. */
export const EMBEDDED_MODEL_PATHS = {
  config: EMBEDDED_MODEL_DIR + EMBEDDED_MODEL_FILES.config,
  weights: EMBEDDED_MODEL_DIR + EMBEDDED_MODEL_FILES.weights,
  tokenizer: EMBEDDED_MODEL_DIR + EMBEDDED_MODEL_FILES.tokenizer,
} as const;
