/**
 * The 'hub' model source outside the download itself: config validation, resolveResources with a
 * stand-in fetch, the browser cache opener and the progress text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, validateRunConfig } from '../../app/run/config';
import { formatHubProgress, HUB_CACHE_NAME, openBrowserHubCache, type HubDownloadProgress } from '../../app/model/hub';
import { resolveResources, type ReadPublicFile } from '../../app/run/resources';
import type { LanguageModelRunConfig } from '../../app/run/types';

const PUBLIC_DIR = join(new URL('../../', import.meta.url).pathname, 'public');
const MODEL_DIR = join(PUBLIC_DIR, 'models/gpt2-moby');

const readPublic: ReadPublicFile = async (relativePath) => {
  const bytes = readFileSync(join(PUBLIC_DIR, relativePath));
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
};

/** Returns a fetch that serves the embedded model's files for any /resolve/ URL and records each URL. */
function modelFetch() {
  const urls: string[] = [];
  const stand: typeof fetch = async (input) => {
    const url = String(input);
    urls.push(url);
    const file = url.slice(url.lastIndexOf('/') + 1);
    return new Response(new Uint8Array(readFileSync(join(MODEL_DIR, file))));
  };
  return { urls, fetch: stand };
}

const HUB_CONFIG: LanguageModelRunConfig = { ...DEFAULT_CONFIG, model: { kind: 'hub', repo: 'openai-community/gpt2', revision: 'main' } };

describe('hub model config', () => {
  it('accepts a hub source', () => {
    expect(validateRunConfig(HUB_CONFIG)).toEqual([]);
    expect(validateRunConfig({ ...HUB_CONFIG, model: { kind: 'hub', repo: 'a/b', revision: 'refs/pr/1' } })).toEqual([]);
  });

  it('names an invalid repository id', () => {
    const problems = validateRunConfig({ ...HUB_CONFIG, model: { kind: 'hub', repo: '../secret', revision: 'main' } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('model.repo: Invalid Hugging Face repository id "../secret"');
  });

  it('names an invalid revision', () => {
    const problems = validateRunConfig({ ...HUB_CONFIG, model: { kind: 'hub', repo: 'a/b', revision: 'main branch' } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('model.revision: Invalid Hugging Face revision "main branch"');
  });

  it('reports a missing revision alone', () => {
    expect(validateRunConfig({ ...HUB_CONFIG, model: { kind: 'hub', repo: 'a/b' } })).toEqual(['model: missing field "revision"']);
  });

  it('names an unknown model kind', () => {
    const problems = validateRunConfig({ ...HUB_CONFIG, model: { kind: 'url', href: 'x' } });
    expect(problems).toContain('model.kind must be one of "embedded", "files", "hub" (got "url")');
  });
});

describe('resolveResources with a hub source', () => {
  it('downloads the model through the given fetch', async () => {
    const stand = modelFetch();
    const progress: HubDownloadProgress[] = [];
    const resources = await resolveResources(HUB_CONFIG, {}, readPublic, { base: 'https://hub.test', fetch: stand.fetch, onProgress: (event) => progress.push(event) });
    expect(stand.urls).toEqual(['config.json', 'tokenizer.json', 'model.safetensors'].map((file) => `https://hub.test/openai-community/gpt2/resolve/main/${file}`));
    expect(resources.model.name).toBe('openai-community/gpt2');
    expect(resources.model.safetensors.byteLength).toBe(readFileSync(join(MODEL_DIR, 'model.safetensors')).byteLength);
    expect(resources.train.length).toBeGreaterThan(0);
    expect(progress.filter((event) => event.done)).toHaveLength(3);
  });

  it('prefers the hub over an uploaded model', async () => {
    const stand = modelFetch();
    const uploaded = { name: 'picked', config: '{}', safetensors: new ArrayBuffer(8), tokenizer: '{}' };
    const resources = await resolveResources(HUB_CONFIG, { model: uploaded }, readPublic, { base: 'https://hub.test', fetch: stand.fetch });
    expect(resources.model.name).toBe('openai-community/gpt2');
  });

  it('explains a host without hub access', async () => {
    await expect(resolveResources(HUB_CONFIG, {}, readPublic)).rejects.toThrow('"openai-community/gpt2" comes from the Hugging Face Hub');
  });

  it('still reads the embedded model', async () => {
    const stand = modelFetch();
    const resources = await resolveResources(DEFAULT_CONFIG, {}, readPublic, { base: 'https://hub.test', fetch: stand.fetch });
    expect(resources.model.name).toBe('gpt2-moby');
    expect(stand.urls).toEqual([]);
  });
});

describe('openBrowserHubCache', () => {
  const original = (globalThis as { caches?: unknown }).caches;
  afterEach(() => {
    (globalThis as { caches?: unknown }).caches = original;
  });

  it('returns undefined without the Cache API', async () => {
    (globalThis as { caches?: unknown }).caches = undefined;
    expect(await openBrowserHubCache()).toBeUndefined();
  });

  it('opens the named cache', async () => {
    const opened: string[] = [];
    const cache = { match: async () => undefined, put: async () => undefined };
    (globalThis as { caches?: unknown }).caches = { open: async (name: string) => (opened.push(name), cache) };
    expect(await openBrowserHubCache()).toBe(cache);
    expect(opened).toEqual([HUB_CACHE_NAME]);
  });

  it('warns when the cache cannot be opened', async () => {
    (globalThis as { caches?: unknown }).caches = {
      open: async () => {
        throw new Error('SecurityError');
      },
    };
    const warnings: string[] = [];
    expect(await openBrowserHubCache((message) => warnings.push(message))).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('SecurityError');
  });
});

describe('formatHubProgress', () => {
  const event = (fields: Partial<HubDownloadProgress>): HubDownloadProgress => ({
    file: 'model.safetensors',
    url: 'https://hub.test/a/b/resolve/main/model.safetensors',
    receivedBytes: 0,
    totalBytes: null,
    source: 'network',
    done: false,
    ...fields,
  });

  it('formats progress lines', () => {
    expect(formatHubProgress(event({ receivedBytes: 1_234_567, totalBytes: 3_375_024 }))).toBe('model.safetensors: 1.2 MB of 3.4 MB (36%)');
    expect(formatHubProgress(event({ receivedBytes: 463, totalBytes: 463, done: true, file: 'config.json' }))).toBe('config.json: 0.5 kB of 0.5 kB (100%)');
    expect(formatHubProgress(event({ receivedBytes: 2_000_000 }))).toBe('model.safetensors: 2.0 MB');
    expect(formatHubProgress(event({ receivedBytes: 3_375_024, totalBytes: 3_375_024, source: 'cache', done: true }))).toBe('model.safetensors: 3.4 MB (from the cache)');
  });
});
