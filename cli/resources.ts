/** Reads a run's model and dataset from disk, or downloads the model from the Hub, for the Node entry points. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ModelFileSource } from '../app/model/file-source';
import { parseGpt2Config } from '../app/model/gpt2-config';
import { checkSafetensorsSize } from '../app/model/safetensors';
import { loadTokenizer } from '../app/model/tokenizer';
import { formatHubProgress, HUB_DEFAULT_BASE, type HubCache, type HubDownloadProgress } from '../app/model/hub';
import { resolveResources, type HubAccess, type RunResources } from '../app/run/resources';
import { resolveVisionResources, type VisionResources } from '../app/run/vision-resources';
import type { DatasetFile, LanguageModelRunConfig, ModelFiles, VisionRunConfig } from '../app/run/types';

const PUBLIC_DIR = new URL('../public/', import.meta.url);

/** Reads a file. A failure names `what` and the path, and a missing file adds `missingAdvice` when given. */
async function readOrExplain(path: string | URL, what: string, missingAdvice?: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(`Cannot read ${what} ${String(path)}: file not found.${missingAdvice ? ` ${missingAdvice}` : ''}`);
    }
    throw new Error(`Cannot read ${what} ${String(path)}: ${(error as Error).message}.`);
  }
}

const MODEL_DIR_CONTENTS = '--model takes a folder containing config.json, model.safetensors and tokenizer.json.';

/** Throws when `modelDir` does not exist or is not a folder, before its three files are read. */
async function checkModelDir(modelDir: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(modelDir)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`--model ${modelDir}: the folder does not exist. ${MODEL_DIR_CONTENTS}`);
    throw new Error(`--model ${modelDir}: cannot read the folder: ${(error as Error).message}.`);
  }
  if (!isFolder) throw new Error(`--model ${modelDir} is a file, not a folder. ${MODEL_DIR_CONTENTS}`);
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Default folder of downloaded Hub files, relative to the project root (npm run train starts there). */
export const DEFAULT_HUB_CACHE_DIR = 'tmp/hub-cache';

/** Hub address and cache folder for a CLI run whose model has kind 'hub'. */
export interface NodeHubSettings {
  /** Hub address, such as HUB_DEFAULT_BASE. */
  base: string;
  /** Folder of the disk cache, or null to download every time. */
  cacheDir: string | null;
}

/** Hub settings when the caller passes none: the public Hub with the default cache folder. */
const DEFAULT_HUB_SETTINGS: NodeHubSettings = { base: HUB_DEFAULT_BASE, cacheDir: DEFAULT_HUB_CACHE_DIR };

/**
 * Creates a HubCache in a folder: one file per URL, named by the URL's SHA-256. A file is written under a
 * temporary name and renamed when complete, so an interrupted run leaves no partial entry.
 */
export function createDiskHubCache(dir: string): HubCache {
  const pathOf = (url: string) => join(dir, `${createHash('sha256').update(url).digest('hex')}.bin`);
  return {
    async match(url) {
      try {
        return new Response(new Uint8Array(await readFile(pathOf(url))));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async put(url, response) {
      const bytes = new Uint8Array(await response.arrayBuffer());
      const path = pathOf(url);
      const partial = `${path}.${process.pid}.partial`;
      await mkdir(dir, { recursive: true });
      try {
        await writeFile(partial, bytes);
        await rename(partial, path);
      } finally {
        await rm(partial, { force: true });
      }
    },
  };
}

/** Fraction of a file between two progress lines on stderr. */
const PROGRESS_LINE_FRACTION = 0.1;
/** Bytes between two progress lines when the size is unknown. */
const PROGRESS_LINE_BYTES = 10_000_000;
/** Files below this size get no line when they start. */
const SMALL_FILE_BYTES = 1_000_000;

/** Returns a progress callback that writes a line when a large file starts, about every 10%, and when a file ends. */
export function hubProgressPrinter(print: (line: string) => void): (progress: HubDownloadProgress) => void {
  let lastFile = '';
  let lastPrinted = 0;
  return (progress) => {
    const step = progress.totalBytes ? progress.totalBytes * PROGRESS_LINE_FRACTION : PROGRESS_LINE_BYTES;
    // A small file gets only its final line.
    const starting = progress.file !== lastFile && (progress.totalBytes === null || progress.totalBytes >= SMALL_FILE_BYTES);
    if (starting || progress.done || (progress.file === lastFile && progress.receivedBytes - lastPrinted >= step)) {
      lastFile = progress.file;
      lastPrinted = progress.receivedBytes;
      print(`hub: ${formatHubProgress(progress)}`);
    }
  };
}

/** Builds the HubAccess of a CLI run: Node's fetch, the disk cache and progress lines on `print`. */
export function nodeHubAccess(settings: NodeHubSettings, print: (line: string) => void): HubAccess {
  return {
    base: settings.base,
    fetch,
    cache: settings.cacheDir === null ? undefined : createDiskHubCache(settings.cacheDir),
    onProgress: hubProgressPrinter(print),
    onWarning: (message) => print(`warning: ${message}`),
  };
}

/**
 * Runs the cheap checks of the model loaders on files read from `modelDir`, so that their errors
 * ask to fix or replace the file in that folder. NOTE: the run parses config.json and
 * tokenizer.json again when it loads the model, which costs a fraction of a second for GPT-2.
 */
function checkModelFiles(files: ModelFiles, modelDir: string): void {
  const source: ModelFileSource = { kind: 'disk', dir: modelDir };
  parseGpt2Config(files.config, join(modelDir, 'config.json'), source);
  checkSafetensorsSize(files.safetensors, join(modelDir, 'model.safetensors'), source);
  loadTokenizer(files.tokenizer, join(modelDir, 'tokenizer.json'), source);
}

const printToStderr = (line: string) => process.stderr.write(line + '\n');

/**
 * Resolves the config's model and dataset: `modelDir` and `datasetFile` override the embedded ones,
 * and a 'hub' model is downloaded with `hub` (default: the public Hub and DEFAULT_HUB_CACHE_DIR).
 */
export async function readNodeResources(
  config: LanguageModelRunConfig,
  modelDir: string | null,
  datasetFile: string | null,
  hub: NodeHubSettings = DEFAULT_HUB_SETTINGS,
): Promise<RunResources> {
  let model: ModelFiles | undefined;
  if (modelDir) {
    await checkModelDir(modelDir);
    const tokenizerAdvice =
      `tokenizer.json comes from the same Hugging Face repository as the weights (for GPT-2, its byte-level BPE tokenizer.json). ` +
      `Download it into ${modelDir}.`;
    const [json, safetensors, tokenizer] = await Promise.all([
      readOrExplain(join(modelDir, 'config.json'), 'the model config'),
      readOrExplain(join(modelDir, 'model.safetensors'), 'the model weights'),
      readOrExplain(join(modelDir, 'tokenizer.json'), 'the tokenizer', tokenizerAdvice),
    ]);
    model = { name: modelDir, config: json.toString('utf8'), safetensors: toArrayBuffer(safetensors), tokenizer: tokenizer.toString('utf8') };
    checkModelFiles(model, modelDir);
  }
  let dataset: DatasetFile | undefined;
  if (datasetFile) {
    const bytes = await readOrExplain(datasetFile, 'the dataset');
    dataset = { name: basename(datasetFile), text: bytes.toString('utf8') };
  }
  if (config.model.kind === 'hub') {
    const where = hub.cacheDir === null ? 'without a cache' : `cache ${hub.cacheDir}`;
    printToStderr(`hub: loading ${config.model.repo} at revision ${config.model.revision} from ${hub.base} (${where})`);
  }
  const access = nodeHubAccess(hub, printToStderr);
  return resolveResources(config, { model, dataset }, async (relativePath) => toArrayBuffer(await readOrExplain(new URL(relativePath, PUBLIC_DIR), 'the embedded file')), access);
}

const readPublic = async (relativePath: string) => toArrayBuffer(await readOrExplain(new URL(relativePath, PUBLIC_DIR), 'the embedded file'));

/** Resolves a vision run's dataset: `files` (zip, CSV or IDX files) override the embedded one. */
export async function readNodeVisionResources(config: VisionRunConfig, files: readonly string[]): Promise<VisionResources> {
  const upload = await Promise.all(
    files.map(async (path) => ({ name: basename(path), bytes: new Uint8Array(toArrayBuffer(await readOrExplain(path, 'the dataset file'))) })),
  );
  return resolveVisionResources(config, upload.length ? upload : undefined, readPublic);
}
