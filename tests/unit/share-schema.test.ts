import { describe, expect, it } from 'vitest';
import { MAX_REPORTED_PROBLEMS, assertComparison, validateComparison, type Comparison } from '../../app/share';
import { languageModelComparison, visionComparison } from './share-fixtures';

/** Copies a comparison as plain JSON, so a test can put any value anywhere. */
function editable(comparison: Comparison): Record<string, any> {
  return JSON.parse(JSON.stringify(comparison));
}

describe('comparison validation', () => {
  it('accepts both fixtures', () => {
    expect(validateComparison(languageModelComparison())).toEqual([]);
    expect(validateComparison(visionComparison())).toEqual([]);
  });

  it('accepts a comparison without results', () => {
    const value = editable(languageModelComparison());
    for (const run of value.runs) delete run.results;
    expect(validateComparison(value)).toEqual([]);
  });

  it('rejects values that are not objects', () => {
    expect(validateComparison(null)).toEqual(['comparison must be a JSON object (got null)']);
    expect(validateComparison([])).toEqual(['comparison must be a JSON object (got an array)']);
    expect(validateComparison(3)).toEqual(['comparison must be a JSON object (got number)']);
  });

  it('names missing and unknown fields', () => {
    const value = editable(languageModelComparison());
    delete value.seed;
    value.extra = 1;
    value.runs[0].results.summary.unknown = true;
    expect(validateComparison(value)).toEqual([
      'comparison: missing field "seed"',
      'comparison: unknown field "extra"',
      'runs.0.results.summary: unknown field "unknown"',
    ]);
  });

  it('rejects another format version', () => {
    const value = editable(languageModelComparison());
    value.version = 2;
    expect(validateComparison(value)).toEqual(['version must be 1 (got 2)']);
  });

  it('names an unknown source kind', () => {
    const value = editable(languageModelComparison());
    value.dataset = { kind: 'url', href: 'https://example.invalid/data.txt' };
    expect(validateComparison(value)).toEqual(['dataset.kind must be one of "embedded", "upload" (got "url")']);
  });

  it('rejects a model of the other task', () => {
    const value = editable(languageModelComparison());
    value.model = { kind: 'builtin', architecture: 'mlp' };
    for (const run of value.runs) run.config.model = { kind: 'builtin', architecture: 'mlp' };
    const problems = validateComparison(value);
    expect(problems).toContain('runs.0.config.model: unknown field "architecture"');
  });

  it('names a run config problem by run', () => {
    const value = editable(visionComparison());
    value.runs[1].config.optimizer.rootPeriod = 0;
    delete value.runs[0].config.batchSize;
    expect(validateComparison(value)).toEqual(['runs.0.config: missing field "batchSize"', 'runs.1.config.optimizer.rootPeriod must be >= 1 (got 0)']);
  });

  it('rejects runs that disagree', () => {
    const value = editable(visionComparison());
    value.runs[1].config.model = { kind: 'builtin', architecture: 'cnn' };
    value.runs[1].config.dataset = { kind: 'embedded', id: 'fashion-mnist' };
    value.runs[0].config.seed = 4;
    expect(validateComparison(value)).toEqual([
      "runs.0.config.seed must equal the comparison's seed 3 (got 4)",
      `runs.1.config.model must equal the comparison's model {"kind":"builtin","architecture":"mlp"} (got {"kind":"builtin","architecture":"cnn"})`,
      `runs.1.config.dataset must equal the comparison's dataset {"kind":"upload","name":"train-images.gz, train-labels.gz","size":1234} (got {"kind":"embedded","id":"fashion-mnist"})`,
    ]);
  });

  it('rejects a run of another task', () => {
    const vision = editable(visionComparison());
    const languageModel = editable(languageModelComparison());
    vision.runs[1].config = languageModel.runs[0].config;
    const problems = validateComparison(vision);
    expect(problems).toContain(`runs.1.config.task must equal the comparison's task "vision" (got "language-model")`);
  });

  it('rejects repeated run ids', () => {
    const value = editable(languageModelComparison());
    value.runs[1].id = value.runs[0].id;
    expect(validateComparison(value)).toEqual(['runs.1.id "subzero" repeats runs.0.id; run ids must be unique']);
  });

  it('rejects a colour that is not hex', () => {
    const value = editable(languageModelComparison());
    value.runs[0].colour = 'red;background:url(x)';
    expect(validateComparison(value)).toEqual(['runs.0.colour must match pattern "^#[0-9a-fA-F]{6}$" (got "red;background:url(x)")']);
  });

  it('rejects an id unsafe as a file name', () => {
    const value = editable(languageModelComparison());
    value.runs[0].id = '../escape';
    expect(validateComparison(value)).toEqual(['runs.0.id must match pattern "^[a-z0-9][a-z0-9-]{0,63}$" (got "../escape")']);
  });

  it('rejects series steps out of order', () => {
    const value = editable(languageModelComparison());
    value.runs[0].results.series.trainLoss.steps[5] = 3;
    expect(validateComparison(value)).toEqual(['runs.0.results.series.trainLoss.steps.5 must be greater than the previous step 5 (got 3)']);
  });

  it('rejects steps past the run', () => {
    const value = editable(languageModelComparison());
    const series = value.runs[1].results.series.evalLoss;
    series.steps[series.steps.length - 1] = 61;
    value.runs[1].results.summary.stepsDone = 70;
    expect(validateComparison(value)).toEqual([
      "runs.1.results.series.evalLoss.steps.6 must be <= 60, the run's steps (got 61)",
      "runs.1.results.summary.stepsDone must be <= 60, the run's steps (got 70)",
    ]);
  });

  it('rejects series of unequal lengths', () => {
    const value = editable(languageModelComparison());
    value.runs[0].results.series.elapsedMs.values.pop();
    expect(validateComparison(value)).toEqual(['runs.0.results.series.elapsedMs: steps has 61 entries but values has 60']);
  });

  it('rejects accuracy on a language model', () => {
    const value = editable(languageModelComparison());
    value.runs[0].results.series.accuracy = { steps: [0], values: [0.5] };
    value.runs[0].results.summary.bestAccuracy = 0.5;
    expect(validateComparison(value)).toEqual([
      'runs.0.results.series.accuracy: only vision runs record accuracy',
      'runs.0.results.summary.bestAccuracy: only vision runs record accuracy',
    ]);
  });

  it('rejects negative and non-finite values', () => {
    const value = editable(languageModelComparison());
    value.runs[0].results.series.trainLoss.values[0] = -0.5;
    value.runs[0].results.summary.peakMemoryBytes.weights = 1.5;
    expect(validateComparison(value)).toEqual([
      'runs.0.results.series.trainLoss.values.0 must be >= 0 (got -0.5)',
      'runs.0.results.summary.peakMemoryBytes.weights must be integer (got 1.5)',
    ]);
    const inMemory = languageModelComparison();
    inMemory.runs[0].results!.series.evalLoss.values[1] = Number.NaN;
    expect(validateComparison(inMemory)).toEqual(['runs.0.results.series.evalLoss.values.1 must be number (got NaN)']);
  });

  it('requires a message on an error status', () => {
    const value = editable(languageModelComparison());
    value.runs[0].results.summary.status = 'error';
    expect(validateComparison(value)).toEqual(['runs.0.results.summary: missing field "message"']);
    value.runs[0].results.summary.status = 'lost';
    delete value.runs[0].results.summary.message;
    expect(validateComparison(value)).toEqual(['runs.0.results.summary.status must be one of "running", "completed", "stopped", "interrupted", "error" (got "lost")']);
  });

  it('checks uploaded dataset references', () => {
    const value = editable(visionComparison());
    value.dataset.files[0].sha256 = 'ABC';
    expect(validateComparison(value)).toEqual(['dataset.files.0.sha256 must match pattern "^[0-9a-f]{64}$" (got "ABC")']);
    const resized = editable(visionComparison());
    resized.dataset.files[1].size = 35;
    expect(validateComparison(resized)).toEqual(['dataset.size must equal the total size of dataset.files, 1235 bytes (got 1234)']);
    const bare = editable(visionComparison());
    delete bare.dataset.files;
    expect(validateComparison(bare)).toEqual(['dataset: missing field "files"']);
  });

  it('bounds the number of runs', () => {
    const value = editable(languageModelComparison());
    value.runs = Array.from({ length: 17 }, (_, i) => ({ ...value.runs[0], id: `run-${i}` }));
    expect(validateComparison(value)).toEqual(['runs must NOT have more than 16 items (got an array of 17 items)']);
  });

  it('caps the list of problems', () => {
    const value = editable(languageModelComparison());
    value.runs[0].results.series.trainLoss.values = value.runs[0].results.series.trainLoss.values.map(() => -1);
    const problems = validateComparison(value);
    expect(problems).toHaveLength(MAX_REPORTED_PROBLEMS + 1);
    expect(problems[MAX_REPORTED_PROBLEMS]).toBe('... and 40 more problems');
  });

  it('shortens long values in messages', () => {
    const value = editable(languageModelComparison());
    value.title = 'x'.repeat(5000);
    const [problem] = validateComparison(value);
    expect(problem.startsWith('title must NOT have more than 200 characters (got "xxx')).toBe(true);
    expect(problem.length).toBeLessThan(200);
  });

  it('throws every problem from assertComparison', () => {
    const value = editable(languageModelComparison());
    value.seed = -1;
    value.runs[0].label = '';
    expect(() => assertComparison(value)).toThrow('Invalid comparison:\n- seed must be >= 0 (got -1)\n- runs.0.label must NOT have fewer than 1 characters (got "")');
  });
});
