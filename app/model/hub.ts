/**
 * Downloads a GPT-2 checkpoint from a Hugging Face repository:
 *   <base>/<owner>/<name>/resolve/<revision>/<file>
 * for config.json, tokenizer.json and model.safetensors. The body is streamed so callers can show
 * progress, and an optional cache with the Cache API's `match`/`put` serves later loads without
 * the network. Only fetch, streams and URL are used, so this runs in a Web Worker and in Node 20.
 *
 * The files are checked here only as far as the download goes (HTTP status, length). The caller
 * parses them with the usual loaders (loadModel in app/run/load-model.ts), which validate the
 * config, tensor names, shapes and dtypes (F32, F16, BF16).
 */
import { parseGpt2Config } from './gpt2-config';
import type { ModelFiles } from '../run/types';

export const HUB_DEFAULT_BASE = 'https://huggingface.co';
export const HUB_DEFAULT_REVISION = 'main';

/** The files of a checkpoint, in download order: the small ones first, so a wrong repository fails fast. */
export const HUB_MODEL_FILES = ['config.json', 'tokenizer.json', 'model.safetensors'] as const;
export type HubFileName = (typeof HUB_MODEL_FILES)[number];

/**
 * Repository ids: `owner/name`, each part 1–96 letters, digits, "-", "_" or ".", starting and
 * ending with a letter, digit or "_", and without "--" or "..". This is stricter than some
 * older Hub ids (a bare "gpt2" now redirects to "openai-community/gpt2").
 */
export const HUB_REPO_PATTERN = '^(?!.*(?:--|\\.\\.))[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?/[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$';

/**
 * Revisions: a branch, tag or commit hash, 1–200 characters. Each path component ("refs/pr/1" has
 * three) starts with a letter, digit or "_" and contains letters, digits, ".", "_" or "-".
 * ".." and a trailing "." are rejected, as git rejects them in ref names.
 */
export const HUB_REVISION_PATTERN = '^(?=.{1,200}$)(?!.*\\.\\.)(?!.*\\.$)[A-Za-z0-9_][A-Za-z0-9._-]*(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*$';

const REPO_REGEX = new RegExp(HUB_REPO_PATTERN);
const REVISION_REGEX = new RegExp(HUB_REVISION_PATTERN);

/** Returns why `repo` is not a valid repository id, or null when it is valid. */
export function hubRepoProblem(repo: string): string | null {
  if (REPO_REGEX.test(repo)) return null;
  const quoted = JSON.stringify(repo);
  if (/^[a-z][a-z0-9+.-]*:/i.test(repo)) {
    return `Invalid Hugging Face repository id ${quoted}: expected an id such as "openai-community/gpt2", not a URL. Pass the owner/name part of the address.`;
  }
  return (
    `Invalid Hugging Face repository id ${quoted}: expected owner/name, such as "openai-community/gpt2", ` +
    'each part made of letters, digits, "-", "_" or "." (no spaces, no "..", no "--", no further "/").'
  );
}

/** Returns why `revision` is not a valid branch, tag or commit hash, or null when it is valid. */
export function hubRevisionProblem(revision: string): string | null {
  if (REVISION_REGEX.test(revision)) return null;
  return (
    `Invalid Hugging Face revision ${JSON.stringify(revision)}: expected a branch, tag or commit hash such as "main", ` +
    'made of letters, digits, ".", "_", "-" and "/" (no spaces, no "..").'
  );
}

/**
 * Returns `base` without trailing slashes after checking that it is an http(s) URL without
 * credentials, query or fragment. Throws an Error naming the value otherwise.
 */
export function normalizeHubBase(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new Error(`Invalid Hugging Face base URL ${JSON.stringify(base)}: expected an http or https URL such as "${HUB_DEFAULT_BASE}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`Invalid Hugging Face base URL ${JSON.stringify(base)}: only http and https are supported.`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new Error(`Invalid Hugging Face base URL ${JSON.stringify(base)}: remove the user name, password, query or fragment.`);
  }
  return url.href.replace(/\/+$/, '');
}

function assertHubReference(repo: string, revision: string): void {
  const problem = hubRepoProblem(repo) ?? hubRevisionProblem(revision);
  if (problem) throw new Error(problem);
}

/**
 * Returns the download URL of `file`. The revision is percent-encoded as one path segment
 * ("refs/pr/1" becomes "refs%2Fpr%2F1"), the form the Hub's resolve endpoint takes.
 * Throws when the repository id or revision is invalid.
 */
export function hubFileUrl(base: string, repo: string, revision: string, file: string): string {
  assertHubReference(repo, revision);
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${normalizeHubBase(base)}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}

/** Model name used in messages and ModelFiles.name: the repository id, with "@revision" unless it is "main". */
export function hubModelName(repo: string, revision: string): string {
  return revision === HUB_DEFAULT_REVISION ? repo : `${repo}@${revision}`;
}

export interface HubReference {
  /** Origin of a pasted URL; undefined for a plain id, so the caller's base applies. */
  base?: string;
  repo: string;
  revision: string;
}

/**
 * Parses what a person types to name a model: "owner/name", "owner/name@revision", or a page URL
 * such as "https://huggingface.co/owner/name" or ".../owner/name/tree/revision" (also /blob/ and
 * /resolve/ URLs of a file). Throws an Error naming the value when it matches none of these.
 */
export function parseHubReference(text: string): HubReference {
  const trimmed = text.trim();
  if (/^https?:\/\//i.test(trimmed)) return parseHubUrl(trimmed);

  const at = trimmed.indexOf('@');
  const repo = at < 0 ? trimmed : trimmed.slice(0, at);
  const revision = at < 0 ? HUB_DEFAULT_REVISION : trimmed.slice(at + 1);
  assertHubReference(repo, revision);
  return { repo, revision };
}

function parseHubUrl(text: string): HubReference {
  const url = new URL(text);
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const [owner, name, kind, revisionSegment] = segments;
  const repo = `${owner ?? ''}/${name ?? ''}`;
  let revision = HUB_DEFAULT_REVISION;
  if (kind !== undefined) {
    if ((kind !== 'tree' && kind !== 'blob' && kind !== 'resolve') || revisionSegment === undefined) {
      throw new Error(
        `Cannot read a Hugging Face repository from the URL ${JSON.stringify(text)}: expected ${url.origin}/owner/name, ` +
          'optionally followed by /tree/<revision>.',
      );
    }
    revision = decodeURIComponent(revisionSegment);
  }
  const problem = hubRepoProblem(repo) ?? hubRevisionProblem(revision);
  if (problem) throw new Error(`${problem} (read from the URL ${JSON.stringify(text)})`);
  // NOTE: a Hub served under a path prefix (a mirror at https://host/hf/...) cannot be distinguished
  // from a repository path here, so pass such a base separately with a plain repository id.
  return { base: url.origin, repo, revision };
}

/**
 * The part of the Cache API used here: a `Cache` from `caches.open(name)` fits, and so does any
 * object with these two methods (an in-memory map in tests, a folder in the CLI).
 */
export interface HubCache {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
}

export interface HubDownloadProgress {
  file: HubFileName;
  url: string;
  /** Bytes of this file received so far. */
  receivedBytes: number;
  /** Size of this file from Content-Length, or null when the server sends none (or compresses the body). */
  totalBytes: number | null;
  /** 'cache' when the file came from the cache, in one event with done true. */
  source: 'network' | 'cache';
  /** True on the last event of this file. */
  done: boolean;
}

export interface HubDownloadOptions {
  /** Hub address, such as HUB_DEFAULT_BASE. */
  base: string;
  /** Repository id, owner/name. */
  repo: string;
  /** Branch, tag or commit hash. */
  revision: string;
  /** The global fetch, or a stand-in with the same signature. */
  fetch: typeof fetch;
  /** Store of downloaded files, keyed by URL. Files found there are not fetched. */
  cache?: HubCache;
  /** Called when a file starts, at least every PROGRESS_STEP_BYTES while it streams, and when it ends. */
  onProgress?: (progress: HubDownloadProgress) => void;
  /** Called with problems that do not stop the load, such as a cache write that failed. */
  onWarning?: (message: string) => void;
  /** Aborts the download; the promise then rejects with the signal's AbortError. */
  signal?: AbortSignal;
}

/** Cache API name of downloaded Hub files. A new name leaves entries of an older layout unused. */
export const HUB_CACHE_NAME = 'hub-models-v1';

/**
 * Opens the Cache API store for Hub files. Returns undefined where the Cache API is missing (Node,
 * pages served over plain http from another host than localhost) or where opening it fails, as in
 * some private browsing modes; the failure goes to `onWarning`.
 */
export async function openBrowserHubCache(onWarning?: (message: string) => void): Promise<HubCache | undefined> {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (!storage) return undefined;
  try {
    return await storage.open(HUB_CACHE_NAME);
  } catch (error) {
    onWarning?.(`Opening the browser cache "${HUB_CACHE_NAME}" failed (${reasonOf(error)}); models are downloaded on every load.`);
    return undefined;
  }
}

/** Formats a progress event for a log line: "model.safetensors: 1.2 MB of 3.4 MB (35%)", with MB = 10^6 bytes. */
export function formatHubProgress(progress: HubDownloadProgress): string {
  const received = formatMegabytes(progress.receivedBytes);
  if (progress.source === 'cache') return `${progress.file}: ${received} (from the cache)`;
  if (progress.totalBytes === null || progress.totalBytes === 0) return `${progress.file}: ${received}${progress.done ? ', done' : ''}`;
  const percent = Math.floor((100 * progress.receivedBytes) / progress.totalBytes);
  return `${progress.file}: ${received} of ${formatMegabytes(progress.totalBytes)} (${percent}%)`;
}

function formatMegabytes(bytes: number): string {
  return bytes < 100_000 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Minimum bytes between two progress events of one file. */
export const PROGRESS_STEP_BYTES = 256 * 1024;

/**
 * Downloads config.json, tokenizer.json and model.safetensors of a repository, one after the
 * other. config.json is parsed as a GPT-2 config before the weights are fetched, so a repository
 * of another architecture is rejected without downloading its weights. Errors name the URL, the
 * cause and what to do.
 */
export async function downloadHubModel(options: HubDownloadOptions): Promise<ModelFiles> {
  const { repo, revision } = options;
  assertHubReference(repo, revision);
  const base = normalizeHubBase(options.base);
  const name = hubModelName(repo, revision);
  const decoder = new TextDecoder();

  const configBytes = await downloadHubFile(options, base, 'config.json');
  const config = decoder.decode(configBytes);
  parseGpt2Config(config, `${name}/config.json`);
  const tokenizer = decoder.decode(await downloadHubFile(options, base, 'tokenizer.json'));
  const weights = await downloadHubFile(options, base, 'model.safetensors');
  const safetensors =
    weights.byteOffset === 0 && weights.byteLength === weights.buffer.byteLength
      ? (weights.buffer as ArrayBuffer)
      : (weights.slice().buffer as ArrayBuffer);
  return { name, config, safetensors, tokenizer };
}

async function downloadHubFile(options: HubDownloadOptions, base: string, file: HubFileName): Promise<Uint8Array> {
  const { repo, revision, cache, onProgress, signal } = options;
  const url = hubFileUrl(base, repo, revision, file);

  const cached = cache ? await readCached(cache, url, options.onWarning) : undefined;
  if (cached) {
    onProgress?.({ file, url, receivedBytes: cached.byteLength, totalBytes: cached.byteLength, source: 'cache', done: true });
    return cached;
  }

  // Called through a local binding: a browser's fetch throws "Illegal invocation" when called as a
  // method of another object (options.fetch(...)).
  const fetchFile = options.fetch;
  let response: Response;
  try {
    response = await fetchFile(url, { signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason ?? error;
    throw new Error(
      `Downloading ${url} failed: ${reasonOf(error)}. Check the network connection and that ${base} is reachable, then try again.`,
    );
  }
  if (!response.ok) throw new Error(httpErrorMessage(response, url, repo, revision, file));

  const bytes = await readBody(response, url, file, onProgress, signal);
  if (cache) await writeCached(cache, url, bytes, options.onWarning);
  return bytes;
}

/** Reads a cached file; an unreadable entry counts as missing, so the file is fetched again. */
async function readCached(cache: HubCache, url: string, onWarning: HubDownloadOptions['onWarning']): Promise<Uint8Array | undefined> {
  try {
    const response = await cache.match(url);
    if (!response || !response.ok) return undefined;
    return new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    onWarning?.(`Reading ${url} from the cache failed (${reasonOf(error)}); downloading it again.`);
    return undefined;
  }
}

async function writeCached(cache: HubCache, url: string, bytes: Uint8Array, onWarning: HubDownloadOptions['onWarning']): Promise<void> {
  try {
    const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.byteLength) };
    await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers }));
  } catch (error) {
    // A full quota or a private browsing mode must not stop the run; the next load downloads again.
    onWarning?.(`Saving ${url} in the cache failed (${reasonOf(error)}); the next load downloads it again.`);
  }
}

/**
 * Streams a response body into one buffer and reports progress. A body shorter than its
 * Content-Length is rejected as truncated. Compressed bodies (Content-Encoding other than
 * identity) are decoded by fetch, so their Content-Length is not the decoded size and is ignored.
 */
async function readBody(
  response: Response,
  url: string,
  file: HubFileName,
  onProgress: HubDownloadOptions['onProgress'],
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const totalBytes = declaredLength(response);
  // The last event always carries the final size as its total, so a progress bar ends full.
  const report = (receivedBytes: number, done: boolean) =>
    onProgress?.({ file, url, receivedBytes, totalBytes: done ? receivedBytes : totalBytes, source: 'network', done });
  report(0, false);

  const collector = new ByteCollector(totalBytes);
  if (response.body) {
    const reader = response.body.getReader();
    let reported = 0;
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        throw new Error(
          `Downloading ${url} failed after ${formatBytes(collector.length)}${totalBytes === null ? '' : ` of ${formatBytes(totalBytes)}`}: ` +
            `the connection was interrupted (${reasonOf(error)}). Try again.`,
        );
      }
      if (chunk.done) break;
      collector.push(chunk.value);
      if (collector.length - reported >= PROGRESS_STEP_BYTES && collector.length !== totalBytes) {
        reported = collector.length;
        report(reported, false);
      }
    }
  } else {
    collector.push(new Uint8Array(await response.arrayBuffer()));
  }

  if (totalBytes !== null && collector.length < totalBytes) {
    throw new Error(
      `Downloading ${url} stopped after ${formatBytes(collector.length)} of ${formatBytes(totalBytes)}: the body is shorter than its ` +
        'Content-Length, so the file is truncated. Try again.',
    );
  }
  report(collector.length, true);
  return collector.bytes();
}

/** Content-Length of an uncompressed body, or null when missing, invalid or compressed. */
function declaredLength(response: Response): number | null {
  const encoding = response.headers.get('Content-Encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') return null;
  const text = response.headers.get('Content-Length');
  if (text === null || !/^\d+$/.test(text.trim())) return null;
  return Number(text);
}

/** Concatenates chunks into one preallocated buffer of the declared length, or into a list when none fits. */
class ByteCollector {
  private buffer: Uint8Array | null;
  private chunks: Uint8Array[] = [];
  length = 0;

  constructor(expected: number | null) {
    this.buffer = expected === null ? null : new Uint8Array(expected);
  }

  push(chunk: Uint8Array): void {
    if (this.buffer && this.length + chunk.byteLength <= this.buffer.byteLength) {
      this.buffer.set(chunk, this.length);
    } else {
      if (this.buffer) {
        // More bytes than declared (a body decoded by fetch): switch to a list of chunks.
        this.chunks.push(this.buffer.subarray(0, this.length));
        this.buffer = null;
      }
      this.chunks.push(chunk.slice());
    }
    this.length += chunk.byteLength;
  }

  bytes(): Uint8Array {
    if (this.buffer) return this.length === this.buffer.byteLength ? this.buffer : this.buffer.subarray(0, this.length);
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }
}

function httpErrorMessage(response: Response, url: string, repo: string, revision: string, file: HubFileName): string {
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  // The Hub names the cause in X-Error-Code when the browser may read it (it depends on CORS).
  const code = response.headers.get('X-Error-Code');
  const prefix = `Downloading ${url} failed with ${status}`;

  if (response.status === 401 || response.status === 403) {
    if (code === 'GatedRepo') {
      return `${prefix}: the repository "${repo}" is gated and requires accepting its conditions and an access token, which this playground does not send. Pick a public repository, or download the files and load them from disk.`;
    }
    return (
      `${prefix}: the repository "${repo}" is private or gated, or does not exist (the Hub returns 401 for all three without an access token, ` +
      'and this playground sends none). Check the repository id, pick a public repository, or download the files and load them from disk.'
    );
  }
  if (response.status === 404) {
    if (code === 'RevisionNotFound') return `${prefix}: the repository "${repo}" has no revision "${revision}". Check the branch, tag or commit hash.`;
    if (code === 'RepoNotFound') return `${prefix}: the repository "${repo}" does not exist. Check the repository id.`;
    if (file === 'model.safetensors') {
      return (
        `${prefix}: the repository "${repo}" at revision "${revision}" has no model.safetensors. Only safetensors checkpoints ` +
        '(one model.safetensors file with F32, F16 or BF16 tensors) are supported, not pytorch_model.bin or sharded checkpoints. ' +
        'Pick a repository that contains model.safetensors, or convert the checkpoint and load the files from disk.'
      );
    }
    if (file === 'tokenizer.json') {
      return (
        `${prefix}: the repository "${repo}" at revision "${revision}" has no tokenizer.json. Only repositories with a tokenizer.json ` +
        '(the tokenizers library format) are supported, not vocab.json and merges.txt alone.'
      );
    }
    return `${prefix}: the file, the revision "${revision}" or the repository "${repo}" does not exist. Check the repository id and the revision.`;
  }
  if (response.status === 429) return `${prefix}: the server is rate limiting requests. Wait a minute and try again.`;
  if (response.status >= 500) return `${prefix}: the server failed. Try again later.`;
  return `${prefix}. Check the repository id "${repo}" and the revision "${revision}".`;
}

/** Byte count for messages: "3,375,024 bytes". */
function formatBytes(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} bytes`;
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Node's fetch reports socket errors as "fetch failed" and puts the cause underneath.
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error && cause.message ? `${error.message}: ${cause.message}` : error.message;
}
