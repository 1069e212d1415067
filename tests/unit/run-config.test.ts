import { describe, expect, it } from 'vitest';
import {
  assertRunConfig,
  DEFAULT_ADAMW,
  DEFAULT_CONFIG,
  DEFAULT_MEZO,
  DEFAULT_SHAMPOO32,
  DEFAULT_SHAMPOO4,
  DEFAULT_SGD,
  DEFAULT_VISION_CONFIG,
  validateRunConfig,
} from '../../app/run/config';

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
    expect(problems).toContain('optimizer.name must be one of "mezo", "subzero" for the language-model task (got "adam")');
  });

  it('reports a missing field', () => {
    const { seed: _seed, ...withoutSeed } = DEFAULT_CONFIG;
    expect(validateRunConfig(withoutSeed)).toEqual(['config: missing field "seed"']);
  });

  it('lists every problem in one error', () => {
    expect(() => assertRunConfig({ ...DEFAULT_CONFIG, steps: 0, sequenceLength: 1 })).toThrow(/steps must be >= 1 \(got 0\)[\s\S]*sequenceLength must be >= 2 \(got 1\)|sequenceLength must be >= 2 \(got 1\)[\s\S]*steps must be >= 1 \(got 0\)/);
  });
});

describe('vision run config', () => {
  it('accepts the defaults of every vision optimizer', () => {
    for (const optimizer of [DEFAULT_SGD, DEFAULT_ADAMW, DEFAULT_SHAMPOO32, DEFAULT_SHAMPOO4]) {
      expect(validateRunConfig({ ...DEFAULT_VISION_CONFIG, optimizer }), optimizer.name).toEqual([]);
    }
    expect(validateRunConfig({ ...DEFAULT_VISION_CONFIG, optimizer: { ...DEFAULT_SHAMPOO32, base: DEFAULT_ADAMW } })).toEqual([]);
  });

  it('names an out-of-range Shampoo period and base learning rate', () => {
    const problems = validateRunConfig({
      ...DEFAULT_VISION_CONFIG,
      optimizer: { ...DEFAULT_SHAMPOO4, rootPeriod: 0, base: { ...DEFAULT_SGD, learningRate: -1 } },
    });
    expect(problems).toContain('optimizer.rootPeriod must be >= 1 (got 0)');
    expect(problems).toContain('optimizer.base.learningRate must be > 0 (got -1)');
    expect(problems).toHaveLength(2);
  });

  it('rejects a language-model optimizer on the vision task and an unknown codebook', () => {
    expect(validateRunConfig({ ...DEFAULT_VISION_CONFIG, optimizer: DEFAULT_MEZO })).toContain(
      'optimizer.name must be one of "sgd", "adamw", "shampoo32", "shampoo4" for the vision task (got "mezo")',
    );
    expect(validateRunConfig({ ...DEFAULT_VISION_CONFIG, optimizer: { ...DEFAULT_SHAMPOO4, codebook: 'nf4' } })).toEqual([
      'optimizer.codebook must be one of "linear-2", "dynamic-tree" (got "nf4")',
    ]);
  });

  it('rejects an unknown task and architecture', () => {
    expect(validateRunConfig({ ...DEFAULT_VISION_CONFIG, task: 'audio' })).toEqual(['task must be "language-model" or "vision" (got "audio")']);
    expect(validateRunConfig({ ...DEFAULT_VISION_CONFIG, model: { kind: 'builtin', architecture: 'resnet' } })).toContain(
      'model.architecture must be "mlp" or "cnn" (got "resnet")',
    );
  });
});
