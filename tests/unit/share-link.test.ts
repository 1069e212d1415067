import LZString from 'lz-string';
import { describe, expect, it } from 'vitest';
import { crc32Hex } from '../../app/share/crc32';
import {
  DecompressionError,
  MAX_LINK_JSON_LENGTH,
  MAX_LINK_PAYLOAD_LENGTH,
  SHARE_MAX_POINTS,
  decodeComparison,
  decompressBounded,
  encodeComparison,
  prepareForShare,
  readShareHash,
  shareUrl,
  type Comparison,
  type DecodeResult,
} from '../../app/share';
import { languageModelComparison, visionComparison } from './share-fixtures';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$';

/** Payload of an arbitrary JSON text, compressed as a link compresses a comparison. */
/** Builds a version 1 payload (no checksum), which decodeComparison still reads, from any JSON text. */
function payloadOf(json: string, version = 1): string {
  return `v${version}.${LZString.compressToEncodedURIComponent(json)}`;
}

function errorOf(result: DecodeResult | null): string {
  if (!result || result.ok) throw new Error(`expected a decode error, got ${JSON.stringify(result)?.slice(0, 200)}`);
  return result.error;
}

function problemsOf(result: DecodeResult): string[] {
  if (result.ok) throw new Error('expected schema problems, but the link decoded');
  return result.problems;
}

/**
 * Writes lz-string's URI format by hand: the literal "a", then `codes` codes that each name the next
 * free dictionary index, which repeats the previous entry plus one character. Entry k is k + 1
 * characters long, so the output is 1 + 2 + ... + (codes + 1) characters from a payload that grows
 * only like codes · log2(codes) bits.
 */
function craftExpandingPayload(codes: number): string {
  const bits: number[] = [];
  const write = (value: number, width: number) => {
    for (let bit = 0; bit < width; bit++) bits.push((value >> bit) & 1);
  };
  write(0, 2);
  write('a'.charCodeAt(0), 8);
  let dictionarySize = 4;
  let width = 3;
  let untilWider = 4;
  for (let i = 0; i < codes; i++) {
    write(dictionarySize, width);
    dictionarySize++;
    untilWider--;
    if (untilWider === 0) {
      untilWider = 1 << width;
      width++;
    }
  }
  write(2, width);
  while (bits.length % 6) bits.push(0);
  let text = '';
  for (let i = 0; i < bits.length; i += 6) {
    let value = 0;
    for (let bit = 0; bit < 6; bit++) value = (value << 1) | bits[i + bit];
    text += ALPHABET[value];
  }
  return text;
}

describe('share link round trip', () => {
  it('keeps a language-model comparison exactly', () => {
    const comparison = languageModelComparison();
    const result = decodeComparison(encodeComparison(comparison));
    expect(result).toEqual({ ok: true, comparison });
  });

  it('keeps a vision comparison exactly', () => {
    const comparison = visionComparison();
    const payload = encodeComparison(comparison);
    expect(payload).toMatch(/^v2\.[A-Za-z0-9+\-$]+\.[0-9a-f]{8}$/);
    expect(decodeComparison('#' + payload)).toEqual({ ok: true, comparison });
  });

  it('carries the prepared comparison through shareUrl', () => {
    for (const comparison of [languageModelComparison(), visionComparison()]) {
      const url = shareUrl('http://127.0.0.1:5173/app/?lang=en#old-hash', comparison);
      expect(url.startsWith('http://127.0.0.1:5173/app/?lang=en#v2.')).toBe(true);
      const result = readShareHash(new URL(url).hash);
      expect(result).toEqual({ ok: true, comparison: prepareForShare(comparison) });
      if (!result?.ok) continue;
      expect(result.comparison.runs.map((run) => run.config)).toEqual(comparison.runs.map((run) => run.config));
    }
  });

  it('downsamples series for a link', () => {
    const comparison = visionComparison();
    const prepared = prepareForShare(comparison);
    const full = comparison.runs[0].results!.series.trainLoss;
    const shared = prepared.runs[0].results!.series.trainLoss;
    expect(full.steps.length).toBe(500);
    expect(shared.steps.length).toBeLessThanOrEqual(SHARE_MAX_POINTS);
    expect(shared.steps[0]).toBe(1);
    expect(shared.steps[shared.steps.length - 1]).toBe(500);
    expect(prepared.runs[0].results!.summary.peakMemoryBytes).toEqual(comparison.runs[0].results!.summary.peakMemoryBytes);
  });

  it('reads a percent-encoded hash', () => {
    const payload = encodeComparison(languageModelComparison());
    const encoded = payload.replaceAll('$', '%24').replaceAll('+', '%2B');
    expect(readShareHash('#' + encoded)?.ok).toBe(true);
  });

  it('returns null for an empty hash', () => {
    expect(readShareHash('')).toBeNull();
    expect(readShareHash('#')).toBeNull();
  });

  it('marks a running run as interrupted', () => {
    const comparison = languageModelComparison();
    comparison.runs[1].results!.summary.status = 'running';
    const result = decodeComparison(encodeComparison(comparison));
    if (!result.ok) throw new Error(result.error);
    expect(result.comparison.runs[1].results!.summary.status).toBe('interrupted');
  });
});

describe('share link rejects', () => {
  it('an unknown version, naming the supported ones', () => {
    const error = errorOf(decodeComparison(payloadOf(JSON.stringify(languageModelComparison()), 3)));
    expect(error).toContain('version v3');
    expect(error).toContain('it reads v1, v2');
  });

  it('data without a version prefix', () => {
    expect(errorOf(readShareHash('#section-2'))).toContain('must start with a version such as "v2."');
  });

  it('a character outside the alphabet', () => {
    const payload = payloadOf(JSON.stringify(languageModelComparison()));
    const corrupt = payload.slice(0, 40) + '*' + payload.slice(41);
    expect(errorOf(decodeComparison(corrupt))).toContain('compressed data is corrupt: character "*" at offset 37');
  });

  it('a truncated payload', () => {
    const payload = encodeComparison(languageModelComparison());
    expect(errorOf(decodeComparison(payload.slice(0, payload.length >> 1)))).toContain('does not match its checksum (the checksum is missing)');
    const unchecked = payloadOf(JSON.stringify(languageModelComparison()));
    expect(errorOf(decodeComparison(unchecked.slice(0, unchecked.length >> 1)))).toContain('ends before its end marker');
  });

  it('characters after the end marker', () => {
    const payload = payloadOf(JSON.stringify(languageModelComparison()));
    expect(errorOf(decodeComparison(payload + 'QQ'))).toMatch(/compressed data is corrupt: .*follow the end marker/);
  });

  it('a tampered character', () => {
    const payload = encodeComparison(visionComparison());
    const middle = payload.length >> 1;
    const replacement = payload[middle] === 'B' ? 'C' : 'B';
    const result = decodeComparison(payload.slice(0, middle) + replacement + payload.slice(middle + 1));
    expect(errorOf(result)).toContain('does not match its checksum');
  });

  it('any changed character of a link', () => {
    // Without the checksum, some single changes still decompressed into a valid comparison with
    // altered text (a label or the sample prompt).
    const payload = encodeComparison(visionComparison());
    for (let i = 3; i < payload.length; i++) {
      if (payload[i] === '.') continue;
      const replacement = payload[i] === 'A' ? 'B' : 'A';
      const result = decodeComparison(payload.slice(0, i) + replacement + payload.slice(i + 1));
      expect(result.ok, `character ${i}`).toBe(false);
    }
  });

  it('text that is not JSON', () => {
    expect(errorOf(decodeComparison(payloadOf('{"format": "comparison", ')))).toContain('not valid JSON');
  });

  it('JSON that is not an object', () => {
    expect(errorOf(decodeComparison(payloadOf('[1, 2]')))).toBe("The link's data must be a JSON object, but it is an array.");
    expect(errorOf(decodeComparison(payloadOf('"text"')))).toBe('The link\'s data must be a JSON object, but it is a string ("text").');
  });

  it('wrong types by field and value', () => {
    const comparison = languageModelComparison() as unknown as Record<string, unknown>;
    const result = decodeComparison(payloadOf(JSON.stringify({ ...comparison, seed: '7' })));
    expect(errorOf(result)).toContain("The link's comparison is invalid");
    expect(problemsOf(result)).toEqual(['seed must be integer (got "7")']);
  });

  it('an out-of-range hyperparameter with the run form message', () => {
    const comparison = languageModelComparison();
    (comparison.runs[0].config.optimizer as { learningRate: number }).learningRate = -1;
    const result = decodeComparison(payloadOf(JSON.stringify(comparison)));
    expect(problemsOf(result)).toEqual(['runs.0.config.optimizer.learningRate must be > 0 (got -1)']);
  });

  it('an out-of-range series value', () => {
    const comparison = visionComparison();
    comparison.runs[1].results!.series.accuracy!.values[3] = 1.5;
    const result = decodeComparison(payloadOf(JSON.stringify(comparison)));
    expect(problemsOf(result)).toEqual(['runs.1.results.series.accuracy.values.3 must be <= 1 (got 1.5)']);
  });

  it('runs that disagree on the seed', () => {
    const comparison = languageModelComparison();
    comparison.runs[1].config.seed = 8;
    const result = decodeComparison(payloadOf(JSON.stringify(comparison)));
    expect(problemsOf(result)).toEqual(["runs.1.config.seed must equal the comparison's seed 7 (got 8)"]);
  });

  it('a payload above the length cap before decompressing', () => {
    const error = errorOf(decodeComparison('v1.' + 'A'.repeat(MAX_LINK_PAYLOAD_LENGTH)));
    expect(error).toBe(`The link is too long: its data has ${MAX_LINK_PAYLOAD_LENGTH + 3} characters, and the limit is ${MAX_LINK_PAYLOAD_LENGTH}.`);
    expect(errorOf(readShareHash('#v1.' + '%'.repeat(MAX_LINK_PAYLOAD_LENGTH)))).toContain('The link is too long');
  });

  it('a small payload that expands past the cap, stopping early', () => {
    const codes = 20_000;
    const payload = craftExpandingPayload(codes);
    const fullLength = ((codes + 1) * (codes + 2)) / 2;
    expect(payload.length).toBeLessThan(MAX_LINK_PAYLOAD_LENGTH / 4);
    expect(fullLength).toBeGreaterThan(100 * MAX_LINK_JSON_LENGTH);

    let thrown: unknown;
    try {
      decompressBounded(payload, MAX_LINK_JSON_LENGTH);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DecompressionError);
    const stopped = thrown as DecompressionError;
    expect(stopped.overLimit).toBe(true);
    // About sqrt(2 · cap) = 2000 of the 20,000 codes are read before the cap stops decoding.
    expect(stopped.inputOffset).toBeLessThan(payload.length / 5);

    const error = errorOf(decodeComparison('v1.' + payload));
    expect(error).toContain(`expands to more than ${MAX_LINK_JSON_LENGTH} characters`);
  });
});

describe('link checksum', () => {
  it('matches the CRC-32 check value', () => {
    expect(crc32Hex('123456789')).toBe('cbf43926');
  });

  it('covers the empty string and non-ASCII text', () => {
    expect(crc32Hex('')).toBe('00000000');
    expect(crc32Hex('é')).toBe(crc32Hex('\u00e9'));
    expect(crc32Hex('é')).not.toBe(crc32Hex('e'));
  });
});

describe('bounded decompressor', () => {
  it('matches lz-string on the crafted stream', () => {
    const payload = craftExpandingPayload(40);
    const expected = 'a'.repeat((41 * 42) / 2);
    expect(LZString.decompressFromEncodedURIComponent(payload)).toBe(expected);
    expect(decompressBounded(payload, expected.length)).toBe(expected);
    expect(() => decompressBounded(payload, expected.length - 1)).toThrow(/expands to more than/);
  });

  it('inverts lz-string on varied text', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabets = ['ab', '{}[]":,0123456789.e-abc', 'aé€😀x\u0000\uffff'];
    const texts = ['', 'a', JSON.stringify(languageModelComparison())];
    for (let n = 0; n < 300; n++) {
      const alphabet = alphabets[n % alphabets.length];
      const length = Math.floor(random() * random() * 3000);
      let text = '';
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      texts.push(text);
    }
    for (const text of texts) {
      expect(decompressBounded(LZString.compressToEncodedURIComponent(text), 1e6)).toBe(text);
    }
  });

  it('reads a space as a plus sign', () => {
    const text = 'x'.repeat(50) + '~~~~' + 'é';
    const compressed = LZString.compressToEncodedURIComponent(text);
    expect(compressed).toContain('+');
    expect(decompressBounded(compressed.replaceAll('+', ' '), 1000)).toBe(text);
  });
});

describe('share link encoder', () => {
  it('rejects an invalid comparison', () => {
    const comparison = languageModelComparison();
    (comparison as unknown as { seed: number }).seed = -1;
    expect(() => encodeComparison(comparison)).toThrow(/seed must be >= 0 \(got -1\)/);
  });

  it('rejects an invalid base URL', () => {
    expect(() => shareUrl('not a url', languageModelComparison())).toThrow('is not a valid absolute URL');
  });

  it('keeps fewer points when a link would be too long', () => {
    const comparison = languageModelComparison();
    // Random 2000-character prompts and noisy series compress poorly: 16 such runs need more than
    // 200,000 characters at 200 points per series, and fit at 100.
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const runs = Array.from({ length: 16 }, (_, index) => {
      const run = structuredClone(comparison.runs[index % 2]);
      run.id = `run-${index}`;
      run.config.steps = 5000;
      (run.config as { samplePrompt: string }).samplePrompt = Array.from({ length: 2000 }, () => String.fromCharCode(0x4e00 + Math.floor(random() * 20000))).join('');
      for (const key of ['trainLoss', 'evalLoss', 'elapsedMs'] as const) {
        const series = run.results!.series[key];
        series.steps = Array.from({ length: 5000 }, (_, i) => i + 1);
        series.values = series.steps.map((step) => (key === 'elapsedMs' ? step * 3.1 : 0) + random() * 3);
      }
      return run;
    });
    const large: Comparison = { ...comparison, runs };
    expect(() => encodeComparison(prepareForShare(large))).toThrow(/more than the 200000 a link may have/);
    const url = shareUrl('http://127.0.0.1:5173/', large);
    expect(url.length).toBeLessThanOrEqual(MAX_LINK_PAYLOAD_LENGTH + 30);
    const result = readShareHash(new URL(url).hash);
    expect(result?.ok).toBe(true);
    if (!result?.ok) return;
    expect(result.comparison.runs[0].results!.series.trainLoss.steps.length).toBe(SHARE_MAX_POINTS / 2);
  });
});
