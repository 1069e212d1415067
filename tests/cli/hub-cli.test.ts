/**
 * `npm run train -- --hub` against a server on 127.0.0.1 that serves the embedded model's files as
 * /<repo>/resolve/<revision>/<file>: a short run downloads and trains, a second run reads the disk
 * cache, and bad repositories give a clear message and a non-zero exit code.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const MODEL_DIR = join(ROOT, 'public/models/gpt2-moby');
const REPO = 'test-owner/gpt2-moby';
/** A repository that has config.json and tokenizer.json but only a PyTorch checkpoint. */
const BIN_ONLY_REPO = 'test-owner/bin-only';
const FILES: Record<string, Buffer> = {
  'config.json': readFileSync(join(MODEL_DIR, 'config.json')),
  'tokenizer.json': readFileSync(join(MODEL_DIR, 'tokenizer.json')),
  'model.safetensors': readFileSync(join(MODEL_DIR, 'model.safetensors')),
};

let server: Server;
let base: string;
let requests: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    const match = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(path);
    const bytes = match && (match[1] === REPO || (match[1] === BIN_ONLY_REPO && match[2] !== 'model.safetensors')) ? FILES[match[2]] : undefined;
    if (!bytes) {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end('Entry not found');
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.byteLength });
    response.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests = [];
});

/** Runs the CLI without blocking this process, which must keep serving the model files. */
function train(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['scripts/node-gpu.sh', 'cli/train.ts', ...args], { cwd: ROOT, env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const SMALL = ['--steps', '2', '--batch', '2', '--seq', '32', '--eval-every', '2', '--eval-batches', '1', '--sample-tokens', '4'];
const RESOLVE_PATHS = ['config.json', 'tokenizer.json', 'model.safetensors'].map((file) => `/${REPO}/resolve/main/${file}`);

describe('train CLI with --hub', () => {
  it('downloads, trains and reuses the cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
    const cache = join(dir, 'cache');

    const first = await train(['--hub', REPO, '--hub-base', base, '--hub-cache', cache, '--out', join(dir, 'first.jsonl'), ...SMALL]);
    expect(first.stderr).toContain(`hub: loading ${REPO} at revision main from ${base}`);
    expect(first.stderr).toMatch(/hub: model\.safetensors: 3\.4 MB of 3\.4 MB \(100%\)/);
    expect(first.stderr).toContain('finished (completed) after 2 steps');
    expect(first.code).toBe(0);
    expect(requests).toEqual(RESOLVE_PATHS);
    expect(readdirSync(cache).filter((name) => name.endsWith('.bin'))).toHaveLength(3);
    const firstLines = readFileSync(join(dir, 'first.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(firstLines.map((line) => line.step)).toEqual([0, 1, 2]);

    requests = [];
    const second = await train(['--hub', REPO, '--hub-base', base, '--hub-cache', cache, '--out', join(dir, 'second.jsonl'), ...SMALL]);
    expect(second.code).toBe(0);
    expect(requests).toEqual([]);
    expect(second.stderr).toContain('hub: model.safetensors: 3.4 MB (from the cache)');
    const secondLines = readFileSync(join(dir, 'second.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    // Same files and seed: the same starting held-out loss.
    expect(secondLines[0].evalLoss).toBe(firstLines[0].evalLoss);
  });

  it('reports an unknown repository', async () => {
    const { code, stderr } = await train(['--hub', 'nobody/missing-model', '--hub-base', base, '--no-hub-cache', ...SMALL]);
    expect(code).toBe(1);
    expect(stderr).toContain(`error: Downloading ${base}/nobody/missing-model/resolve/main/config.json failed with HTTP 404`);
    expect(stderr).toContain('Check the repository id and the revision');
    expect(stderr).not.toContain('    at ');
  });

  it('reports a repository without safetensors', async () => {
    const { code, stderr } = await train(['--hub', BIN_ONLY_REPO, '--hub-base', base, '--no-hub-cache', ...SMALL]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${base}/${BIN_ONLY_REPO}/resolve/main/model.safetensors failed with HTTP 404`);
    expect(stderr).toContain('Only safetensors checkpoints');
  });

  it('rejects an invalid repository id', async () => {
    const { code, stderr } = await train(['--hub', '../../etc/passwd', '--hub-base', base, ...SMALL]);
    expect(code).toBe(2);
    expect(stderr).toContain('--hub: Invalid Hugging Face repository id "../../etc/passwd"');
    expect(requests).toEqual([]);
  });

  it('rejects --hub together with --model', async () => {
    const { code, stderr } = await train(['--hub', REPO, '--model', MODEL_DIR, ...SMALL]);
    expect(code).toBe(2);
    expect(stderr).toContain('--model and --hub both name a model');
  });

  it('rejects --hub-base without --hub', async () => {
    const { code, stderr } = await train(['--hub-base', base, ...SMALL]);
    expect(code).toBe(2);
    expect(stderr).toContain('--hub-base applies only with --hub');
  });
});
