/**
 * What a comparison needs from the person before it runs: the files of an uploaded dataset or of a
 * model from disk (checked against the comparison's SHA-256 references), and consent before a model
 * is downloaded from the Hugging Face Hub. "Run again" of a link asks for all of them; Run and
 * Restart ask for the download consent when this page has not had it for that model.
 */
import { create } from 'zustand';
import { HUB_DEFAULT_BASE } from '../model/hub';
import { checkFiles, type Comparison, type FileCheck, type FileReference } from '../share';
import { adoptSharedComparison, useComparisonStore } from './comparison';
import { addModelFiles, clearModelFiles } from './config';
import { rememberVerifiedUpload } from './file-hashes';

/** A model that a run downloads from the Hugging Face Hub. */
export interface HubDownload {
  repo: string;
  revision: string;
  /** The repository's page at that revision, where the person can look before agreeing. */
  pageUrl: string;
}

/** Returns the Hub download a comparison's runs make, or null when its model is not on the Hub. */
export function hubDownloadOf(comparison: Comparison): HubDownload | null {
  const { model } = comparison;
  if (model.kind !== 'hub') return null;
  return { repo: model.repo, revision: model.revision, pageUrl: `${HUB_DEFAULT_BASE}/${model.repo}/tree/${encodeURIComponent(model.revision)}` };
}

/** Hub models the person agreed to download in this page, as "repo@revision". */
const confirmedDownloads = new Set<string>();

export function isDownloadConfirmed(download: HubDownload): boolean {
  return confirmedDownloads.has(`${download.repo}@${download.revision}`);
}

export function confirmDownload(download: HubDownload): void {
  confirmedDownloads.add(`${download.repo}@${download.revision}`);
}

/** Forgets every consent; for tests. */
export function forgetDownloadConfirmations(): void {
  confirmedDownloads.clear();
}

/** Runs waiting for the person to agree to a Hub download. */
export interface DownloadRequest {
  download: HubDownload;
  runIds: string[];
}

export const useDownloadRequestStore = create<{ request: DownloadRequest | null }>()(() => ({ request: null }));

/**
 * Returns true when `runIds` of the task's comparison may start now. Otherwise the comparison's
 * model comes from the Hub without consent yet, and the runs wait in a request that the page shows.
 */
export function readyToRun(comparison: Comparison, runIds: readonly string[]): boolean {
  const download = hubDownloadOf(comparison);
  if (!download || isDownloadConfirmed(download)) return true;
  useDownloadRequestStore.setState({ request: { download, runIds: [...runIds] } });
  return false;
}

/** Files a comparison needs before it can run; null parts need nothing. */
export interface RunAgainNeeds {
  /** The uploaded dataset: its name (as in the configs) and one reference per file. */
  dataset: { name: string; files: FileReference[] } | null;
  /** A language model picked from disk: the safetensors name, and references when the link has them. */
  model: { name: string; files: FileReference[] | null } | null;
  /** A model downloaded from the Hub, which needs the person's consent. */
  download: HubDownload | null;
}

export function runAgainNeeds(comparison: Comparison): RunAgainNeeds {
  const { dataset, model } = comparison;
  return {
    dataset: dataset.kind === 'upload' ? { name: dataset.name, files: dataset.files } : null,
    model: model.kind === 'files' ? { name: model.name, files: model.files ?? null } : null,
    download: hubDownloadOf(comparison),
  };
}

/** Returns whether "Run again" must ask the person for files or consent first. */
export function needsPrompt(needs: RunAgainNeeds): boolean {
  return needs.dataset !== null || needs.model !== null || needs.download !== null;
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
 * Checks picked files and consent against what `needs` lists. Dataset files are checked by size and
 * SHA-256 (checkFiles). Model files are checked by SHA-256 when the link has references, otherwise by
 * name only, with a warning. A Hub model needs `downloadAgreed`, which is then remembered.
 */
export async function checkRunAgainFiles(needs: RunAgainNeeds, datasetFiles: readonly File[], modelFiles: readonly File[], downloadAgreed = false): Promise<FileCheck> {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (needs.download && !downloadAgreed) {
    problems.push(`Agree to download ${needs.download.repo} (revision ${needs.download.revision}) from ${HUB_DEFAULT_BASE} first, or cancel.`);
  }
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
  if (problems.length === 0 && needs.download) confirmDownload(needs.download);
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
