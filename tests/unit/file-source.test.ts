import { describe, expect, it } from 'vitest';
import { describeJsonSyntaxError, fileAdvice, PICKED_FILE, type ModelFileSource } from '../../app/model/file-source';
import { parseGpt2Config } from '../../app/model/gpt2-config';
import { checkSafetensorsSize, parseSafetensors } from '../../app/model/safetensors';
import { loadTokenizer } from '../../app/model/tokenizer';

const DISK: ModelFileSource = { kind: 'disk', dir: 'models/tiny' };

function syntaxErrorOf(text: string): unknown {
  try {
    JSON.parse(text);
  } catch (error) {
    return error;
  }
  throw new Error(`JSON.parse accepted ${JSON.stringify(text)}`);
}

describe('describeJsonSyntaxError', () => {
  it('gives line and column for a file on disk', () => {
    const text = '{\n  "n_layer": 2\n  "n_head": 2\n}';
    expect(describeJsonSyntaxError(syntaxErrorOf(text), text, DISK)).toBe(
      "not valid JSON at line 3, column 3: Expected ',' or '}' after property value",
    );
  });

  it('quotes the engine message without a position', () => {
    expect(describeJsonSyntaxError(new Error('Unexpected end of JSON input'), '', DISK)).toBe('not valid JSON (Unexpected end of JSON input)');
  });

  it('keeps the engine message on the page', () => {
    const text = '{"a": 1 "b": 2}';
    expect(describeJsonSyntaxError(syntaxErrorOf(text), text, PICKED_FILE)).toMatch(/^not valid JSON \(Expected ',' or '}' after property value in JSON at position 8/);
  });
});

describe('fileAdvice', () => {
  it('asks the page user to pick the file', () => {
    expect(fileAdvice(PICKED_FILE, 'config.json', 'Pick it.')).toBe('Pick it.');
  });

  it('asks the CLI user to fix the file in the folder', () => {
    expect(fileAdvice(DISK, 'config.json', 'Pick it.')).toBe('Fix or replace config.json in models/tiny.');
  });
});

describe('loader errors for files on disk', () => {
  it('reports config.json syntax by line and column', () => {
    const message = captureMessage(() => parseGpt2Config('{\n  "model_type": "gpt2"\n  "n_layer": 2\n}', 'models/tiny/config.json', DISK));
    expect(message).toBe("models/tiny/config.json: not valid JSON at line 3, column 3: Expected ',' or '}' after property value. Fix or replace config.json in models/tiny.");
  });

  it('keeps the pick wording for config.json on the page', () => {
    expect(captureMessage(() => parseGpt2Config('{"a": 1 "b": 2}', 'config.json'))).toMatch(/Pick the model's config\.json file\.$/);
  });

  it('asks for a GPT-2 config object, not keys', () => {
    const message = captureMessage(() => parseGpt2Config('[1,2]', 'models/tiny/config.json', DISK));
    expect(message).toBe(
      'models/tiny/config.json: the file must contain a JSON object with GPT-2 config keys ' +
        '(model_type, vocab_size, n_positions, n_embd, n_layer, n_head), got [1,2]. Fix or replace config.json in models/tiny.',
    );
  });

  it('asks the page user for a GPT-2 config object', () => {
    const message = captureMessage(() => parseGpt2Config('[1,2]', 'config.json'));
    expect(message).toMatch(/got \[1,2\]\. Pick the config\.json of a GPT-2 model\.$/);
    expect(message).not.toContain('Fix these keys');
  });

  it('reports tokenizer.json syntax by line and column', () => {
    const message = captureMessage(() => loadTokenizer('{\n"model": {}\n"added_tokens": []}', 'models/tiny/tokenizer.json', DISK));
    expect(message).toMatch(/^models\/tiny\/tokenizer\.json: not valid JSON at line 3, column 1: Expected ',' or '}' after property value\. /);
    expect(message).toMatch(/Fix or replace tokenizer\.json in models\/tiny\.$/);
    expect(message).not.toContain('Pick');
  });

  it('says to replace an empty model.safetensors', () => {
    const message = captureMessage(() => checkSafetensorsSize(new ArrayBuffer(0), 'models/tiny/model.safetensors', DISK));
    expect(message).toBe(
      'models/tiny/model.safetensors: the file is empty (0 bytes). Fix or replace model.safetensors in models/tiny. An interrupted download leaves an empty file.',
    );
  });

  it('keeps the pick wording for an empty file on the page', () => {
    expect(captureMessage(() => parseSafetensors(new ArrayBuffer(0), 'model.safetensors'))).toContain('Pick the model file again.');
  });
});

function captureMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}
