/**
 * The embedded fine-tuning dataset: State of the Union addresses from 1950 on (public domain),
 * written by scripts/export_texts.mjs. Paths are relative to the site root, which is public/ in
 * the repository. The caller reads them with fetch in the browser or from disk in Node.
 */
export const EMBEDDED_DATASET_ID = 'sotu';
export const EMBEDDED_DATASET_DIR = 'datasets/sotu/';
export const EMBEDDED_DATASET_FILES = {
  train: 'train.txt',
  eval: 'eval.txt',
} as const;

/** Relative paths of the train and eval texts. */
export const EMBEDDED_DATASET_PATHS = {
  train: EMBEDDED_DATASET_DIR + EMBEDDED_DATASET_FILES.train,
  eval: EMBEDDED_DATASET_DIR + EMBEDDED_DATASET_FILES.eval,
} as const;
