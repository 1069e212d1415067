/**
 * Checks a safetensors checkpoint against a GPT-2 config and returns its tensors keyed by
 * unprefixed Hugging Face names (`wte.weight`, `h.0.attn.c_attn.weight`, …).
 * c_attn, c_fc and c_proj are Conv1D weights stored (in, out), the transpose of nn.Linear.
 */
import type { Gpt2Config } from './gpt2-config';

/** Prefix of every transformer tensor in GPT2LMHeadModel checkpoints. GPT2Model checkpoints omit it. */
const TRANSFORMER_PREFIX = 'transformer.';
const LM_HEAD = 'lm_head.weight';
/** Attention-mask buffers that older transformers versions saved next to the weights. */
const IGNORED_BUFFER = /^h\.\d+\.attn\.(bias|masked_bias)$/;
const MAX_LISTED = 5;

/** Returns each expected tensor's unprefixed name and shape, in checkpoint order. */
export function gpt2ExpectedShapes(config: Gpt2Config): Map<string, number[]> {
  const C = config.nEmbd;
  const shapes = new Map<string, number[]>([
    ['wte.weight', [config.vocabSize, C]],
    ['wpe.weight', [config.nPositions, C]],
  ]);
  for (let layer = 0; layer < config.nLayer; layer++) {
    const prefix = `h.${layer}.`;
    shapes.set(`${prefix}ln_1.weight`, [C]);
    shapes.set(`${prefix}ln_1.bias`, [C]);
    shapes.set(`${prefix}attn.c_attn.weight`, [C, 3 * C]);
    shapes.set(`${prefix}attn.c_attn.bias`, [3 * C]);
    shapes.set(`${prefix}attn.c_proj.weight`, [C, C]);
    shapes.set(`${prefix}attn.c_proj.bias`, [C]);
    shapes.set(`${prefix}ln_2.weight`, [C]);
    shapes.set(`${prefix}ln_2.bias`, [C]);
    shapes.set(`${prefix}mlp.c_fc.weight`, [C, 4 * C]);
    shapes.set(`${prefix}mlp.c_fc.bias`, [4 * C]);
    shapes.set(`${prefix}mlp.c_proj.weight`, [4 * C, C]);
    shapes.set(`${prefix}mlp.c_proj.bias`, [C]);
  }
  shapes.set('ln_f.weight', [C]);
  shapes.set('ln_f.bias', [C]);
  return shapes;
}

/** Returns the unprefixed names of every tensor a GPT-2 with this config needs. */
export function GPT2_TENSOR_NAMES(config: Gpt2Config): string[] {
  return [...gpt2ExpectedShapes(config).keys()];
}

/**
 * Validates names and shapes and returns the weights keyed by unprefixed names.
 * Accepts `transformer.`-prefixed and unprefixed names, ignores attention-mask buffers, and
 * ignores an `lm_head.weight` equal to `wte.weight` (the head is tied). Throws an Error naming
 * every missing, unexpected or mis-shaped tensor (up to five of each).
 */
export function validateGpt2Weights(
  tensors: Map<string, { shape: number[]; data: Float32Array }>,
  config: Gpt2Config,
  fileName: string,
): Map<string, Float32Array> {
  const expected = gpt2ExpectedShapes(config);
  const found = new Map<string, { shape: number[]; data: Float32Array }>();
  const unexpected: string[] = [];
  let lmHead: { shape: number[]; data: Float32Array } | undefined;

  // 1. Normalize names.
  for (const [storedName, tensor] of tensors) {
    if (storedName === LM_HEAD) {
      lmHead = tensor;
      continue;
    }
    const name = storedName.startsWith(TRANSFORMER_PREFIX) ? storedName.slice(TRANSFORMER_PREFIX.length) : storedName;
    if (IGNORED_BUFFER.test(name)) continue;
    if (!expected.has(name)) {
      unexpected.push(storedName);
      continue;
    }
    if (found.has(name)) {
      throw new Error(`${fileName}: tensor "${name}" appears twice, with and without the "${TRANSFORMER_PREFIX}" prefix. Keep one of them.`);
    }
    found.set(name, tensor);
  }

  // 2. Compare with the config.
  const problems: string[] = [];
  const missing = [...expected.keys()].filter((name) => !found.has(name));
  if (missing.length > 0) {
    problems.push(`missing ${missing.length} tensor(s): ${listSome(missing)}`);
  }
  if (unexpected.length > 0) {
    problems.push(`${unexpected.length} unexpected tensor(s) for a ${config.nLayer}-layer GPT-2: ${listSome(unexpected)}`);
  }
  const misShaped: string[] = [];
  for (const [name, tensor] of found) {
    const shape = expected.get(name)!;
    if (!sameShape(shape, tensor.shape)) {
      misShaped.push(`"${name}" has shape [${tensor.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
  }
  if (misShaped.length > 0) {
    problems.push(`${misShaped.length} tensor(s) with the wrong shape: ${misShaped.slice(0, MAX_LISTED).join('; ')}`);
  }
  if (problems.length > 0) {
    throw new Error(`${fileName}: the weights do not match config.json: ${problems.join('. ')}. Pick the config.json saved with these weights.`);
  }

  // 3. The tied LM head, when the checkpoint stores it, must equal wte.
  if (lmHead !== undefined) {
    checkTiedHead(lmHead, found.get('wte.weight')!, expected.get('wte.weight')!, fileName);
  }

  const weights = new Map<string, Float32Array>();
  for (const name of expected.keys()) weights.set(name, found.get(name)!.data);
  return weights;
}

function checkTiedHead(lmHead: { shape: number[]; data: Float32Array }, wte: { data: Float32Array }, wteShape: number[], fileName: string): void {
  if (!sameShape(lmHead.shape, wteShape)) {
    throw new Error(`${fileName}: tensor "${LM_HEAD}" has shape [${lmHead.shape.join(', ')}], expected [${wteShape.join(', ')}] like wte.weight, because the LM head is tied to wte.`);
  }
  for (let i = 0; i < lmHead.data.length; i++) {
    if (lmHead.data[i] !== wte.data[i]) {
      throw new Error(`${fileName}: tensor "${LM_HEAD}" differs from wte.weight (first at index ${i}), but this engine ties the LM head to wte. Untied GPT-2 heads are not supported.`);
    }
  }
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function listSome(names: string[]): string {
  const shown = names.slice(0, MAX_LISTED).map((name) => `"${name}"`).join(', ');
  return names.length > MAX_LISTED ? `${shown} and ${names.length - MAX_LISTED} more` : shown;
}
