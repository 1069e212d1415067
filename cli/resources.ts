/** Reads a run's model and dataset from disk for the Node entry points. */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { resolveResources, type RunResources } from '../app/run/resources';
import { resolveVisionResources, type VisionResources } from '../app/run/vision-resources';
import type { DatasetFile, LanguageModelRunConfig, ModelFiles, VisionRunConfig } from '../app/run/types';

const PUBLIC_DIR = new URL('../public/', import.meta.url);

async function readOrExplain(path: string | URL, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`Cannot read ${what} ${String(path)}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}.`);
  }
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Resolves the config's model and dataset: `modelDir` and `datasetFile` override the embedded ones. */
export async function readNodeResources(config: LanguageModelRunConfig, modelDir: string | null, datasetFile: string | null): Promise<RunResources> {
  let model: ModelFiles | undefined;
  if (modelDir) {
    const [json, safetensors, tokenizer] = await Promise.all([
      readOrExplain(join(modelDir, 'config.json'), 'the model config'),
      readOrExplain(join(modelDir, 'model.safetensors'), 'the model weights'),
      readOrExplain(join(modelDir, 'tokenizer.json'), 'the tokenizer'),
    ]);
    model = { name: modelDir, config: json.toString('utf8'), safetensors: toArrayBuffer(safetensors), tokenizer: tokenizer.toString('utf8') };
  }
  let dataset: DatasetFile | undefined;
  if (datasetFile) {
    const bytes = await readOrExplain(datasetFile, 'the dataset');
    dataset = { name: basename(datasetFile), text: bytes.toString('utf8') };
  }
  return resolveResources(config, { model, dataset }, async (relativePath) => toArrayBuffer(await readOrExplain(new URL(relativePath, PUBLIC_DIR), 'the embedded file')));
}

const readPublic = async (relativePath: string) => toArrayBuffer(await readOrExplain(new URL(relativePath, PUBLIC_DIR), 'the embedded file'));

/** Resolves a vision run's dataset: `files` (zip, CSV or IDX files) override the embedded one. */
export async function readNodeVisionResources(config: VisionRunConfig, files: readonly string[]): Promise<VisionResources> {
  const upload = await Promise.all(
    files.map(async (path) => ({ name: basename(path), bytes: new Uint8Array(toArrayBuffer(await readOrExplain(path, 'the dataset file'))) })),
  );
  return resolveVisionResources(config, upload.length ? upload : undefined, readPublic);
}
