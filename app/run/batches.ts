/**
 * Token streams and batches for language-model fine-tuning. Training batches are B random windows
 * of T+1 tokens whose positions depend only on (run seed, step), so a run replays exactly from its
 * seed; eval batches are fixed, non-overlapping windows from the start of the held-out text.
 */
import { philox4x32 } from '../../kernels/rng/rng.ref';

export interface TokenBatch {
  /** (B·T) input token ids. */
  inputs: Uint32Array;
  /** (B·T) next-token targets. */
  targets: Uint32Array;
  /** (B·T) 1 where the target counts towards the loss. */
  mask: Float32Array;
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

const BATCH_SEED_KEY = 0xba7c0001;

export class TokenBatcher {
  constructor(
    readonly tokens: Uint32Array,
    readonly batchSize: number,
    readonly sequenceLength: number,
    readonly seed: number,
    readonly name: string,
  ) {
    if (tokens.length < sequenceLength + 1) {
      throw new Error(
        `${name} has ${tokens.length} tokens, fewer than one window of ${sequenceLength + 1}. ` +
          'Use a longer text or a shorter sequence length.',
      );
    }
  }

  get tokenCount(): number {
    return this.tokens.length;
  }

  /** Returns the training batch of `step`: B windows at positions drawn from (seed, step). */
  sampleBatch(step: number): TokenBatch {
    const { batchSize: B, sequenceLength: T, tokens } = this;
    const starts = tokens.length - T; // valid window starts: 0 .. tokens.length − T − 1
    const batch = emptyBatch(B, T);
    for (let b = 0; b < B; b++) {
      const bits = philox4x32([step >>> 0, b, 0, 0], [this.seed >>> 0, BATCH_SEED_KEY]);
      // Two words give 64 random bits, so the modulo bias is negligible for any text length.
      const start = Math.floor(((bits[0] * 4294967296 + bits[1]) / 18446744073709551616) * starts);
      fillWindow(batch, b, T, tokens, start);
    }
    return batch;
  }

  /** Returns up to `count` fixed batches of non-overlapping windows from the start of the text. */
  evalBatches(count: number): TokenBatch[] {
    const { batchSize: B, sequenceLength: T, tokens } = this;
    const windows = Math.floor((tokens.length - 1) / T);
    if (windows < B) {
      throw new Error(`${this.name} has ${tokens.length} tokens, fewer than one batch of ${B} windows of ${T + 1}. Use a longer text, a smaller batch or a shorter sequence length.`);
    }
    const batches: TokenBatch[] = [];
    for (let k = 0; k < count && (k + 1) * B <= windows; k++) {
      const batch = emptyBatch(B, T);
      for (let b = 0; b < B; b++) fillWindow(batch, b, T, tokens, (k * B + b) * T);
      batches.push(batch);
    }
    return batches;
  }
}

function emptyBatch(B: number, T: number): TokenBatch {
  return { inputs: new Uint32Array(B * T), targets: new Uint32Array(B * T), mask: new Float32Array(B * T).fill(1) };
}

function fillWindow(batch: TokenBatch, row: number, T: number, tokens: Uint32Array, start: number): void {
  batch.inputs.set(tokens.subarray(start, start + T), row * T);
  batch.targets.set(tokens.subarray(start + 1, start + T + 1), row * T);
}
