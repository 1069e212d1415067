/**
 * Hub downloads against a server on 127.0.0.1 that lays out the embedded model's files as
 * /<repo>/resolve/<revision>/<file>, the way the Hugging Face Hub serves them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  downloadHubModel,
  hubFileUrl,
  hubModelName,
  hubRepoProblem,
  hubRevisionProblem,
  normalizeHubBase,
  parseHubReference,
  type HubCache,
  type HubDownloadProgress,
} from '../../app/model/hub';
import { loadModel } from '../../app/run/load-model';

const MODEL_DIR = join(new URL('../../', import.meta.url).pathname, 'public/models/gpt2-moby');
const FILES: Record<string, Buffer> = {
  'config.json': readFileSync(join(MODEL_DIR, 'config.json')),
  'tokenizer.json': readFileSync(join(MODEL_DIR, 'tokenizer.json')),
  'model.safetensors': readFileSync(join(MODEL_DIR, 'model.safetensors')),
};
const REPO = 'test-owner/gpt2-moby';

/** Per-request behaviour; the default serves FILES for REPO at any revision. */
type Handler = (request: IncomingMessage, response: ServerResponse, file: string) => boolean;

let server: Server;
let base: string;
let requests: string[] = [];
let handler: Handler | null = null;

function serveFile(response: ServerResponse, bytes: Buffer): void {
  response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.byteLength });
  response.end(bytes);
}

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const file = match?.[3] ?? '';
    if (handler?.(request, response, file)) return;
    if (match && match[1] === REPO && FILES[file]) return serveFile(response, FILES[file]);
    response.writeHead(404, { 'Content-Type': 'text/plain' });
    response.end('Entry not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests = [];
  handler = null;
});

/** An in-memory stand-in for the Cache API. */
class MemoryCache implements HubCache {
  entries = new Map<string, Uint8Array>();
  async match(url: string): Promise<Response | undefined> {
    const bytes = this.entries.get(url);
    return bytes ? new Response(bytes.slice()) : undefined;
  }
  async put(url: string, response: Response): Promise<void> {
    this.entries.set(url, new Uint8Array(await response.arrayBuffer()));
  }
}

function countingFetch() {
  const calls: string[] = [];
  const wrapped: typeof fetch = (input, init) => {
    calls.push(String(input));
    return fetch(input, init);
  };
  return { calls, fetch: wrapped };
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the promise to reject');
}

describe('hub references', () => {
  it('builds resolve URLs', () => {
    expect(hubFileUrl('https://huggingface.co/', 'openai-community/gpt2', 'main', 'config.json')).toBe(
      'https://huggingface.co/openai-community/gpt2/resolve/main/config.json',
    );
    expect(hubFileUrl('http://127.0.0.1:8080/mirror', 'a/b', 'refs/pr/1', 'model.safetensors')).toBe(
      'http://127.0.0.1:8080/mirror/a/b/resolve/refs%2Fpr%2F1/model.safetensors',
    );
  });

  it('accepts ordinary ids and revisions', () => {
    for (const repo of ['openai-community/gpt2', 'roneneldan/TinyStories-1M', 'a/b', 'user_1/model.v2']) expect(hubRepoProblem(repo)).toBeNull();
    for (const revision of ['main', 'v1.0', 'refs/pr/12', '607a30d783dfa663caf39e06633721c8d4cfcd7e']) expect(hubRevisionProblem(revision)).toBeNull();
  });

  it.each([
    ['../etc/passwd'],
    ['owner/..'],
    ['owner/../name'],
    ['owner/name/extra'],
    ['/owner/name'],
    ['owner name/gpt2'],
    ['owner/gpt2 '],
    ['gpt2'],
    ['owner/-name'],
    ['owner/na--me'],
    ['owner/name?x=1'],
    [''],
  ])('rejects repository id %j', (repo) => {
    const problem = hubRepoProblem(repo);
    expect(problem).toContain(`Invalid Hugging Face repository id ${JSON.stringify(repo)}`);
    expect(() => hubFileUrl('https://huggingface.co', repo, 'main', 'config.json')).toThrow(JSON.stringify(repo));
  });

  it('rejects an absolute URL as repository id', () => {
    expect(hubRepoProblem('https://huggingface.co/openai-community/gpt2')).toContain('not a URL');
    expect(hubRepoProblem('file:///etc/passwd')).toContain('not a URL');
  });

  it.each([['..'], ['a/../b'], ['main branch'], ['/main'], ['main/'], ['v1.'], ['a//b'], ['@{1}'], ['']])('rejects revision %j', (revision) => {
    expect(hubRevisionProblem(revision)).toContain(`Invalid Hugging Face revision ${JSON.stringify(revision)}`);
  });

  it('parses ids, revisions and page URLs', () => {
    expect(parseHubReference('openai-community/gpt2')).toEqual({ repo: 'openai-community/gpt2', revision: 'main' });
    expect(parseHubReference(' openai-community/gpt2@v2 ')).toEqual({ repo: 'openai-community/gpt2', revision: 'v2' });
    expect(parseHubReference('https://huggingface.co/openai-community/gpt2')).toEqual({ base: 'https://huggingface.co', repo: 'openai-community/gpt2', revision: 'main' });
    expect(parseHubReference('https://huggingface.co/openai-community/gpt2/tree/refs%2Fpr%2F3')).toEqual({
      base: 'https://huggingface.co',
      repo: 'openai-community/gpt2',
      revision: 'refs/pr/3',
    });
    expect(parseHubReference('http://127.0.0.1:9/a/b/resolve/abc123/config.json')).toEqual({ base: 'http://127.0.0.1:9', repo: 'a/b', revision: 'abc123' });
  });

  it('rejects malformed references by value', () => {
    expect(() => parseHubReference('openai-community/gpt2@')).toThrow('Invalid Hugging Face revision ""');
    expect(() => parseHubReference('https://huggingface.co/openai-community/gpt2/discussions/1')).toThrow('https://huggingface.co/openai-community/gpt2/discussions/1');
    expect(() => parseHubReference('https://huggingface.co/gpt2')).toThrow('Invalid Hugging Face repository id "gpt2/"');
  });

  it('checks the base URL', () => {
    expect(normalizeHubBase('http://127.0.0.1:8080//')).toBe('http://127.0.0.1:8080');
    expect(() => normalizeHubBase('ftp://example.org')).toThrow('only http and https');
    expect(() => normalizeHubBase('not a url')).toThrow('"not a url"');
    expect(() => normalizeHubBase('https://user:secret@huggingface.co')).toThrow('user name, password');
  });

  it('names a model by repository and revision', () => {
    expect(hubModelName('a/b', 'main')).toBe('a/b');
    expect(hubModelName('a/b', 'v1')).toBe('a/b@v1');
  });
});

describe('downloadHubModel', () => {
  it('downloads the files as they are on disk', async () => {
    const model = await downloadHubModel({ base, repo: REPO, revision: 'main', fetch });
    expect(model.name).toBe(REPO);
    expect(model.config).toBe(FILES['config.json'].toString('utf8'));
    expect(model.tokenizer).toBe(FILES['tokenizer.json'].toString('utf8'));
    expect(model.safetensors.byteLength).toBe(FILES['model.safetensors'].byteLength);
    expect(Buffer.from(model.safetensors).equals(FILES['model.safetensors'])).toBe(true);
    expect(requests).toEqual([
      `/${REPO}/resolve/main/config.json`,
      `/${REPO}/resolve/main/tokenizer.json`,
      `/${REPO}/resolve/main/model.safetensors`,
    ]);
    const loaded = loadModel(model);
    expect(loaded.config.nLayer).toBeGreaterThan(0);
    expect(loaded.weights.size).toBeGreaterThan(0);
  });

  it('encodes a revision with slashes', async () => {
    const model = await downloadHubModel({ base, repo: REPO, revision: 'refs/pr/1', fetch });
    expect(model.name).toBe(`${REPO}@refs/pr/1`);
    expect(requests[0]).toBe(`/${REPO}/resolve/refs%2Fpr%2F1/config.json`);
  });

  it('reports monotonic progress that ends at the total', async () => {
    const events: HubDownloadProgress[] = [];
    await downloadHubModel({ base, repo: REPO, revision: 'main', fetch, onProgress: (event) => events.push(event) });

    for (const file of ['config.json', 'tokenizer.json', 'model.safetensors'] as const) {
      const fileEvents = events.filter((event) => event.file === file);
      const size = FILES[file].byteLength;
      expect(fileEvents[0].receivedBytes).toBe(0);
      expect(fileEvents.every((event) => event.source === 'network')).toBe(true);
      expect(fileEvents.every((event) => event.totalBytes === size)).toBe(true);
      for (let i = 1; i < fileEvents.length; i++) expect(fileEvents[i].receivedBytes).toBeGreaterThanOrEqual(fileEvents[i - 1].receivedBytes);
      const last = fileEvents.at(-1)!;
      expect(last.done).toBe(true);
      expect(last.receivedBytes).toBe(size);
      expect(fileEvents.filter((event) => event.done)).toHaveLength(1);
      expect(last.url).toBe(`${base}/${REPO}/resolve/main/${file}`);
    }
    // 3.4 MB in steps of 256 KiB: several intermediate events, not only start and end.
    expect(events.filter((event) => event.file === 'model.safetensors').length).toBeGreaterThan(5);
    // Files come one after the other.
    expect(events.map((event) => event.file).filter((file, i, all) => file !== all[i - 1])).toEqual(['config.json', 'tokenizer.json', 'model.safetensors']);
  });

  it('reports progress without a Content-Length', async () => {
    handler = (_request, response, file) => {
      if (file !== 'model.safetensors') return false;
      // Chunked transfer encoding: no Content-Length header.
      response.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      const bytes = FILES[file];
      response.write(bytes.subarray(0, 1_000_000));
      response.end(bytes.subarray(1_000_000));
      return true;
    };
    const events: HubDownloadProgress[] = [];
    const model = await downloadHubModel({ base, repo: REPO, revision: 'main', fetch, onProgress: (event) => events.push(event) });
    expect(Buffer.from(model.safetensors).equals(FILES['model.safetensors'])).toBe(true);
    const weightEvents = events.filter((event) => event.file === 'model.safetensors');
    expect(weightEvents[0].totalBytes).toBeNull();
    expect(weightEvents.at(-1)).toMatchObject({ done: true, receivedBytes: FILES['model.safetensors'].byteLength, totalBytes: FILES['model.safetensors'].byteLength });
  });

  it('serves a second load from the cache without fetching', async () => {
    const cache = new MemoryCache();
    const first = countingFetch();
    const firstModel = await downloadHubModel({ base, repo: REPO, revision: 'main', fetch: first.fetch, cache });
    expect(first.calls).toHaveLength(3);
    expect([...cache.entries.keys()].sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json'].map((file) => `${base}/${REPO}/resolve/main/${file}`));

    requests = [];
    const second = countingFetch();
    const events: HubDownloadProgress[] = [];
    const secondModel = await downloadHubModel({ base, repo: REPO, revision: 'main', fetch: second.fetch, cache, onProgress: (event) => events.push(event) });
    expect(second.calls).toEqual([]);
    expect(requests).toEqual([]);
    expect(Buffer.from(secondModel.safetensors).equals(Buffer.from(firstModel.safetensors))).toBe(true);
    expect(secondModel.config).toBe(firstModel.config);
    expect(secondModel.tokenizer).toBe(firstModel.tokenizer);
    expect(events.map((event) => [event.file, event.source, event.done])).toEqual([
      ['config.json', 'cache', true],
      ['tokenizer.json', 'cache', true],
      ['model.safetensors', 'cache', true],
    ]);
  });

  it('keeps a separate cache entry per revision', async () => {
    const cache = new MemoryCache();
    await downloadHubModel({ base, repo: REPO, revision: 'main', fetch, cache });
    const other = countingFetch();
    await downloadHubModel({ base, repo: REPO, revision: 'v2', fetch: other.fetch, cache });
    expect(other.calls).toHaveLength(3);
  });

  it('loads anyway when the cache cannot store', async () => {
    const warnings: string[] = [];
    const cache: HubCache = {
      match: async () => undefined,
      put: async () => {
        throw new Error('QuotaExceededError');
      },
    };
    const model = await downloadHubModel({ base, repo: REPO, revision: 'main', fetch, cache, onWarning: (message) => warnings.push(message) });
    expect(model.safetensors.byteLength).toBe(FILES['model.safetensors'].byteLength);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain('QuotaExceededError');
    expect(warnings[0]).toContain('the next load downloads it again');
  });

  it('explains a missing model.safetensors', async () => {
    handler = (_request, response, file) => {
      if (file !== 'model.safetensors') return false;
      response.writeHead(404, { 'X-Error-Code': 'EntryNotFound' });
      response.end('Entry not found');
      return true;
    };
    const message = await rejection(downloadHubModel({ base, repo: REPO, revision: 'main', fetch }));
    expect(message).toContain(`${base}/${REPO}/resolve/main/model.safetensors`);
    expect(message).toContain('HTTP 404');
    expect(message).toContain('has no model.safetensors');
    expect(message).toContain('Only safetensors checkpoints');
    expect(message).toContain('pytorch_model.bin');
  });

  it('explains a missing tokenizer.json', async () => {
    handler = (_request, response, file) => {
      if (file !== 'tokenizer.json') return false;
      response.writeHead(404);
      response.end();
      return true;
    };
    const message = await rejection(downloadHubModel({ base, repo: REPO, revision: 'main', fetch }));
    expect(message).toContain('has no tokenizer.json');
  });

  it('explains an unknown repository or revision', async () => {
    const unknownRepo = await rejection(downloadHubModel({ base, repo: 'nobody/nothing', revision: 'main', fetch }));
    expect(unknownRepo).toContain(`${base}/nobody/nothing/resolve/main/config.json`);
    expect(unknownRepo).toContain('HTTP 404');
    expect(unknownRepo).toContain('Check the repository id and the revision');

    handler = (_request, response) => {
      response.writeHead(404, { 'X-Error-Code': 'RevisionNotFound' });
      response.end();
      return true;
    };
    const unknownRevision = await rejection(downloadHubModel({ base, repo: REPO, revision: 'nope', fetch }));
    expect(unknownRevision).toContain('has no revision "nope"');
  });

  it('explains a private or gated repository', async () => {
    handler = (_request, response) => {
      response.writeHead(401, 'Unauthorized');
      response.end('Invalid username or password.');
      return true;
    };
    const message = await rejection(downloadHubModel({ base, repo: REPO, revision: 'main', fetch }));
    expect(message).toContain(`${base}/${REPO}/resolve/main/config.json`);
    expect(message).toContain('HTTP 401 Unauthorized');
    expect(message).toContain('private or gated');
    expect(message).toContain('load them from disk');

    handler = (_request, response) => {
      response.writeHead(403, { 'X-Error-Code': 'GatedRepo' });
      response.end();
      return true;
    };
    const gated = await rejection(downloadHubModel({ base, repo: REPO, revision: 'main', fetch }));
    expect(gated).toContain('HTTP 403');
    expect(gated).toContain('is gated');
  });

  it('rejects a body cut off by the server', async () => {
    handler = (_request, response, file) => {
      if (file !== 'model.safetensors') return false;
      const bytes = FILES[file];
      response.writeHead(200, { 'Content-Length': bytes.byteLength });
      response.write(bytes.subarray(0, 1_000_000), () => response.destroy());
      return true;
    };
    const cache = new MemoryCache();
    const message = await rejection(downloadHubModel({ base, repo: REPO, revision: 'main', fetch, cache }));
    expect(message).toContain(`${base}/${REPO}/resolve/main/model.safetensors`);
    expect(message).toContain(`of ${FILES['model.safetensors'].byteLength.toLocaleString('en-US')} bytes`);
    expect(message).toContain('Try again');
    // A failed file is not cached, so the next load fetches it again.
    expect([...cache.entries.keys()].some((url) => url.endsWith('model.safetensors'))).toBe(false);
  });

  it('rejects a body shorter than its Content-Length', async () => {
    const short: typeof fetch = async (input) => {
      const url = String(input);
      const file = url.slice(url.lastIndexOf('/') + 1);
      const bytes = FILES[file];
      const body = file === 'model.safetensors' ? bytes.subarray(0, 1000) : bytes;
      return new Response(new Uint8Array(body), { headers: { 'Content-Length': String(bytes.byteLength) } });
    };
    const message = await rejection(downloadHubModel({ base, repo: REPO, revision: 'main', fetch: short }));
    expect(message).toContain(`stopped after 1,000 bytes of ${FILES['model.safetensors'].byteLength.toLocaleString('en-US')} bytes`);
    expect(message).toContain('truncated');
  });

  it('explains a network failure', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const message = await rejection(downloadHubModel({ base: `http://127.0.0.1:${port}`, repo: REPO, revision: 'main', fetch }));
    expect(message).toContain(`http://127.0.0.1:${port}/${REPO}/resolve/main/config.json failed`);
    expect(message).toContain('Check the network connection');
  });

  it('rejects an invalid repository id without fetching', async () => {
    const counted = countingFetch();
    const message = await rejection(downloadHubModel({ base, repo: 'owner/../../etc', revision: 'main', fetch: counted.fetch }));
    expect(message).toContain('Invalid Hugging Face repository id "owner/../../etc"');
    expect(counted.calls).toEqual([]);
  });

  it('rejects a non-GPT-2 config before the weights', async () => {
    handler = (_request, response, file) => {
      if (file !== 'config.json') return false;
      serveFile(response, Buffer.from(JSON.stringify({ model_type: 'llama', vocab_size: 10, n_positions: 8, n_embd: 8, n_layer: 1, n_head: 1 })));
      return true;
    };
    const message = await rejection(downloadHubModel({ base, repo: REPO, revision: 'main', fetch }));
    expect(message).toContain(`${REPO}/config.json`);
    expect(message).toContain('model_type is "llama"');
    expect(requests.some((path) => path.endsWith('model.safetensors'))).toBe(false);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const message = await rejection(
      downloadHubModel({
        base,
        repo: REPO,
        revision: 'main',
        fetch,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.file === 'model.safetensors' && event.receivedBytes > 0) controller.abort();
        },
      }),
    );
    expect(controller.signal.aborted).toBe(true);
    expect(message).toMatch(/abort/i);
  });
});
