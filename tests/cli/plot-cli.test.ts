import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

function plot(args: string[]) {
  const result = spawnSync('node', ['--import', 'tsx', 'cli/plot.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stderr: result.stderr };
}

function runFile(lines: string[]): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'plot-cli-'));
  const file = join(dir, 'run.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return { dir, file };
}

const LOSS_LINES = ['{"step":0,"evalLoss":2.1}', '{"step":1,"loss":2.0}', '{"step":2,"loss":1.9,"evalLoss":2.0}'];

describe('plot CLI', () => {
  it('draws loss curves', () => {
    const { dir, file } = runFile(LOSS_LINES);
    const { code, stderr } = plot([join(dir, 'out.svg'), `subzero=${file}`]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const svg = readFileSync(join(dir, 'out.svg'), 'utf8');
    expect(svg).toContain('subzero: eval (thick), train avg (thin)');
    expect(svg).not.toContain('NaN');
  });

  it('asks for NAME= before a file', () => {
    const { dir, file } = runFile(LOSS_LINES);
    const { code, stderr } = plot([join(dir, 'out.svg'), file]);
    expect(code).toBe(1);
    expect(stderr).toContain(`error: Expected NAME=FILE.jsonl, got "${file}"`);
    expect(stderr).not.toContain('    at ');
  });

  it('names a missing file', () => {
    const { dir } = runFile(LOSS_LINES);
    const { code, stderr } = plot([join(dir, 'out.svg'), `a=${join(dir, 'missing.jsonl')}`]);
    expect(code).toBe(1);
    expect(stderr).toContain('missing.jsonl: file not found.');
    expect(stderr).not.toContain('    at ');
  });

  it('explains npm banner lines', () => {
    const { dir, file } = runFile(['> playground@0.1.0 train', ...LOSS_LINES]);
    const { code, stderr } = plot([join(dir, 'out.svg'), `a=${file}`]);
    expect(code).toBe(1);
    expect(stderr).toContain('line 1: not valid JSON');
    expect(stderr).toContain('npm run -s train');
  });

  it('rejects accuracy of a language-model run', () => {
    const { dir, file } = runFile(LOSS_LINES);
    const { code, stderr } = plot(['--metric', 'accuracy', join(dir, 'out.svg'), `a=${file}`]);
    expect(code).toBe(1);
    expect(stderr).toContain('has no accuracy values');
  });
});
