/**
 * CPU reference of the GPT-2 forward pass and loss: the specification that the WGSL model is
 * tested against. It chains the CPU references of the WGSL kernels (kernels/<op>/<op>.ref.ts), which
 * loop over f32 arrays with f64 sums, so it suits tiny test inputs only.
 *
 * Dimension letters: B batch, T time, C channels, V vocabulary, NH heads, HS head size (C / NH).
 * Weights are keyed by unprefixed Hugging Face names, and Conv1D weights are stored (in, out).
 */
import { addRef } from '../../kernels/add/add.ref';
import { attentionRef } from '../../kernels/attention/attention.ref';
import { crossEntropyRef, maskedMeanRef } from '../../kernels/crossentropy/crossentropy.ref';
import { embeddingRef } from '../../kernels/embedding/embedding.ref';
import { geluRef } from '../../kernels/gelu/gelu.ref';
import { layerNormRef } from '../../kernels/layernorm/layernorm.ref';
import { matmulRef } from '../../kernels/matmul/matmul.ref';
import type { Gpt2Config } from './gpt2-config';

export interface Gpt2RefOutput {
  /** (B, T, V) next-token logits. */
  logits: Float32Array;
  /** (B, T) cross-entropy of each target in nats, and 0 where the mask is 0. */
  losses: Float32Array;
  /** Σ mask·loss / Σ mask, or 0 when the mask is all zeros. */
  meanLoss: number;
}

type Weights = Map<string, Float32Array>;

/**
 * Runs GPT-2 on B windows of T tokens and scores them against `targets`.
 * inputs and targets are (B, T) token ids. mask (B, T) is 1 where a position counts in the mean loss
 * and 0 elsewhere, as the GPU cross-entropy kernel expects, and any other value throws.
 */
export function gpt2ForwardRef(
  config: Gpt2Config,
  weights: Weights,
  inputs: Uint32Array,
  targets: Uint32Array,
  mask: Float32Array,
  B: number,
  T: number,
): Gpt2RefOutput {
  checkArguments(config, inputs, targets, mask, B, T);
  const { nEmbd: C, vocabSize: V, nHead: NH, layerNormEpsilon: eps } = config;
  const N = B * T;
  const get = (name: string) => requireWeight(weights, name);

  // 1. Token plus position embedding: x (B, T, C).
  const wte = get('wte.weight');
  let x = embeddingRef(inputs, wte, get('wpe.weight'), B, T, C, V);

  // 2. Pre-LN transformer blocks, each adding attention then MLP output to the residual stream.
  //    Each Conv1D layer is a matmul with its (in, out) weight and bias.
  for (let layer = 0; layer < config.nLayer; layer++) {
    const p = `h.${layer}.`;
    const attentionIn = layerNormRef(x, get(`${p}ln_1.weight`), get(`${p}ln_1.bias`), N, C, eps);
    const qkv = matmulRef(attentionIn, get(`${p}attn.c_attn.weight`), get(`${p}attn.c_attn.bias`), N, C, 3 * C, false);
    const heads = attentionRef(qkv, B, T, C, NH);
    const attentionOut = matmulRef(heads, get(`${p}attn.c_proj.weight`), get(`${p}attn.c_proj.bias`), N, C, C, false);
    x = addRef(x, attentionOut);

    const mlpIn = layerNormRef(x, get(`${p}ln_2.weight`), get(`${p}ln_2.bias`), N, C, eps);
    const hidden = matmulRef(mlpIn, get(`${p}mlp.c_fc.weight`), get(`${p}mlp.c_fc.bias`), N, C, 4 * C, false);
    const activated = geluRef(hidden);
    const mlpOut = matmulRef(activated, get(`${p}mlp.c_proj.weight`), get(`${p}mlp.c_proj.bias`), N, 4 * C, C, false);
    x = addRef(x, mlpOut);
  }

  // 3. Final LayerNorm and the LM head tied to wte (V, C): logits (B, T, V) = ln_f(x) · wteᵀ.
  const final = layerNormRef(x, get('ln_f.weight'), get('ln_f.bias'), N, C, eps);
  const logits = matmulRef(final, wte, null, N, C, V, true);

  // 4. Masked cross-entropy. With a 0/1 mask, maskedMeanRef's Σ losses / max(Σ mask, 1) is
  //    Σ mask·loss / Σ mask, or 0 when no position is masked in.
  const losses = crossEntropyRef(logits, targets, mask, N, V);
  const meanLoss = maskedMeanRef(losses, mask, N);
  return { logits, losses, meanLoss };
}

function checkArguments(config: Gpt2Config, inputs: Uint32Array, targets: Uint32Array, mask: Float32Array, B: number, T: number): void {
  const N = B * T;
  if (!Number.isInteger(B) || !Number.isInteger(T) || B < 1 || T < 1) {
    throw new Error(`gpt2ForwardRef: B and T must be positive integers, got B=${B}, T=${T}.`);
  }
  if (T > config.nPositions) {
    throw new Error(`gpt2ForwardRef: T=${T} exceeds the model context n_positions=${config.nPositions}.`);
  }
  for (const [name, length] of [['inputs', inputs.length], ['targets', targets.length], ['mask', mask.length]] as const) {
    if (length !== N) throw new Error(`gpt2ForwardRef: ${name} has ${length} entries, expected B·T = ${N}.`);
  }
  for (let i = 0; i < N; i++) {
    if (mask[i] !== 0 && mask[i] !== 1) {
      throw new Error(`gpt2ForwardRef: mask at position ${i} is ${mask[i]}, expected 0 or 1.`);
    }
  }
  for (let i = 0; i < N; i++) {
    if (inputs[i] >= config.vocabSize || targets[i] >= config.vocabSize) {
      throw new Error(`gpt2ForwardRef: token at position ${i} (input ${inputs[i]}, target ${targets[i]}) is outside the vocabulary of ${config.vocabSize}.`);
    }
  }
}

function requireWeight(weights: Weights, name: string): Float32Array {
  const tensor = weights.get(name);
  if (tensor === undefined) throw new Error(`gpt2ForwardRef: weight "${name}" is missing; load weights with validateGpt2Weights.`);
  return tensor;
}
