/**
 * Checks that run when a file is picked or the page starts, so the form can report a malformed
 * dataset or a too-long sequence before Run. They use the same parsers as the worker, which still
 * validates everything again at run time.
 */
import { parseTextDataset } from '../data/text-dataset';
import { EMBEDDED_MODEL_ID, EMBEDDED_MODEL_PATHS } from '../model/embedded';
import { parseGpt2Config } from '../model/gpt2-config';

/** Outcome of reading and parsing one file: still reading, parsed into `value`, or rejected with the parser's message. */
export type FileCheck<T> = { status: 'reading' } | { status: 'valid'; value: T } | { status: 'invalid'; message: string };

/** Summary of a dataset file that parsed. */
export interface DatasetSummary {
  textCount: number;
}

/** Maximum context of a model, from `n_positions` of its config.json. */
export interface ModelContext {
  nPositions: number;
  /** Name of the file or embedded model that nPositions was read from, for messages. */
  source: string;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads a picked dataset file and parses it with the worker's parser. Never rejects. */
export async function checkDatasetFile(file: File): Promise<FileCheck<DatasetSummary>> {
  let content: string;
  try {
    content = await file.text();
  } catch (error) {
    return { status: 'invalid', message: `${file.name}: reading the file failed (${errorMessage(error)}). Pick the file again.` };
  }

  try {
    const { texts } = parseTextDataset(file.name, content);
    return { status: 'valid', value: { textCount: texts.length } };
  } catch (error) {
    return { status: 'invalid', message: errorMessage(error) };
  }
}

/** Reads a picked config.json and returns its context length. Never rejects. */
export async function checkModelConfigFile(file: File): Promise<FileCheck<ModelContext>> {
  let json: string;
  try {
    json = await file.text();
  } catch (error) {
    return { status: 'invalid', message: `${file.name}: reading the file failed (${errorMessage(error)}). Pick the file again.` };
  }

  try {
    return { status: 'valid', value: { nPositions: parseGpt2Config(json, file.name).nPositions, source: file.name } };
  } catch (error) {
    return { status: 'invalid', message: errorMessage(error) };
  }
}

/**
 * Fetches the embedded model's config.json relative to `baseUrl` (the page's base URL) and returns
 * its context length. Never rejects.
 */
export async function fetchEmbeddedModelContext(baseUrl: string): Promise<FileCheck<ModelContext>> {
  const url = new URL(EMBEDDED_MODEL_PATHS.config, baseUrl).href;
  const fileName = `${EMBEDDED_MODEL_ID}/config.json`;
  try {
    const response = await fetch(url);
    if (!response.ok) {
      return { status: 'invalid', message: `fetching ${url} failed with HTTP ${response.status} ${response.statusText}` };
    }
    const config = parseGpt2Config(await response.text(), fileName);
    return { status: 'valid', value: { nPositions: config.nPositions, source: EMBEDDED_MODEL_ID } };
  } catch (error) {
    return { status: 'invalid', message: `reading ${url} failed: ${errorMessage(error)}` };
  }
}
