/**
 * Resolves a RunRequest's model and dataset to their raw contents. The browser worker reads
 * embedded files with fetch, the CLI from disk; both pass a `readFile` for paths under public/.
 */
import { parseTextDataset, splitTrainEval } from '../data/text-dataset';
import { EMBEDDED_DATASET_ID, EMBEDDED_DATASET_PATHS } from '../data/embedded';
import { EMBEDDED_MODEL_ID, EMBEDDED_MODEL_PATHS } from '../model/embedded';
import { downloadHubModel, type HubCache, type HubDownloadProgress } from '../model/hub';
import type { DatasetFile, ModelFiles, ModelSource, RunConfig } from './types';

export interface RunResources {
  model: ModelFiles;
  /** Training and held-out texts. */
  train: string[];
  eval: string[];
  datasetName: string;
}

export type ReadPublicFile = (relativePath: string) => Promise<ArrayBuffer>;

/**
 * Download settings for a model whose source has kind 'hub', provided by the host (worker or CLI).
 * The config names only the repository and revision, because the Hub address, the fetch and the
 * cache belong to the host.
 */
export interface HubAccess {
  /** Hub address, such as HUB_DEFAULT_BASE. */
  base: string;
  fetch: typeof fetch;
  /** The browser's Cache API (openBrowserHubCache), a folder in the CLI, or none. */
  cache?: HubCache;
  onProgress?: (progress: HubDownloadProgress) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

/** Fraction of an uploaded dataset held out for evaluation. */
export const UPLOAD_EVAL_FRACTION = 0.1;

const decoder = new TextDecoder();

/**
 * Reads the model and dataset a config names. Uploaded files come in `uploads`, embedded ones are
 * read with `readFile`, and a 'hub' model is downloaded through `hub`. Errors name the file and
 * what to do.
 */
export async function resolveResources(
  config: RunConfig,
  uploads: { model?: ModelFiles; dataset?: DatasetFile },
  readFile: ReadPublicFile,
  hub?: HubAccess,
): Promise<RunResources> {
  if (config.task === 'vision') throw new Error('The vision task is not available yet in this build.');
  // The dataset is parsed first: its errors are cheaper to find than a model download.
  let train: string[];
  let evalTexts: string[];
  let datasetName: string;
  if (config.dataset.kind === 'embedded') {
    if (config.dataset.id !== EMBEDDED_DATASET_ID) {
      throw new Error(`Unknown embedded dataset "${config.dataset.id}". The embedded dataset is "${EMBEDDED_DATASET_ID}".`);
    }
    const read = async (path: string) => decoder.decode(await readFile(path));
    train = [await read(EMBEDDED_DATASET_PATHS.train)];
    evalTexts = [await read(EMBEDDED_DATASET_PATHS.eval)];
    datasetName = EMBEDDED_DATASET_ID;
  } else {
    if (!uploads.dataset) throw new Error(`The dataset file "${config.dataset.name}" was not provided. Pick the file again.`);
    const { texts } = parseTextDataset(uploads.dataset.name, uploads.dataset.text);
    const split = splitTrainEval(texts, UPLOAD_EVAL_FRACTION, config.seed, uploads.dataset.name);
    train = split.train;
    evalTexts = split.eval;
    datasetName = uploads.dataset.name;
  }
  const model = await resolveModel(config.model, uploads.model, readFile, hub);
  return { model, train, eval: evalTexts, datasetName };
}

async function resolveModel(source: ModelSource, uploaded: ModelFiles | undefined, readFile: ReadPublicFile, hub: HubAccess | undefined): Promise<ModelFiles> {
  switch (source.kind) {
    case 'hub':
      return downloadModel(source, hub);
    case 'files':
      if (!uploaded) throw new Error(`The model files for "${source.name}" were not provided. Pick config.json, model.safetensors and tokenizer.json again.`);
      return uploaded;
    case 'embedded':
      return uploaded ?? readEmbeddedModel(source, readFile);
  }
}

async function downloadModel(source: { repo: string; revision: string }, hub: HubAccess | undefined): Promise<ModelFiles> {
  if (!hub) {
    throw new Error(`The model "${source.repo}" comes from the Hugging Face Hub, but this entry point cannot download from the Hub. Download config.json, model.safetensors and tokenizer.json and load them from disk.`);
  }
  return downloadHubModel({ ...hub, repo: source.repo, revision: source.revision });
}

async function readEmbeddedModel(source: { kind: 'embedded'; id: string }, readFile: ReadPublicFile): Promise<ModelFiles> {
  if (source.id !== EMBEDDED_MODEL_ID) {
    throw new Error(`Unknown embedded model "${source.id}". The embedded model is "${EMBEDDED_MODEL_ID}".`);
  }
  const [json, safetensors, tokenizer] = await Promise.all([
    readFile(EMBEDDED_MODEL_PATHS.config),
    readFile(EMBEDDED_MODEL_PATHS.weights),
    readFile(EMBEDDED_MODEL_PATHS.tokenizer),
  ]);
  return { name: EMBEDDED_MODEL_ID, config: decoder.decode(json), safetensors, tokenizer: decoder.decode(tokenizer) };
}
