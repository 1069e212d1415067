/**
 * Reads a Hugging Face GPT-2 `config.json` into the few numbers the engine needs, rejecting
 * configurations that the engine does not implement instead of running a different model.
 */
import Ajv, { type ErrorObject } from 'ajv';
import { describeJsonSyntaxError, fileAdvice, PICKED_FILE, type ModelFileSource } from './file-source';

export type Gpt2Activation = 'gelu_new' | 'gelu_pytorch_tanh';

export interface Gpt2Config {
  /** V, tokens in the vocabulary. */
  vocabSize: number;
  /** Maximum context length (rows of wpe). */
  nPositions: number;
  /** C, channels of the residual stream. */
  nEmbd: number;
  nLayer: number;
  /** NH, attention heads. The head size HS is nEmbd / nHead. */
  nHead: number;
  layerNormEpsilon: number;
  /** Both names denote the tanh approximation of GELU. */
  activation: Gpt2Activation;
}

/** Defaults of transformers' GPT2Config, used when config.json leaves the key out. */
const DEFAULT_LAYER_NORM_EPSILON = 1e-5;
const DEFAULT_ACTIVATION: Gpt2Activation = 'gelu_new';
const SUPPORTED_ACTIVATIONS: Gpt2Activation[] = ['gelu_new', 'gelu_pytorch_tanh'];

const positiveInteger = { type: 'integer', minimum: 1 } as const;

/** Keys the engine reads; other keys are allowed and ignored unless checked below. */
const CONFIG_SCHEMA = {
  type: 'object',
  required: ['model_type', 'vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head'],
  properties: {
    model_type: { type: 'string' },
    vocab_size: positiveInteger,
    n_positions: positiveInteger,
    n_embd: positiveInteger,
    n_layer: positiveInteger,
    n_head: positiveInteger,
    n_inner: { type: ['integer', 'null'] },
    layer_norm_epsilon: { type: 'number', exclusiveMinimum: 0 },
    activation_function: { type: 'string' },
    tie_word_embeddings: { type: 'boolean' },
    scale_attn_by_inverse_layer_idx: { type: 'boolean' },
    reorder_and_upcast_attn: { type: 'boolean' },
  },
} as const;

const validateSchema = new Ajv({ allErrors: true }).compile(CONFIG_SCHEMA);

interface RawGpt2Config {
  model_type: string;
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_inner?: number | null;
  layer_norm_epsilon?: number;
  activation_function?: string;
  tie_word_embeddings?: boolean;
  scale_attn_by_inverse_layer_idx?: boolean;
  reorder_and_upcast_attn?: boolean;
}

/**
 * Parses and validates a GPT-2 config.json. Every problem found is listed in one Error, which ends
 * with what to do for a file from `source`.
 */
export function parseGpt2Config(json: string, fileName: string, source: ModelFileSource = PICKED_FILE): Gpt2Config {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new Error(`${fileName}: ${describeJsonSyntaxError(error, json, source)}. ${fileAdvice(source, 'config.json', "Pick the model's config.json file.")}`);
  }

  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const keys = CONFIG_SCHEMA.required.join(', ');
    const advice = fileAdvice(source, 'config.json', 'Pick the config.json of a GPT-2 model.');
    throw new Error(`${fileName}: the file must contain a JSON object with GPT-2 config keys (${keys}), got ${JSON.stringify(raw)?.slice(0, 40)}. ${advice}`);
  }

  if (!validateSchema(raw)) {
    const problems = (validateSchema.errors ?? []).map((error) => describeSchemaError(error, raw));
    const advice = fileAdvice(source, 'config.json', 'Fix these keys or pick the config.json of a GPT-2 model.');
    throw new Error(`${fileName}: invalid GPT-2 config: ${problems.join('; ')}. ${advice}`);
  }
  const config = raw as RawGpt2Config;

  const problems = checkSupported(config);
  if (problems.length > 0) {
    throw new Error(`${fileName}: ${problems.join('; ')}.`);
  }

  return {
    vocabSize: config.vocab_size,
    nPositions: config.n_positions,
    nEmbd: config.n_embd,
    nLayer: config.n_layer,
    nHead: config.n_head,
    layerNormEpsilon: config.layer_norm_epsilon ?? DEFAULT_LAYER_NORM_EPSILON,
    activation: (config.activation_function ?? DEFAULT_ACTIVATION) as Gpt2Activation,
  };
}

function checkSupported(config: RawGpt2Config): string[] {
  const problems: string[] = [];
  if (config.model_type !== 'gpt2') {
    problems.push(`model_type is ${JSON.stringify(config.model_type)}, but this loader reads only "gpt2" models; pick a GPT-2 checkpoint`);
  }
  const activation = config.activation_function ?? DEFAULT_ACTIVATION;
  if (!SUPPORTED_ACTIVATIONS.includes(activation as Gpt2Activation)) {
    problems.push(`activation_function ${JSON.stringify(activation)} is not supported; supported values are ${SUPPORTED_ACTIVATIONS.join(' and ')} (GELU, tanh approximation)`);
  }
  if (config.n_embd % config.n_head !== 0) {
    problems.push(`n_embd (${config.n_embd}) must be divisible by n_head (${config.n_head})`);
  }
  if (config.n_inner != null && config.n_inner !== 4 * config.n_embd) {
    problems.push(`n_inner ${config.n_inner} is not supported; the MLP width must be 4 * n_embd = ${4 * config.n_embd} (or n_inner null)`);
  }
  if (config.tie_word_embeddings === false) {
    problems.push('tie_word_embeddings false is not supported; the LM head must share its weight with wte');
  }
  if (config.scale_attn_by_inverse_layer_idx === true) {
    problems.push('scale_attn_by_inverse_layer_idx true is not supported');
  }
  if (config.reorder_and_upcast_attn === true) {
    problems.push('reorder_and_upcast_attn true is not supported');
  }
  return problems;
}

function describeSchemaError(error: ErrorObject, raw: unknown): string {
  if (error.keyword === 'required') {
    return `key "${(error.params as { missingProperty: string }).missingProperty}" is missing`;
  }
  const key = error.instancePath.slice(1);
  const value = (raw as Record<string, unknown>)[key];
  return `key "${key}" ${error.message ?? 'is invalid'}, got ${JSON.stringify(value)}`;
}
