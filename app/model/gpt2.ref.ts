/**
 * CPU reference of the GPT-2 forward pass and loss: the specification that the WGSL model is
 * tested against. It uses plain loops over f32 arrays with f64 sums, so it suits tiny test inputs only.
 *
 * Dimension letters: B batch, T time, C channels, V vocabulary, NH heads, HS head size (C / NH).
 * Weights are keyed by unprefixed Hugging Face names, and Conv1D weights are stored (in, out).
 */
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
 * inputs and targets are (B, T) token ids. mask (B, T) weights each position in the mean loss.
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
  const { nEmbd: C, vocabSize: V } = config;
  const N = B * T;
  const get = (name: string) => requireWeight(weights, name);

  // 1. Token plus position embedding: x (B, T, C).
  const x = new Float32Array(N * C);
  const wte = get('wte.weight');
  const wpe = get('wpe.weight');
  for (let bt = 0; bt < N; bt++) {
    const token = inputs[bt];
    const t = bt % T;
    for (let c = 0; c < C; c++) x[bt * C + c] = wte[token * C + c] + wpe[t * C + c];
  }

  // 2. Pre-LN transformer blocks, each adding attention then MLP output to the residual stream.
  const normed = new Float32Array(N * C);
  for (let layer = 0; layer < config.nLayer; layer++) {
    const p = `h.${layer}.`;
    layerNormRef(normed, x, get(`${p}ln_1.weight`), get(`${p}ln_1.bias`), N, C, config.layerNormEpsilon);
    const attention = attentionRef(normed, get(`${p}attn.c_attn.weight`), get(`${p}attn.c_attn.bias`), B, T, C, config.nHead);
    const attentionOut = conv1dRef(attention, get(`${p}attn.c_proj.weight`), get(`${p}attn.c_proj.bias`), N, C, C);
    for (let i = 0; i < x.length; i++) x[i] += attentionOut[i];

    layerNormRef(normed, x, get(`${p}ln_2.weight`), get(`${p}ln_2.bias`), N, C, config.layerNormEpsilon);
    const hidden = conv1dRef(normed, get(`${p}mlp.c_fc.weight`), get(`${p}mlp.c_fc.bias`), N, C, 4 * C);
    for (let i = 0; i < hidden.length; i++) hidden[i] = geluTanhRef(hidden[i]);
    const mlpOut = conv1dRef(hidden, get(`${p}mlp.c_proj.weight`), get(`${p}mlp.c_proj.bias`), N, 4 * C, C);
    for (let i = 0; i < x.length; i++) x[i] += mlpOut[i];
  }

  // 3. Final LayerNorm and the LM head tied to wte: logits (B, T, V) = ln_f(x) · wteᵀ.
  layerNormRef(normed, x, get('ln_f.weight'), get('ln_f.bias'), N, C, config.layerNormEpsilon);
  const logits = new Float32Array(N * V);
  for (let bt = 0; bt < N; bt++) {
    for (let v = 0; v < V; v++) {
      let sum = 0;
      for (let c = 0; c < C; c++) sum += normed[bt * C + c] * wte[v * C + c];
      logits[bt * V + v] = sum;
    }
  }

  // 4. Masked cross-entropy.
  const { losses, meanLoss } = crossEntropyRef(logits, targets, mask, N, V);
  return { logits, losses, meanLoss };
}

/** out (N, C) = (x - mean) / sqrt(var + eps) · gain + bias, with the biased variance as in PyTorch. */
export function layerNormRef(out: Float32Array, x: Float32Array, gain: Float32Array, bias: Float32Array, N: number, C: number, eps: number): void {
  for (let n = 0; n < N; n++) {
    const row = n * C;
    let mean = 0;
    for (let c = 0; c < C; c++) mean += x[row + c];
    mean /= C;
    let variance = 0;
    for (let c = 0; c < C; c++) variance += (x[row + c] - mean) ** 2;
    variance /= C;
    const scale = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < C; c++) out[row + c] = (x[row + c] - mean) * scale * gain[c] + bias[c];
  }
}

/** Returns x (N, IN) · weight (IN, OUT) + bias (OUT), the Hugging Face Conv1D layer. */
export function conv1dRef(x: Float32Array, weight: Float32Array, bias: Float32Array, N: number, IN: number, OUT: number): Float32Array {
  const out = new Float32Array(N * OUT);
  const sums = new Float64Array(OUT);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < OUT; o++) sums[o] = bias[o];
    for (let i = 0; i < IN; i++) {
      const value = x[n * IN + i];
      const weightRow = i * OUT;
      for (let o = 0; o < OUT; o++) sums[o] += value * weight[weightRow + o];
    }
    for (let o = 0; o < OUT; o++) out[n * OUT + o] = sums[o];
  }
  return out;
}

/** GELU, tanh approximation ("gelu_new"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluTanhRef(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/**
 * Causal multi-head self-attention before the output projection.
 * normed (B, T, C) → qkv (B, T, 3C) = normed · c_attn → y (B, T, C), heads concatenated.
 */
export function attentionRef(normed: Float32Array, weight: Float32Array, bias: Float32Array, B: number, T: number, C: number, NH: number): Float32Array {
  const HS = C / NH;
  const qkv = conv1dRef(normed, weight, bias, B * T, C, 3 * C);
  const y = new Float32Array(B * T * C);
  const scores = new Float64Array(T);
  const scale = 1 / Math.sqrt(HS);

  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const query = (b * T + t) * 3 * C + h * HS;

        // Causal scores cover positions 0..t only. The max is subtracted for a stable softmax.
        let max = -Infinity;
        for (let s = 0; s <= t; s++) {
          const key = (b * T + s) * 3 * C + C + h * HS;
          let dot = 0;
          for (let i = 0; i < HS; i++) dot += qkv[query + i] * qkv[key + i];
          scores[s] = dot * scale;
          max = Math.max(max, scores[s]);
        }
        let total = 0;
        for (let s = 0; s <= t; s++) {
          scores[s] = Math.exp(scores[s] - max);
          total += scores[s];
        }

        const out = (b * T + t) * C + h * HS;
        for (let i = 0; i < HS; i++) {
          let sum = 0;
          for (let s = 0; s <= t; s++) sum += scores[s] * qkv[(b * T + s) * 3 * C + 2 * C + h * HS + i];
          y[out + i] = sum / total;
        }
      }
    }
  }
  return y;
}

/** Per-position cross-entropy of logits (N, V) against targets (N), and its masked mean. */
export function crossEntropyRef(logits: Float32Array, targets: Uint32Array, mask: Float32Array, N: number, V: number): { losses: Float32Array; meanLoss: number } {
  const losses = new Float32Array(N);
  let weighted = 0;
  let weightTotal = 0;
  for (let n = 0; n < N; n++) {
    if (mask[n] === 0) continue;
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[n * V + v]);
    let total = 0;
    for (let v = 0; v < V; v++) total += Math.exp(logits[n * V + v] - max);
    const loss = max + Math.log(total) - logits[n * V + targets[n]];
    losses[n] = loss;
    weighted += mask[n] * loss;
    weightTotal += mask[n];
  }
  return { losses, meanLoss: weightTotal === 0 ? 0 : weighted / weightTotal };
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
