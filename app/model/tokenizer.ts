/** Loads a Hugging Face `tokenizer.json` with @huggingface/tokenizers (tokenizers.js). */
import { Tokenizer } from '@huggingface/tokenizers';
import { describeJsonSyntaxError, fileAdvice, PICKED_FILE, type ModelFileSource } from './file-source';

/** Model types that tokenizers.js 0.2 implements (its README lists them). */
const SUPPORTED_MODEL_TYPES = ['BPE', 'WordPiece', 'Unigram'];

export interface TextTokenizer {
  /** Token ids of `text`, without special tokens added around it. */
  encode(text: string): number[];
  /** Text of `ids`, exactly as encoded: no cleanup of spaces before punctuation. */
  decode(ids: readonly number[]): string;
  /** Largest token id plus one, counting added tokens. */
  vocabSize: number;
}

/**
 * Parses tokenizer.json. A malformed file throws an Error naming the file and the reason, and ending
 * with what to do for a file from `source`.
 */
export function loadTokenizer(json: string, fileName: string, source: ModelFileSource = PICKED_FILE): TextTokenizer {
  const advice = fileAdvice(source, 'tokenizer.json', "Pick the model's tokenizer.json file.");
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`${fileName}: ${describeJsonSyntaxError(error, json, source)}. ${advice}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${fileName}: expected a JSON object with a "model" entry, got ${JSON.stringify(parsed)?.slice(0, 40)}. ${advice}`);
  }
  const model = (parsed as Record<string, unknown>).model;
  if (typeof model !== 'object' || model === null || typeof (model as Record<string, unknown>).type !== 'string') {
    throw new Error(`${fileName}: the "model" entry with a "type" (${SUPPORTED_MODEL_TYPES.join(', ')}) is missing, so this is not a Hugging Face tokenizer.json.`);
  }
  const modelType = (model as Record<string, unknown>).type as string;
  if (!SUPPORTED_MODEL_TYPES.includes(modelType)) {
    // tokenizers.js 0.2 does not reject an unknown type itself but falls back to another model.
    throw new Error(`${fileName}: tokenizer model type "${modelType}" is not supported; supported types are ${SUPPORTED_MODEL_TYPES.join(', ')}.`);
  }

  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(parsed, {});
  } catch (error) {
    throw new Error(`${fileName}: @huggingface/tokenizers could not load it: ${reasonOf(error)}. Check that the file is complete and was saved by the tokenizers library.`);
  }

  const vocab = tokenizer.get_vocab(true);
  if (vocab.size === 0) {
    throw new Error(`${fileName}: the vocabulary is empty. ${advice}`);
  }
  let maxId = -1;
  for (const id of vocab.values()) maxId = Math.max(maxId, id);

  return {
    encode: (text) => (text.length === 0 ? [] : tokenizer.encode(text, { add_special_tokens: false }).ids),
    // tokenizers.js rejects an empty id list, so the empty case is handled here.
    decode: (ids) => (ids.length === 0 ? '' : tokenizer.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false })),
    vocabSize: maxId + 1,
  };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
