import { describe, expect, it } from 'vitest';
import { assertRunConfig, DEFAULT_CONFIG, DEFAULT_MEZO, validateRunConfig } from '../../app/run/config';

describe('run config validation', () => {
  it('accepts the defaults', () => {
    expect(validateRunConfig(DEFAULT_CONFIG)).toEqual([]);
    expect(validateRunConfig({ ...DEFAULT_CONFIG, optimizer: DEFAULT_MEZO })).toEqual([]);
  });

  it('names an out-of-range value', () => {
    const problems = validateRunConfig({ ...DEFAULT_CONFIG, optimizer: { ...DEFAULT_CONFIG.optimizer, learningRate: -1 } });
    expect(problems).toEqual(['optimizer.learningRate must be > 0 (got -1)']);
  });

  it('names a wrong type', () => {
    const problems = validateRunConfig({ ...DEFAULT_CONFIG, batchSize: 'sixteen' });
    expect(problems).toEqual(['batchSize must be integer (got "sixteen")']);
  });

  it('rejects SubZero fields on MeZO', () => {
    const problems = validateRunConfig({ ...DEFAULT_CONFIG, optimizer: { ...DEFAULT_MEZO, rank: 8 } });
    expect(problems).toEqual(['optimizer: unknown field "rank"']);
  });

  it('rejects an unknown optimizer', () => {
    const problems = validateRunConfig({ ...DEFAULT_CONFIG, optimizer: { name: 'adam', learningRate: 1e-3 } });
    expect(problems).toContain('optimizer.name must be "mezo" or "subzero" (got "adam")');
  });

  it('reports a missing field', () => {
    const { seed: _seed, ...withoutSeed } = DEFAULT_CONFIG;
    expect(validateRunConfig(withoutSeed)).toEqual(['config: missing field "seed"']);
  });

  it('lists every problem in one error', () => {
    expect(() => assertRunConfig({ ...DEFAULT_CONFIG, steps: 0, sequenceLength: 1 })).toThrow(/steps must be >= 1 \(got 0\)[\s\S]*sequenceLength must be >= 2 \(got 1\)|sequenceLength must be >= 2 \(got 1\)[\s\S]*steps must be >= 1 \(got 0\)/);
  });
});
