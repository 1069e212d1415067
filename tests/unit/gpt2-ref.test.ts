import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crossEntropyRef, maskedMeanRef } from '../../kernels/crossentropy/crossentropy.ref';
import { geluRef } from '../../kernels/gelu/gelu.ref';
import { parseGpt2Config, type Gpt2Config } from '../../app/model/gpt2-config';
import { validateGpt2Weights } from '../../app/model/gpt2-weights';
import { gpt2ForwardRef } from '../../app/model/gpt2.ref';
import { parseSafetensors } from '../../app/model/safetensors';

const MODEL_DIR = new URL('../../public/models/gpt2-moby/', import.meta.url);
const LOSS_TOLERANCE = 1e-4;
const LOGIT_TOLERANCE = 1e-3;

interface FixtureSequence {
  offset: number;
  inputIds: number[];
  targetIds: number[];
  losses: number[];
  meanLoss: number;
  lastLogitsFirst8: number[];
}

interface Fixture {
  sequenceLength: number;
  sequences: FixtureSequence[];
  meanLoss: number;
}

function loadEmbedded(): { config: Gpt2Config; weights: Map<string, Float32Array> } {
  const config = parseGpt2Config(readFileSync(new URL('config.json', MODEL_DIR), 'utf8'), 'config.json');
  const bytes = readFileSync(new URL('model.safetensors', MODEL_DIR));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { config, weights: validateGpt2Weights(parseSafetensors(buffer, 'model.safetensors'), config, 'model.safetensors') };
}

/** Largest |a - b| and where it happens, so a failure shows the worst position. */
function maxDifference(expected: number[], actual: ArrayLike<number>): { index: number; difference: number } {
  let worst = { index: -1, difference: 0 };
  expected.forEach((value, index) => {
    const difference = Math.abs(value - actual[index]);
    if (!(difference <= worst.difference)) worst = { index, difference };
  });
  return worst;
}

describe('gpt2ForwardRef on the embedded model', () => {
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/gpt2-moby-reference.json', import.meta.url), 'utf8')) as Fixture;
  const { config, weights } = loadEmbedded();
  const T = fixture.sequenceLength;

  for (const [index, sequence] of fixture.sequences.entries()) {
    describe(`sequence ${index} at byte ${sequence.offset}`, () => {
      const result = gpt2ForwardRef(config, weights, Uint32Array.from(sequence.inputIds), Uint32Array.from(sequence.targetIds), new Float32Array(T).fill(1), 1, T);

      it('matches torch per-token losses', () => {
        const worst = maxDifference(sequence.losses, result.losses);
        expect(worst.difference, `largest loss error at position ${worst.index}`).toBeLessThanOrEqual(LOSS_TOLERANCE);
      });

      it('matches torch mean loss', () => {
        expect(Math.abs(result.meanLoss - sequence.meanLoss)).toBeLessThanOrEqual(LOSS_TOLERANCE);
      });

      it('matches torch last-position logits', () => {
        const lastRow = result.logits.subarray((T - 1) * config.vocabSize, (T - 1) * config.vocabSize + 8);
        const worst = maxDifference(sequence.lastLogitsFirst8, lastRow);
        expect(worst.difference, `largest logit error at vocabulary index ${worst.index}`).toBeLessThanOrEqual(LOGIT_TOLERANCE);
      });
    });
  }

  it('batches both sequences with the same result', () => {
    const inputs = Uint32Array.from(fixture.sequences.flatMap((s) => s.inputIds));
    const targets = Uint32Array.from(fixture.sequences.flatMap((s) => s.targetIds));
    const result = gpt2ForwardRef(config, weights, inputs, targets, new Float32Array(2 * T).fill(1), 2, T);
    expect(Math.abs(result.meanLoss - fixture.meanLoss)).toBeLessThanOrEqual(LOSS_TOLERANCE);
  });

  it('averages only masked-in positions', () => {
    const sequence = fixture.sequences[0];
    const mask = new Float32Array(T);
    mask.fill(1, T / 2);
    const result = gpt2ForwardRef(config, weights, Uint32Array.from(sequence.inputIds), Uint32Array.from(sequence.targetIds), mask, 1, T);
    const expected = sequence.losses.slice(T / 2).reduce((a, b) => a + b, 0) / (T / 2);
    expect(Math.abs(result.meanLoss - expected)).toBeLessThanOrEqual(LOSS_TOLERANCE);
    expect(result.losses[0]).toBe(0);
  });

  it('rejects a mask value other than 0 or 1', () => {
    const sequence = fixture.sequences[0];
    const mask = new Float32Array(T).fill(1);
    mask[3] = 0.5;
    expect(() => gpt2ForwardRef(config, weights, Uint32Array.from(sequence.inputIds), Uint32Array.from(sequence.targetIds), mask, 1, T)).toThrow(/mask at position 3 is 0.5, expected 0 or 1/);
  });

  it('rejects a window longer than the context', () => {
    const T2 = config.nPositions + 1;
    expect(() => gpt2ForwardRef(config, weights, new Uint32Array(T2), new Uint32Array(T2), new Float32Array(T2), 1, T2)).toThrow(/T=129 exceeds the model context n_positions=128/);
  });
});

describe('reference building blocks', () => {
  it('computes gelu tanh at known points', () => {
    const [atZero, atOne, atMinusOne] = geluRef(Float32Array.from([0, 1, -1]));
    expect(atZero).toBe(0);
    expect(atOne).toBeCloseTo(0.8411920, 6);
    expect(atMinusOne).toBeCloseTo(-0.1588080, 6);
  });

  it('computes cross-entropy of uniform logits as log V', () => {
    const mask = Float32Array.from([1, 1]);
    const losses = crossEntropyRef(new Float32Array(8), Uint32Array.from([3, 1]), mask, 2, 4);
    expect(losses[0]).toBeCloseTo(Math.log(4), 6);
    expect(maskedMeanRef(losses, mask, 2)).toBeCloseTo(Math.log(4), 6);
  });
});
