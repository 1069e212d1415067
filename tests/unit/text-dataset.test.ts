import { describe, expect, it } from 'vitest';
import { parseCsvRecords } from '../../app/data/csv';
import { evalBatches, parseTextDataset, sampleBatch, SeededRng, splitTrainEval } from '../../app/data/text-dataset';
import { checkSplitHoldsWindow } from '../../app/data/token-windows';

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the action to throw');
}

describe('parseTextDataset .txt', () => {
  it('returns the whole file as one text', () => {
    expect(parseTextDataset('book.txt', 'Line one.\n\nLine two.\n')).toEqual({ texts: ['Line one.\n\nLine two.\n'] });
  });

  it('drops a byte order mark', () => {
    expect(parseTextDataset('book.TXT', '\ufeffhello').texts).toEqual(['hello']);
  });

  it('rejects an empty file', () => {
    expect(() => parseTextDataset('empty.txt', '  \n')).toThrow(/empty\.txt: the dataset contains no text/);
  });
});

describe('parseTextDataset .jsonl', () => {
  it('reads text fields and skips blank lines', () => {
    const content = '{"text": "first"}\n\n{"text": "second, with \\"quotes\\"", "label": 1}\r\n   \n{"text": "third"}';
    expect(parseTextDataset('data.jsonl', content).texts).toEqual(['first', 'second, with "quotes"', 'third']);
  });

  it('names the malformed line', () => {
    const content = '{"text": "ok"}\n{"text": "broken"\n{"text": "ok"}';
    expect(() => parseTextDataset('data.jsonl', content)).toThrow(/data\.jsonl: 1 invalid line\(s\): line 2: not valid JSON/);
  });

  it('lists several problems with line numbers', () => {
    const content = ['{"text": "ok"}', '[1, 2]', '{"label": 3}', '{"text": 5}', 'nope'].join('\n');
    const message = messageOf(() => parseTextDataset('data.jsonl', content));
    expect(message).toMatch(/4 invalid line\(s\)/);
    expect(message).toMatch(/line 2: expected a JSON object, got \[1, 2\]/);
    expect(message).toMatch(/line 3: expected a string "text" field, got no "text" field/);
    expect(message).toMatch(/line 4: expected a string "text" field, got "text" of type number/);
    expect(message).toMatch(/line 5: not valid JSON/);
    expect(message).toMatch(/\{"text": "…"\}/);
  });

  it('caps the list at five problems', () => {
    const content = Array.from({ length: 8 }, () => 'bad').join('\n');
    const message = messageOf(() => parseTextDataset('data.jsonl', content));
    expect(message).toMatch(/8 invalid line\(s\) \(and 3 more\)/);
    expect(message).toMatch(/line 5: /);
    expect(message).not.toMatch(/line 6: /);
  });
});

describe('parseTextDataset .csv', () => {
  it('reads the text column', () => {
    const content = 'id,text,label\n1,hello world,pos\n2,goodbye,neg\n';
    expect(parseTextDataset('data.csv', content).texts).toEqual(['hello world', 'goodbye']);
  });

  it('reads quoted fields with commas, quotes and newlines', () => {
    const content = 'text,label\r\n"Hello, world",1\r\n"She said ""hi""\r\nthen left",0\r\n"",1\r\n';
    expect(parseTextDataset('data.csv', content).texts).toEqual(['Hello, world', 'She said "hi"\r\nthen left', '']);
  });

  it('rejects a file without a text column', () => {
    expect(() => parseTextDataset('data.csv', 'sentence,label\nhi,1\n')).toThrow(
      /data\.csv: the header row \(line 1\) has no "text" column; found "sentence", "label"/,
    );
  });

  it('names rows with the wrong field count', () => {
    const content = 'text,label\n"multi\nline",1\nonly-one-field\n';
    expect(() => parseTextDataset('data.csv', content)).toThrow(/line 4: expected 2 fields like the header, got 1/);
  });

  it('names an unclosed quote', () => {
    expect(() => parseTextDataset('data.csv', 'text\nok\n"never closed\nmore\n')).toThrow(/data\.csv: 1 invalid line\(s\): line 3: a quoted field is never closed/);
  });

  it('names text after a closing quote', () => {
    expect(() => parseTextDataset('data.csv', 'text\n"quoted"junk\n')).toThrow(/line 2: unexpected "j" after a closing quote/);
  });

  it('names a stray quote in an unquoted field', () => {
    expect(() => parseTextDataset('data.csv', 'text\nsay "hi"\n')).toThrow(/line 2: a quote appears inside an unquoted field/);
  });
});

describe('parseCsvRecords', () => {
  it('records the starting line of each record', () => {
    const { records, problems } = parseCsvRecords('a,b\n"x\ny",z\nlast,');
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x\ny', 'z'] },
      { line: 4, fields: ['last', ''] },
    ]);
  });
});

describe('parseTextDataset unknown types', () => {
  it('lists the supported extensions', () => {
    expect(() => parseTextDataset('data.parquet', 'x')).toThrow(/data\.parquet: unsupported file type "\.parquet"\. Supported dataset files are \.txt, \.jsonl, \.csv/);
  });

  it('rejects a name without an extension', () => {
    expect(() => parseTextDataset('README', 'x')).toThrow(/unsupported file type "\(none\)"/);
  });
});

describe('splitTrainEval', () => {
  const texts = Array.from({ length: 20 }, (_, i) => `text ${i}`);

  it('is deterministic for a seed', () => {
    expect(splitTrainEval(texts, 0.2, 42)).toEqual(splitTrainEval(texts, 0.2, 42));
  });

  it('depends on the seed', () => {
    expect(splitTrainEval(texts, 0.2, 1).eval).not.toEqual(splitTrainEval(texts, 0.2, 2).eval);
  });

  it('partitions the texts', () => {
    const { train, eval: evalTexts } = splitTrainEval(texts, 0.2, 7);
    expect(evalTexts).toHaveLength(4);
    expect(train).toHaveLength(16);
    expect([...train, ...evalTexts].sort()).toEqual([...texts].sort());
  });

  it('keeps one text on each side', () => {
    const split = splitTrainEval(['a', 'b'], 0.01, 3);
    expect(split.train).toHaveLength(1);
    expect(split.eval).toHaveLength(1);
  });

  it('splits one text at a paragraph break', () => {
    const paragraphs = Array.from({ length: 10 }, (_, i) => `Paragraph ${i} `.repeat(5).trim());
    const text = paragraphs.join('\n\n');
    const { train, eval: evalTexts } = splitTrainEval([text], 0.1, 0);
    expect(train[0] + evalTexts[0]).toBe(text);
    expect(train[0].endsWith('\n\n')).toBe(true);
    expect(evalTexts[0]).toBe(paragraphs[9]);
  });

  it('cuts one text without breaks at the fraction', () => {
    const text = 'x'.repeat(1000);
    const { train, eval: evalTexts } = splitTrainEval([text], 0.25, 0);
    expect(train[0]).toHaveLength(750);
    expect(evalTexts[0]).toHaveLength(250);
  });

  it('rejects a fraction outside (0, 1)', () => {
    expect(() => splitTrainEval(texts, 1, 0)).toThrow(/evalFraction must be between 0 and 1 \(exclusive\), got 1/);
  });

  it('rejects a text too short to split', () => {
    expect(() => splitTrainEval(['a'], 0.1, 0)).toThrow(/the text has 1 characters, too few to hold out the last 10% for evaluation/);
  });

  it('names the file and the minimum size when too short', () => {
    const error = (() => {
      try {
        splitTrainEval(['Hello world.\n'], 0.1, 0, 'short.txt');
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('splitTrainEval accepted a 13-character text');
    })();
    expect(error.message).toMatch(/^short\.txt: the text has 13 characters/);
    expect(error.message).toContain('sequence length + 1 tokens');
    expect(error.message).toContain('the target of each position is the next token');
    expect(error.message).toContain('at least about 10 × (sequence length + 1) tokens');
    expect(error.message).toContain('Use a longer text or a smaller sequence length.');
    expect(error.message).not.toContain('splitTrainEval');
  });
});

describe('checkSplitHoldsWindow', () => {
  it('accepts a split of exactly one window', () => {
    expect(() => checkSplitHoldsWindow(33, 330, 32, 'short.txt', 'eval')).not.toThrow();
  });

  it('explains the window and the size needed', () => {
    expect(() => checkSplitHoldsWindow(30, 300, 32, 'short.txt', 'eval')).toThrow(
      'short.txt: the eval split has 30 tokens, fewer than one window of 33 tokens. ' +
        'A window is sequence length + 1 tokens (32 + 1), because the target of each position is the next token. ' +
        'The eval split is 10% of the tokens, so the whole text needs at least about 330 tokens. Use a longer text or a smaller sequence length.',
    );
  });

  it('leaves out the estimate for an empty split', () => {
    expect(() => checkSplitHoldsWindow(0, 0, 4, 'empty.txt', 'train')).toThrow(/the train split has 0 tokens.*is 0% of the tokens\. Use a longer text/);
  });
});

describe('SeededRng', () => {
  it('replays the same stream for a seed', () => {
    const a = new SeededRng(123);
    const b = new SeededRng(123);
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(first);
    expect(new Set(first).size).toBe(5);
  });

  it('draws integers in range and roughly uniformly', () => {
    const rng = new SeededRng(9);
    const counts = new Array(4).fill(0);
    for (let i = 0; i < 4000; i++) counts[rng.nextInt(4)]++;
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(120);
  });
});

describe('sampleBatch', () => {
  const tokens = Uint32Array.from({ length: 50 }, (_, i) => i);

  it('returns shifted windows with a full mask', () => {
    const batch = sampleBatch(tokens, 3, 8, new SeededRng(5));
    expect(batch.inputs).toHaveLength(24);
    expect(Array.from(batch.mask)).toEqual(new Array(24).fill(1));
    for (let row = 0; row < 3; row++) {
      const start = batch.inputs[row * 8];
      expect(start).toBeLessThanOrEqual(50 - 8 - 1);
      for (let t = 0; t < 8; t++) {
        expect(batch.inputs[row * 8 + t]).toBe(start + t);
        expect(batch.targets[row * 8 + t]).toBe(start + t + 1);
      }
    }
  });

  it('is deterministic for a seed', () => {
    expect(sampleBatch(tokens, 4, 8, new SeededRng(11))).toEqual(sampleBatch(tokens, 4, 8, new SeededRng(11)));
  });

  it('reaches the last valid window', () => {
    const tiny = Uint32Array.from([10, 11, 12, 13]);
    const starts = new Set<number>();
    const rng = new SeededRng(0);
    for (let i = 0; i < 200; i++) starts.add(sampleBatch(tiny, 1, 2, rng).inputs[0]);
    expect([...starts].sort()).toEqual([10, 11]);
  });

  it('rejects a text shorter than one window', () => {
    expect(() => sampleBatch(Uint32Array.from([1, 2, 3]), 1, 3, new SeededRng(0))).toThrow(/the text has 3 tokens, fewer than one window of T\+1 = 4/);
  });
});

describe('evalBatches', () => {
  const tokens = Uint32Array.from({ length: 41 }, (_, i) => i);

  it('returns non-overlapping windows from the start', () => {
    const batches = evalBatches(tokens, 2, 8, 10);
    // (41 - 1) / 8 = 5 windows: two full batches and one padded batch.
    expect(batches).toHaveLength(3);
    const starts = batches.flatMap((batch) => [batch.inputs[0], batch.inputs[8]]);
    expect(starts.slice(0, 5)).toEqual([0, 8, 16, 24, 32]);
    expect(batches[0].targets[7]).toBe(8);
    expect(Array.from(batches[2].mask.subarray(0, 8))).toEqual(new Array(8).fill(1));
    expect(Array.from(batches[2].mask.subarray(8))).toEqual(new Array(8).fill(0));
  });

  it('stops at count batches', () => {
    expect(evalBatches(tokens, 2, 8, 1)).toHaveLength(1);
  });

  it('returns the same batches every time', () => {
    expect(evalBatches(tokens, 2, 8, 3)).toEqual(evalBatches(tokens, 2, 8, 3));
  });

  it('spreads few windows over the text', () => {
    const long = Uint32Array.from({ length: 801 }, (_, i) => i);
    // 100 grid windows, 4 chosen: grid indices 0, 25, 50, 75.
    const batches = evalBatches(long, 2, 8, 2);
    const starts = batches.flatMap((batch) => [batch.inputs[0], batch.inputs[8]]);
    expect(starts).toEqual([0, 200, 400, 600]);
    expect(Array.from(batches[1].mask)).toEqual(new Array(16).fill(1));
  });
});
