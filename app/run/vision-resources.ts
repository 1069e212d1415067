/**
 * Resolves a vision run's dataset to normalised training and held-out images. The embedded
 * Fashion-MNIST subset is read with `readFile` (fetch in the browser, disk in the CLI); uploads
 * arrive as named bytes and are recognised by content (zip, CSV, IDX).
 */
import { loadEmbeddedImageDataset, loadImageUpload, recognizeImageUpload, type ImageSplit, type NamedBytes } from '../data/images';
import type { ReadPublicFile } from './resources';
import type { VisionRunConfig } from './types';

export interface VisionResources {
  split: ImageSplit;
  datasetName: string;
}

/** Share of each class held out when an uploaded dataset has no test split of its own. */
export const IMAGE_UPLOAD_EVAL_FRACTION = 0.1;

export async function resolveVisionResources(
  config: VisionRunConfig,
  upload: readonly NamedBytes[] | undefined,
  readFile: ReadPublicFile,
): Promise<VisionResources> {
  if (config.dataset.kind === 'embedded') {
    const split = await loadEmbeddedImageDataset(config.dataset.id, readFile);
    return { split, datasetName: config.dataset.id };
  }
  if (!upload || upload.length === 0) {
    throw new Error(`The image dataset "${config.dataset.name}" was not provided. Pick the files again.`);
  }
  const split = loadImageUpload(recognizeImageUpload(upload), { evalFraction: IMAGE_UPLOAD_EVAL_FRACTION, seed: config.seed });
  return { split, datasetName: config.dataset.name };
}
