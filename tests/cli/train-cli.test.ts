/**
 * The training CLI as a person runs it: a real short run writes JSON lines, and bad input (corrupt
 * model, malformed dataset, no WebGPU adapter) gives a clear message and a non-zero exit code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const MODEL_DIR = join(ROOT, 'public/models/gpt2-moby');

function train(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync('bash', ['scripts/node-gpu.sh', 'cli/train.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const SMALL = ['--steps', '3', '--batch', '2', '--seq', '32', '--eval-every', '3', '--eval-batches', '1', '--sample-tokens', '4'];

describe('train CLI', () => {
  it('writes one JSON line per step', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-'));
    const out = join(dir, 'run.jsonl');
    const { code, stderr } = train(['--optimizer', 'subzero', '--seed', '5', '--out', out, ...SMALL]);
    expect(stderr).toContain('finished (completed) after 3 steps');
    expect(code).toBe(0);

    const lines = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => line.step)).toEqual([0, 1, 2, 3]);
    expect(lines[0].evalLoss).toBeGreaterThan(0);
    expect(lines[3].evalLoss).toBeGreaterThan(0);
    for (const line of lines.slice(1)) {
      expect(Number.isFinite(line.loss)).toBe(true);
      expect(line.elapsedMs).toBeGreaterThan(0);
      expect(line.memoryBytes.weights).toBeGreaterThan(0);
      expect(line.memoryBytes.perturbation).toBeGreaterThan(0);
    }
  });

  it('saves the fine-tuned weights in a layout that --model loads back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-save-'));
    const saved = join(dir, 'tuned', 'model.safetensors');
    const first = train(['--save-weights', saved, '--out', join(dir, 'first.jsonl'), ...SMALL]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`weights after step 3 written to ${saved}`);
    copyFileSync(join(MODEL_DIR, 'config.json'), join(dir, 'tuned', 'config.json'));
    copyFileSync(join(MODEL_DIR, 'tokenizer.json'), join(dir, 'tuned', 'tokenizer.json'));
    const second = train(['--model', join(dir, 'tuned'), '--out', join(dir, 'second.jsonl'), ...SMALL]);
    expect(second.code).toBe(0);
    const firstLines = readFileSync(join(dir, 'first.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const secondLines = readFileSync(join(dir, 'second.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    // The second run starts from the first run's final weights, so its step-0 eval loss is the first run's last one.
    expect(secondLines[0].evalLoss).toBeCloseTo(firstLines.at(-1).evalLoss, 6);
  });

  it('rejects a corrupt safetensors file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-model-'));
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(MODEL_DIR, 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(MODEL_DIR, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    const weights = readFileSync(join(MODEL_DIR, 'model.safetensors'));
    writeFileSync(join(dir, 'model.safetensors'), weights.subarray(0, weights.length >> 1));
    const { code, stderr } = train(['--model', dir, ...SMALL]);
    expect(code).toBe(1);
    expect(stderr).toContain('model.safetensors');
    expect(stderr).not.toContain('    at ');
  });

  it('rejects a model whose config does not match its weights', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-mismatch-'));
    const config = JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8'));
    config.n_layer += 1;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    copyFileSync(join(MODEL_DIR, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    copyFileSync(join(MODEL_DIR, 'model.safetensors'), join(dir, 'model.safetensors'));
    const { code, stderr } = train(['--model', dir, ...SMALL]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/missing .*h\.4\.ln_1\.weight/);
  });

  it('reports a malformed dataset line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-data-'));
    const file = join(dir, 'notes.jsonl');
    writeFileSync(file, '{"text": "fine"}\n{"text": 42}\n');
    const { code, stderr } = train(['--dataset', file, ...SMALL]);
    expect(code).toBe(1);
    expect(stderr).toContain('notes.jsonl');
    expect(stderr).toMatch(/line 2/);
  });

  it('explains a dataset too short to split', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-short-'));
    writeFileSync(join(dir, 'tiny.txt'), 'Hello world.\n');
    const { code, stderr } = train(['--dataset', join(dir, 'tiny.txt'), '--steps', '1', '--batch', '1', '--seq', '8']);
    expect(code).toBe(1);
    expect(stderr).toContain('error: tiny.txt: the text has 13 characters');
    expect(stderr).toContain('sequence length (--seq) + 1 tokens');
    expect(stderr).toContain('Use a longer text or a smaller sequence length (--seq).');
    expect(stderr).not.toContain('splitTrainEval');
  });

  it('explains an eval split shorter than a window', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-short-'));
    const file = join(dir, 'short.txt');
    writeFileSync(file, 'The whale swam on and on through the cold grey sea. '.repeat(6));
    const { code, stderr } = train(['--dataset', file, '--steps', '1', '--batch', '1', '--seq', '32', '--eval-batches', '1', '--sample-tokens', '0']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/short\.txt: the eval split has \d+ tokens?, fewer than one window of 33 tokens/);
    expect(stderr).toContain('A window is sequence length (--seq) + 1 tokens (32 + 1), because the target of each position is the next token.');
    expect(stderr).toMatch(/the whole text needs at least about \d+ tokens/);
  });

  it('reports a config.json syntax error by line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-json-'));
    writeFileSync(join(dir, 'config.json'), '{\n  "model_type": "gpt2"\n  "n_layer": 2\n}\n');
    copyFileSync(join(MODEL_DIR, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    copyFileSync(join(MODEL_DIR, 'model.safetensors'), join(dir, 'model.safetensors'));
    const { code, stderr } = train(['--model', dir, '--steps', '1', '--batch', '1', '--seq', '8']);
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(dir, 'config.json')}: not valid JSON at line 3, column 3: Expected ',' or '}' after property value.`);
    expect(stderr).toContain(`Fix or replace config.json in ${dir}.`);
    expect(stderr).not.toContain('Pick');
  });

  it('says to replace an empty model.safetensors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-empty-'));
    copyFileSync(join(MODEL_DIR, 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(MODEL_DIR, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'model.safetensors'), '');
    const { code, stderr } = train(['--model', dir, '--steps', '1', '--batch', '1', '--seq', '8']);
    expect(code).toBe(1);
    expect(stderr).toContain(`the file is empty (0 bytes). Fix or replace model.safetensors in ${dir}.`);
    expect(stderr).not.toContain('Pick');
  });

  it('says a missing --model folder does not exist', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'train-cli-nodir-')), 'nodir');
    const { code, stderr } = train(['--model', dir, '--steps', '1', '--batch', '1', '--seq', '8']);
    expect(code).toBe(1);
    expect(stderr).toContain(`error: --model ${dir}: the folder does not exist.`);
    expect(stderr).toContain('--model takes a folder containing config.json, model.safetensors and tokenizer.json.');
  });

  it('says --model takes a folder, not a file', () => {
    const file = join(MODEL_DIR, 'model.safetensors');
    const { code, stderr } = train(['--model', file, '--steps', '1', '--batch', '1', '--seq', '8']);
    expect(code).toBe(1);
    expect(stderr).toContain(`error: --model ${file} is a file, not a folder.`);
    expect(stderr).toContain('--model takes a folder containing config.json, model.safetensors and tokenizer.json.');
    expect(stderr).not.toContain('ENOTDIR');
  });

  it('says where a missing tokenizer.json comes from', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-notok-'));
    copyFileSync(join(MODEL_DIR, 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(MODEL_DIR, 'model.safetensors'), join(dir, 'model.safetensors'));
    const { code, stderr } = train(['--model', dir, '--steps', '1', '--batch', '1', '--seq', '8']);
    expect(code).toBe(1);
    expect(stderr).toContain(`Cannot read the tokenizer ${join(dir, 'tokenizer.json')}: file not found.`);
    expect(stderr).toContain('tokenizer.json comes from the same Hugging Face repository as the weights (for GPT-2, its byte-level BPE tokenizer.json).');
    expect(stderr).toContain(`Download it into ${dir}.`);
  });

  it('explains a missing WebGPU adapter', () => {
    const { code, stderr } = train(SMALL, { VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(code).toBe(1);
    expect(stderr).toContain('No WebGPU adapter was found');
    expect(stderr).toContain('VK_ICD_FILENAMES');
  });

  it('rejects an invalid hyperparameter by name', () => {
    const { code, stderr } = train(['--lr', '-1', ...SMALL]);
    expect(code).toBe(2);
    expect(stderr).toContain('--lr must be > 0');
    expect(stderr).toContain('-1');
  });

  it('names a flag whose value is missing', () => {
    const nextFlag = train(['--lr', '--out', 'f']);
    expect(nextFlag.code).toBe(2);
    expect(nextFlag.stderr).toContain('error: --lr needs a value (got the next flag --out).');
    expect(nextFlag.stderr).not.toContain('ambiguous');

    const last = train(['--steps']);
    expect(last.code).toBe(2);
    expect(last.stderr).toContain('error: --steps needs a value, but it is the last argument.');

    const dashValue = train(['--prompt', '-hello']);
    expect(dashValue.code).toBe(2);
    expect(dashValue.stderr).toContain('--prompt needs a value (got "-hello"');
    expect(dashValue.stderr).toContain('write --prompt=-hello');
  });

  it('points vision settings to --task vision', () => {
    const optimizer = train(['--optimizer', 'shampoo4']);
    expect(optimizer.code).toBe(2);
    expect(optimizer.stderr).toContain('error: --optimizer shampoo4 is a vision optimizer; add --task vision.');

    const explicitTask = train(['--task', 'language-model', '--optimizer', 'sgd']);
    expect(explicitTask.code).toBe(2);
    expect(explicitTask.stderr).toContain('--optimizer sgd is a vision optimizer; use --task vision in place of --task language-model.');

    const flag = train(['--t1', '5']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--t1 applies only to --task vision. Add --task vision, because the task defaults to language-model.');

    const model = train(['--model', 'cnn']);
    expect(model.code).toBe(2);
    expect(model.stderr).toContain('--model cnn is a vision architecture; add --task vision.');
  });

  it('rejects --share without --comparison', () => {
    const { code, stderr } = train(['--task', 'vision', '--steps', '1', '--share']);
    expect(code).toBe(2);
    expect(stderr).toContain('error: --share applies only with --comparison FILE');
    expect(stderr).not.toContain('Unknown option');
  });

  it('keeps an existing output file when the run fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-keep-'));
    const out = join(dir, 'earlier.jsonl');
    writeFileSync(out, '{"step":1}\n');
    const { code, stderr } = train(['--seq', '1000', '--out', out, ...SMALL.filter((arg, i, all) => arg !== '--seq' && all[i - 1] !== '--seq')]);
    expect(code).toBe(1);
    expect(stderr).toContain('exceeds the model\'s context of 128 tokens');
    expect(readFileSync(out, 'utf8')).toBe('{"step":1}\n');
  });
});

const VISION_SMALL = ['--task', 'vision', '--model', 'mlp', '--steps', '3', '--batch', '8', '--eval-every', '3', '--eval-examples', '40'];

describe('train CLI, vision task', () => {
  it('writes JSON lines with accuracy and optimizer-state bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-vision-'));
    const out = join(dir, 'vision.jsonl');
    const { code, stderr } = train([...VISION_SMALL, '--optimizer', 'adamw', '--seed', '3', '--out', out]);
    expect(stderr).toContain('finished (completed) after 3 steps');
    expect(stderr).toContain('10,000 train and 40 eval images');
    expect(stderr).toContain('dataset: 10,000 training and 2,000 held-out images, 10 classes (labels 0–9)\n');
    expect(code).toBe(0);

    const lines = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => line.step)).toEqual([0, 1, 2, 3]);
    for (const line of [lines[0], lines[3]]) {
      expect(line.accuracy).toBeGreaterThanOrEqual(0);
      expect(line.accuracy).toBeLessThanOrEqual(1);
      expect(line.evalLoss).toBeGreaterThan(0);
    }
    for (const line of lines.slice(1)) {
      expect(Number.isFinite(line.loss)).toBe(true);
      // AdamW keeps two moments per parameter: 2 · 4 bytes · 101,770 MLP parameters.
      expect(line.optimizerStateBytes).toBe(2 * 4 * 101_770);
      expect(line.memoryBytes['optimizer-state']).toBe(line.optimizerStateBytes);
    }
  });

  it('names the flag of an invalid Shampoo period', () => {
    const { code, stderr } = train([...VISION_SMALL, '--optimizer', 'shampoo4', '--t2', '0']);
    expect(code).toBe(2);
    expect(stderr).toContain('--t2 must be >= 1 (got 0)');
  });

  it('rejects flags of the other task and of another optimizer', () => {
    expect(train([...VISION_SMALL, '--rank', '4']).stderr).toContain('--rank applies only to --task language-model');
    expect(train([...VISION_SMALL, '--optimizer', 'sgd', '--t1', '5']).stderr).toContain('--t1 does not apply to --optimizer sgd.');
    expect(train([...VISION_SMALL, '--optimizer', 'sgd', '--t1', '5', '--t2', '9']).stderr).toContain('--t1, --t2 do not apply to --optimizer sgd.');
    expect(train([...VISION_SMALL, '--optimizer', 'sgd', '--beta1', '0.8']).stderr).toContain('--beta1 does not apply to SGD.');
    expect(train(['--momentum', '0.9', ...SMALL]).stderr).toContain('--momentum applies only to --task vision');
  });

  it('rejects a language-model optimizer', () => {
    const { code, stderr } = train([...VISION_SMALL, '--optimizer', 'subzero']);
    expect(code).toBe(2);
    expect(stderr).toContain('error: --optimizer subzero is a language-model optimizer; remove --task vision');
  });

  it('counts a single step in the singular', () => {
    const { code, stderr } = train(['--task', 'vision', '--model', 'mlp', '--steps', '1', '--batch', '8', '--eval-every', '0']);
    expect(code).toBe(0);
    expect(stderr).toContain('finished (completed) after 1 step,');
  });

  it('warns when --eval-examples exceeds the held-out split', () => {
    const { code, stderr } = train(['--task', 'vision', '--model', 'mlp', '--steps', '1', '--batch', '8', '--eval-every', '1', '--eval-examples', '99999']);
    expect(code).toBe(0);
    expect(stderr).toContain('warning: --eval-examples 99,999 is capped at 2,000, the size of the held-out split, so each evaluation uses all 2,000 held-out images.');
  });

  it('warns when --t2 is shorter than --t1', () => {
    const { code, stderr } = train(['--task', 'vision', '--model', 'mlp', '--optimizer', 'shampoo32', '--t1', '10', '--t2', '5', '--steps', '1', '--batch', '8', '--eval-every', '0']);
    expect(code).toBe(0);
    expect(stderr).toContain('warning: --t2 5 is shorter than --t1 10, so an inverse-root update can recompute the roots from factors that have not changed since the previous root update.');
  });

  it('reports an IDX count mismatch with both file names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-idx-'));
    const images = Buffer.alloc(16 + 3 * 4);
    images.writeUInt32BE(0x803, 0);
    images.writeUInt32BE(3, 4);
    images.writeUInt32BE(2, 8);
    images.writeUInt32BE(2, 12);
    const labels = Buffer.alloc(8 + 2);
    labels.writeUInt32BE(0x801, 0);
    labels.writeUInt32BE(2, 4);
    writeFileSync(join(dir, 'images.idx'), images);
    writeFileSync(join(dir, 'labels.idx'), labels);
    const { code, stderr } = train([...VISION_SMALL, '--dataset', join(dir, 'images.idx'), '--dataset', join(dir, 'labels.idx')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/images\.idx|labels\.idx/);
    expect(stderr).toMatch(/3 images but 2 labels/);
    expect(stderr).not.toContain('    at ');
  });

  it('rejects a stray CSV label before training', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-csv-'));
    const rows = Array.from({ length: 20 }, (_, index) => `${index === 12 ? 57 : index % 10},0,0,0,0`);
    writeFileSync(join(dir, 'digits.csv'), rows.join('\n') + '\n');
    const { code, stderr } = train([...VISION_SMALL, '--dataset', join(dir, 'digits.csv')]);
    expect(code).toBe(1);
    expect(stderr).toContain('digits.csv: line 13: label 57 implies 58 classes, but labels 10–56 have no images');
    expect(stderr).not.toContain('dataset: ');
  });
});
