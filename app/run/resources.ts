/**
 * Resolves a RunRequest's model and dataset to their raw contents. The browser worker reads
 * embedded files with fetch, the CLI from disk; both pass a `readFile` for paths under public/.
 */
import { EMBEDDED_DATASET_ID, EMBEDDED_MODEL_ID } from './config';
import type { DatasetFile, ModelFiles, RunConfig } from './types';

export interface RunResources {
  model: ModelFiles;
  /** Training and held-out texts. */
  train: string[];
  eval: string[];
  datasetName: string;
}

export type ReadPublicFile = (relativePath: string) => Promise<ArrayBuffer>;

export const EMBEDDED_MODEL_DIR = `models/${EMBEDDED_MODEL_ID}/`;
export const EMBEDDED_DATASET_DIR = `datasets/${EMBEDDED_DATASET_ID}/`;
