import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../app/model/tokenizer';

const FILE = 'tokenizer.json';
const json = readFileSync(new URL('../../public/models/gpt2-moby/tokenizer.json', import.meta.url), 'utf8');
const tokenizer = loadTokenizer(json, FILE);

const utf8 = (text: string) => Array.from(new TextEncoder().encode(text));

describe('embedded byte-level tokenizer', () => {
  it('has one token per byte', () => {
    expect(tokenizer.vocabSize).toBe(256);
  });

  const samples: Array<[string, string]> = [
    ['ASCII prose', 'Call me Ishmael. Some years ago—never mind how long precisely—'],
    ['whitespace runs', '  two  spaces,\ttab,\n\nnewlines and trailing space '],
    ['punctuation after spaces', 'Wait .... what ? ( yes ) , no'],
    ['accented and CJK', 'Café naïve — 日本語'],
    ['emoji', 'whale 🐳 and spout 💦'],
    ['control bytes', 'nul\u0000 bell\u0007 del\u007f'],
  ];

  for (const [name, text] of samples) {
    it(`encodes ${name} as UTF-8 bytes`, () => {
      expect(tokenizer.encode(text)).toEqual(utf8(text));
    });

    it(`round-trips ${name}`, () => {
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    });
  }

  it('handles empty text', () => {
    expect(tokenizer.encode('')).toEqual([]);
    expect(tokenizer.decode([])).toBe('');
  });

  it('round-trips the SOTU eval text', () => {
    const text = readFileSync(new URL('../../public/datasets/sotu/eval.txt', import.meta.url), 'utf8');
    const ids = tokenizer.encode(text);
    expect(ids.length).toBe(new TextEncoder().encode(text).length);
    expect(tokenizer.decode(ids)).toBe(text);
  });
});

describe('loadTokenizer errors', () => {
  it('rejects invalid JSON', () => {
    expect(() => loadTokenizer('{"model": ', FILE)).toThrow(/tokenizer\.json: not valid JSON/);
  });

  it('rejects a file without a model', () => {
    expect(() => loadTokenizer('{"version": "1.0"}', FILE)).toThrow(/tokenizer\.json: the "model" entry .* is missing/);
  });

  it('rejects a JSON array', () => {
    expect(() => loadTokenizer('[]', FILE)).toThrow(/tokenizer\.json: expected a JSON object/);
  });

  it('rejects an unknown model type', () => {
    const broken = JSON.parse(json);
    broken.model.type = 'NoSuchModel';
    expect(() => loadTokenizer(JSON.stringify(broken), FILE)).toThrow(/tokenizer\.json: tokenizer model type "NoSuchModel" is not supported/);
  });

  it('rejects an unknown pre-tokenizer', () => {
    const broken = JSON.parse(json);
    broken.pre_tokenizer.type = 'NoSuchPreTokenizer';
    expect(() => loadTokenizer(JSON.stringify(broken), FILE)).toThrow(/tokenizer\.json: @huggingface\/tokenizers could not load it: Unknown PreTokenizer type: NoSuchPreTokenizer/);
  });

  it('rejects a BPE model without a vocabulary', () => {
    const broken = JSON.parse(json);
    delete broken.model.vocab;
    expect(() => loadTokenizer(JSON.stringify(broken), FILE)).toThrow(/tokenizer\.json: @huggingface\/tokenizers could not load it/);
  });
});
