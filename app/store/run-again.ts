/**
 * "Run again" of a comparison opened from a link: the files it needs from the person (an uploaded
 * dataset, model files from disk), the check of the picked files against the link's SHA-256
 * references, and the hand-over to the run queue.
 */
import { checkFiles, type Comparison, type FileCheck, type FileReference } from '../share';
import { adoptSharedComparison, useComparisonStore } from './comparison';
import { addModelFiles, clearModelFiles } from './config';
import { rememberVerifiedUpload } from './file-hashes';

/** Files a comparison needs before it can run; null parts need nothing. */
export interface RunAgainNeeds {
  /** The uploaded dataset: its name (as in the configs) and one reference per file. */
  dataset: { name: string; files: FileReference[] } | null;
  /** A language model picked from disk: the safetensors name, and references when the link has them. */
  model: { name: string; files: FileReference[] | null } | null;
}

export function runAgainNeeds(comparison: Comparison): RunAgainNeeds {
  const { dataset, model } = comparison;
  return {
    dataset: dataset.kind === 'upload' ? { name: dataset.name, files: dataset.files } : null,
    model: model.kind === 'files' ? { name: model.name, files: model.files ?? null } : null,
  };
}

export function needsFiles(needs: RunAgainNeeds): boolean {
  return needs.dataset !== null || needs.model !== null;
}

async function named(files: readonly File[]) {
  return Promise.all(files.map(async (file) => ({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })));
}

/** Lists what is missing or misnamed among the model files a run reads: config.json, *.safetensors and tokenizer.json. */
function modelFileProblems(files: readonly File[], expectedName: string): string[] {
  const problems: string[] = [];
  const names = files.map((file) => file.name.toLowerCase());
  if (!names.includes('config.json')) problems.push('config.json is missing; pick it with the other model files.');
  if (!names.includes('tokenizer.json')) problems.push('tokenizer.json is missing; pick it with the other model files.');
  const weights = files.find((file) => file.name.toLowerCase().endsWith('.safetensors'));
  if (!weights) problems.push(`${expectedName} is missing; pick the model's .safetensors file.`);
  else if (weights.name !== expectedName) problems.push(`The comparison's model is "${expectedName}", but the picked weights are "${weights.name}".`);
  return problems;
}

/**
 * Checks picked files against what `needs` lists. Dataset files are checked by size and SHA-256
 * (checkFiles). Model files are checked by SHA-256 when the link has references, otherwise by name
 * only, with a warning.
 */
export async function checkRunAgainFiles(needs: RunAgainNeeds, datasetFiles: readonly File[], modelFiles: readonly File[]): Promise<FileCheck> {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (needs.dataset) {
    if (datasetFiles.length === 0) problems.push(`Pick the dataset file${needs.dataset.files.length === 1 ? '' : 's'} ${needs.dataset.files.map((file) => `"${file.name}"`).join(', ')}.`);
    else {
      const check = await checkFiles(await named(datasetFiles), needs.dataset.files);
      problems.push(...check.problems);
      warnings.push(...check.warnings);
    }
  }
  if (needs.model) {
    if (needs.model.files) {
      const check = await checkFiles(await named(modelFiles), needs.model.files);
      problems.push(...check.problems);
      warnings.push(...check.warnings);
    } else {
      problems.push(...modelFileProblems(modelFiles, needs.model.name));
      if (modelFiles.length) warnings.push('The link has no SHA-256 of the model files, so only their names are checked.');
    }
  }
  return { ok: problems.length === 0, problems, warnings };
}

/**
 * Makes the shared comparison the task's own with its results cleared, hands the checked files to
 * the forms, and returns the ids of the runs to queue, in order.
 */
export function adoptForRunAgain(datasetFiles: readonly File[], modelFiles: readonly File[]): string[] {
  const shared = useComparisonStore.getState().shared;
  if (!shared) throw new Error('No shared comparison is open.');
  const { dataset, model } = shared.comparison;
  if (dataset.kind === 'upload') rememberVerifiedUpload(dataset.files, datasetFiles);
  if (model.kind === 'files') {
    clearModelFiles();
    addModelFiles(modelFiles);
  }
  adoptSharedComparison({ clearResults: true });
  return shared.comparison.runs.map((run) => run.id);
}
