/**
 * The comparison CLI as a person runs it. Each run of a comparison file trains on the GPU (Dawn on
 * a CPU Vulkan driver here) and writes its own JSON-lines file, and --share prints a link that
 * decodes back to the same configs. Bad input gives a clear message before any GPU work.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, DEFAULT_MEZO, DEFAULT_SHAMPOO32, DEFAULT_SHAMPOO4, DEFAULT_SUBZERO, DEFAULT_VISION_CONFIG } from '../../app/run/config';
import type { LanguageModelRunConfig, RunConfig, VisionRunConfig } from '../../app/run/types';
import { buildComparison, decodeComparison, fileReference, type Comparison } from '../../app/share';

const ROOT = new URL('../../', import.meta.url).pathname;

function train(args: string[]) {
  const result = spawnSync('bash', ['scripts/node-gpu.sh', 'cli/train.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeJson(value: unknown): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'compare-cli-'));
  const file = join(dir, 'comparison.json');
  writeFileSync(file, JSON.stringify(value, null, 2));
  return { dir, file };
}

function readLines(path: string): Array<Record<string, any>> {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
}

/** Decodes the link printed on stdout. */
function decodeLink(stdout: string, base: string): Comparison {
  const url = stdout.trim();
  expect(url.startsWith(`${base}#v2.`)).toBe(true);
  const result = decodeComparison(new URL(url).hash);
  if (!result.ok) throw new Error(result.error);
  return result.comparison;
}

const TINY_VISION: VisionRunConfig = {
  ...DEFAULT_VISION_CONFIG,
  model: { kind: 'builtin', architecture: 'mlp' },
  steps: 3,
  batchSize: 8,
  evalEvery: 3,
  evalExamples: 40,
  seed: 3,
};

const TINY_LANGUAGE_MODEL: LanguageModelRunConfig = { ...DEFAULT_CONFIG, steps: 3, batchSize: 2, sequenceLength: 32, evalEvery: 3, evalBatches: 1, sampleTokens: 4, seed: 5 };

describe('train CLI, comparison', () => {
  it('runs 4-bit against 32-bit Shampoo', () => {
    const comparison = buildComparison([
      { ...TINY_VISION, optimizer: DEFAULT_SHAMPOO4 },
      { ...TINY_VISION, optimizer: DEFAULT_SHAMPOO32 },
    ]);
    // Results in the file are ignored, even invalid ones.
    const input = JSON.parse(JSON.stringify(comparison));
    input.runs[0].results = { bogus: true };
    const { dir, file } = writeJson(input);
    const out = join(dir, 'runs');
    const { code, stdout, stderr } = train(['--comparison', file, '--out', out, '--share', 'https://example.test/playground/']);
    expect(stderr).toContain('run 1/2: shampoo4 (shampoo4)');
    expect(stderr).toContain('[shampoo32] finished (completed) after 3 steps');
    expect(code).toBe(0);

    for (const id of ['shampoo4', 'shampoo32']) {
      const lines = readLines(join(out, `${id}.jsonl`));
      expect(lines.map((line) => line.step)).toEqual([0, 1, 2, 3]);
      expect(lines[3].accuracy).toBeGreaterThanOrEqual(0);
      expect(lines[3].accuracy).toBeLessThanOrEqual(1);
      expect(lines[1].memoryBytes.preconditioner).toBeGreaterThan(0);
    }

    const shared = decodeLink(stdout, 'https://example.test/playground/');
    expect(shared.runs.map((run) => run.config)).toEqual(comparison.runs.map((run) => run.config));
    for (const run of shared.runs) {
      expect(run.results?.summary.status).toBe('completed');
      expect(run.results?.summary.stepsDone).toBe(3);
      expect(run.results?.series.trainLoss.steps).toEqual([1, 2, 3]);
      expect(run.results?.series.accuracy?.steps).toEqual([0, 3]);
    }
    const lines = readLines(join(out, 'shampoo4.jsonl'));
    expect(shared.runs[0].results?.series.trainLoss.values[2]).toBeCloseTo(lines[3].loss, 4);
    expect(shared.runs[0].results?.summary.peakMemoryBytes.preconditioner).toBe(lines[3].memoryBytes.preconditioner);
    // 4-bit Shampoo keeps its eigenvectors and roots in fewer bytes than 32-bit Shampoo.
    expect(shared.runs[0].results!.summary.peakMemoryBytes.preconditioner!).toBeLessThan(shared.runs[1].results!.summary.peakMemoryBytes.preconditioner!);

    const saved = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8')) as Comparison;
    expect(saved.runs.map((run) => run.config)).toEqual(comparison.runs.map((run) => run.config));
    expect(saved.runs[1].results?.series.trainLoss.values).toEqual(readLines(join(out, 'shampoo32.jsonl')).slice(1).map((line) => line.loss));
  });

  it('warns when rootPeriod is shorter than factorPeriod', () => {
    const comparison = buildComparison([{ ...TINY_VISION, steps: 1, optimizer: { ...DEFAULT_SHAMPOO32, factorPeriod: 10, rootPeriod: 5 } }]);
    const { dir, file } = writeJson(comparison);
    const { code, stderr } = train(['--comparison', file, '--out', join(dir, 'runs')]);
    expect(code).toBe(0);
    expect(stderr).toContain('warning: run shampoo32: rootPeriod 5 is shorter than factorPeriod 10');
  });

  it('runs SubZero against MeZO', () => {
    const comparison = buildComparison([
      { ...TINY_LANGUAGE_MODEL, optimizer: DEFAULT_SUBZERO },
      { ...TINY_LANGUAGE_MODEL, optimizer: DEFAULT_MEZO },
    ]);
    const { dir, file } = writeJson(comparison);
    const { code, stdout, stderr } = train(['--comparison', file, '--out', dir, '--share']);
    expect(stderr).toContain('[mezo] finished (completed) after 3 steps');
    expect(code).toBe(0);

    for (const id of ['subzero', 'mezo']) {
      const lines = readLines(join(dir, `${id}.jsonl`));
      expect(lines.map((line) => line.step)).toEqual([0, 1, 2, 3]);
      expect(lines[3].evalLoss).toBeGreaterThan(0);
    }
    const shared = decodeLink(stdout, 'http://127.0.0.1:5173/');
    expect(shared.runs.map((run) => run.config)).toEqual(comparison.runs.map((run) => run.config));
    expect(shared.runs[1].results?.series.evalLoss.steps).toEqual([0, 3]);
    expect(shared.runs[1].results?.series.accuracy).toBeUndefined();
    // Samples before and after fine-tuning, and the log, travel with each run's results.
    for (const run of shared.runs) {
      expect(run.results?.samples?.before?.step).toBe(0);
      expect(run.results?.samples?.after?.step).toBe(3);
      expect(run.results?.samples?.after?.text.length).toBeGreaterThan(0);
      expect(run.results?.log?.length).toBeGreaterThan(0);
    }
    const saved = JSON.parse(readFileSync(join(dir, 'comparison.json'), 'utf8')) as Comparison;
    expect(saved.runs[0].results?.samples?.after?.prompt).toBe(shared.runs[0].results?.samples?.after?.prompt);
  });

  it('checks an uploaded dataset by SHA-256', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'compare-cli-upload-'));
    const text = 'The state of the union is strong, and the budget is balanced.\n'.repeat(40);
    const datasetPath = join(dir, 'speeches.txt');
    writeFileSync(datasetPath, text);
    const bytes = new TextEncoder().encode(text);
    const reference = await fileReference({ name: 'speeches.txt', bytes });
    const config: RunConfig = { ...TINY_LANGUAGE_MODEL, steps: 2, evalEvery: 2, sampleTokens: 0, dataset: { kind: 'upload', name: 'speeches.txt', size: bytes.length }, optimizer: DEFAULT_MEZO };
    const comparison = buildComparison([config], { datasetFiles: [reference] });
    const { file } = writeJson(comparison);

    const out = join(dir, 'out');
    const good = train(['--comparison', file, '--out', out, '--dataset', datasetPath]);
    expect(good.stderr).toContain('[mezo] finished (completed) after 2 steps');
    expect(good.code).toBe(0);
    expect(readLines(join(out, 'mezo.jsonl')).map((line) => line.step)).toEqual([0, 1, 2]);

    const otherPath = join(dir, 'other.txt');
    writeFileSync(otherPath, text.replace('strong', 'sturdy'));
    const bad = train(['--comparison', file, '--out', join(dir, 'bad'), '--dataset', otherPath]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('The dataset does not match the comparison');
    expect(bad.stderr).toContain(`but the comparison's "speeches.txt" has ${reference.sha256}`);
    expect(existsSync(join(dir, 'bad'))).toBe(false);

    const missing = train(['--comparison', file, '--out', join(dir, 'missing')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('The comparison\'s dataset "speeches.txt" was uploaded: pass its file with --dataset FILE.');
  });

  it('rejects runs that disagree on the seed', () => {
    const comparison = buildComparison([
      { ...TINY_VISION, optimizer: DEFAULT_SHAMPOO4 },
      { ...TINY_VISION, optimizer: DEFAULT_SHAMPOO32 },
    ]);
    const input = JSON.parse(JSON.stringify(comparison));
    input.runs[1].config.seed = 4;
    const { dir, file } = writeJson(input);
    const { code, stderr } = train(['--comparison', file, '--out', join(dir, 'out')]);
    expect(code).toBe(2);
    expect(stderr).toContain('is invalid:');
    expect(stderr).toContain("runs.1.config.seed must equal the comparison's seed 3 (got 4)");
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('rejects flags that a comparison sets', () => {
    const { code, stderr } = train(['--comparison', 'any.json', '--out', 'runs', '--lr', '0.1']);
    expect(code).toBe(2);
    expect(stderr).toContain("--lr does not apply to --comparison: the comparison file sets every run's settings.");
  });

  it('requires --out', () => {
    const { code, stderr } = train(['--comparison', 'any.json']);
    expect(code).toBe(2);
    expect(stderr).toContain('--out DIR is required with --comparison');
  });

  it('rejects a share base that is not http', () => {
    const { code, stderr } = train(['--comparison', 'any.json', '--out', 'runs', '--share', 'javascript:alert(1)']);
    expect(code).toBe(2);
    expect(stderr).toContain('--share: expected an http:// or https:// URL of the page, got "javascript:alert(1)".');
  });

  it('reports a missing or malformed file', () => {
    const missing = train(['--comparison', join(tmpdir(), 'no-such-comparison.json'), '--out', 'runs']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no-such-comparison.json: file not found.');
    const dir = mkdtempSync(join(tmpdir(), 'compare-cli-bad-'));
    writeFileSync(join(dir, 'c.json'), '{"format": "comparison",');
    const malformed = train(['--comparison', join(dir, 'c.json'), '--out', 'runs']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('is not valid JSON');
  });

  it('reports the line and column of a JSON error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compare-cli-syntax-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, '{\n  "format": "comparison",\n  "runs": [\n    {"id": "a",},\n  ]\n}\n');
    const { code, stderr } = train(['--comparison', file, '--out', join(dir, 'out')]);
    expect(code).toBe(2);
    expect(stderr).toContain(`The comparison file ${file} is not valid JSON at line 4, column 16: Expected double-quoted property name.`);
    expect(stderr).not.toContain('position');
  });

  it('says that a truncated file ends early', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compare-cli-truncated-'));
    const cut = join(dir, 'cut.json');
    writeFileSync(cut, '{\n  "format": "comparison",\n  "runs": [{"id": "a", "label": "A", "con');
    const inString = train(['--comparison', cut, '--out', join(dir, 'out')]);
    expect(inString.code).toBe(2);
    expect(inString.stderr).toContain(`The comparison file ${cut} is not valid JSON: it ends early, at line 3, column 42`);
    expect(inString.stderr).toContain('The file may be truncated.');

    const afterValue = join(dir, 'after-value.json');
    writeFileSync(afterValue, '{"format": "comparison", "version": tru');
    const endOfInput = train(['--comparison', afterValue, '--out', join(dir, 'out')]);
    expect(endOfInput.code).toBe(2);
    expect(endOfInput.stderr).toContain(`The comparison file ${afterValue} is not valid JSON: it ends early, at line 1, column 40`);

    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '\n');
    expect(train(['--comparison', empty, '--out', join(dir, 'out')]).stderr).toContain(`The comparison file ${empty} is empty`);
  });

  it('names a flag whose value is missing', () => {
    const { code, stderr } = train(['--comparison', '--out', 'runs']);
    expect(code).toBe(2);
    expect(stderr).toContain('error: --comparison needs a value (got the next flag --out).');
  });

  it('lists the comparison flags in --help', () => {
    const { code, stdout } = train(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--comparison FILE');
    expect(stdout).toContain('--share [BASE_URL]');
  });
});
