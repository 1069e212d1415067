/**
 * Batches of token windows for language modelling. A window of T+1 consecutive tokens gives T
 * inputs and T next-token targets. Dimension letters: B windows per batch, T tokens per window.
 */
import type { SeededRng } from './rng';

export interface TokenBatch {
  /** (B, T) input token ids. */
  inputs: Uint32Array;
  /** (B, T) next-token ids: targets[b, t] = tokens[start_b + t + 1]. */
  targets: Uint32Array;
  /** (B, T) 1 where the position counts in the loss, 0 for padding rows. */
  mask: Float32Array;
}

function checkShape(tokens: Uint32Array, B: number, T: number, caller: string): void {
  if (!Number.isInteger(B) || !Number.isInteger(T) || B < 1 || T < 1) {
    throw new Error(`${caller}: B and T must be positive integers, got B=${B}, T=${T}.`);
  }
  if (tokens.length < T + 1) {
    throw new Error(`${caller}: the text has ${tokens.length} tokens, fewer than one window of T+1 = ${T + 1}. Use a longer text or a shorter sequence length.`);
  }
}

/**
 * Throws when `part` (the train or eval split of `datasetName`) has fewer tokens than one window of
 * T+1. `totalTokens` counts both splits and gives the size of the whole text that would be enough.
 */
export function checkSplitHoldsWindow(partTokens: number, totalTokens: number, T: number, datasetName: string, part: 'train' | 'eval'): void {
  if (partTokens >= T + 1) return;
  const share = totalTokens > 0 ? partTokens / totalTokens : 0;
  const needed = share > 0 ? `, so the whole text needs at least about ${Math.ceil((T + 1) / share)} tokens` : '';
  throw new Error(
    `${datasetName}: the ${part} split has ${partTokens} ${partTokens === 1 ? 'token' : 'tokens'}, fewer than one window of ${T + 1} tokens. ` +
      `A window is sequence length + 1 tokens (${T} + 1), because the target of each position is the next token. ` +
      `The ${part} split is ${Math.round(share * 100)}% of the tokens${needed}. Use a longer text or a smaller sequence length.`,
  );
}

function copyWindow(batch: TokenBatch, row: number, tokens: Uint32Array, start: number, T: number): void {
  batch.inputs.set(tokens.subarray(start, start + T), row * T);
  batch.targets.set(tokens.subarray(start + 1, start + T + 1), row * T);
  batch.mask.fill(1, row * T, (row + 1) * T);
}

/** Samples B windows at uniformly random starts in [0, tokens.length − T − 1], drawn from `rng`. */
export function sampleBatch(tokens: Uint32Array, B: number, T: number, rng: SeededRng): TokenBatch {
  checkShape(tokens, B, T, 'sampleBatch');
  const batch: TokenBatch = { inputs: new Uint32Array(B * T), targets: new Uint32Array(B * T), mask: new Float32Array(B * T) };
  const startCount = tokens.length - T;
  for (let row = 0; row < B; row++) {
    copyWindow(batch, row, tokens, rng.nextInt(startCount), T);
  }
  return batch;
}

/**
 * Returns up to `count` batches of fixed, non-overlapping windows on the grid 0, T, 2T, … of the
 * text. When the grid has more windows than B·count, the batches take windows evenly spaced over
 * the whole text, so a few eval batches still sample every part of the held-out set. When the text
 * runs out, the last batch is padded with mask-0 rows and no further batches are returned.
 */
export function evalBatches(tokens: Uint32Array, B: number, T: number, count: number): TokenBatch[] {
  checkShape(tokens, B, T, 'evalBatches');
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`evalBatches: count must be a positive integer, got ${count}.`);
  }
  const windowCount = Math.floor((tokens.length - 1) / T);
  const batchCount = Math.min(count, Math.ceil(windowCount / B));
  const chosen = Math.min(windowCount, batchCount * B);
  // Grid index of the k-th chosen window; the stride is 1 when every window is used.
  const gridIndex = (k: number) => Math.floor((k * windowCount) / chosen);

  const batches: TokenBatch[] = [];
  for (let index = 0; index < batchCount; index++) {
    const batch: TokenBatch = { inputs: new Uint32Array(B * T), targets: new Uint32Array(B * T), mask: new Float32Array(B * T) };
    for (let row = 0; row < B; row++) {
      const k = index * B + row;
      if (k < chosen) copyWindow(batch, row, tokens, gridIndex(k) * T, T);
    }
    batches.push(batch);
  }
  return batches;
}

interface Tokenizer {
  encode(text: string): number[];
}

/** Separator placed between documents, so a window never joins two texts without a break. */
const DOCUMENT_SEPARATOR = '\n\n';

/** Encodes `texts` into one token stream and checks every id against the model's vocabulary. */
export function tokenizeTexts(tokenizer: Tokenizer, texts: readonly string[], vocabSize: number, name: string): Uint32Array {
  const pieces: number[][] = [];
  let length = 0;
  texts.forEach((text, i) => {
    const ids = tokenizer.encode(i < texts.length - 1 ? text + DOCUMENT_SEPARATOR : text);
    pieces.push(ids);
    length += ids.length;
  });
  const tokens = new Uint32Array(length);
  let offset = 0;
  for (const ids of pieces) {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new Error(`${name}: the tokenizer produced id ${id}, outside the model's vocabulary of ${vocabSize}. The tokenizer does not match the model.`);
      }
    }
    tokens.set(ids, offset);
    offset += ids.length;
  }
  return tokens;
}

