/**
 * Building and editing comparisons. Every function returns a new comparison and leaves its argument
 * unchanged, so the result can go straight into a store.
 */
import { assertRunConfig } from '../run/config';
import type { RunConfig } from '../run/types';
import { assertComparison, COMPARISON_LIMITS } from './schema';
import { datasetSourceOf, modelSourceOf } from './sources';
import { COMPARISON_FORMAT, COMPARISON_VERSION, type Comparison, type ComparisonDataset, type ComparisonModel, type ComparisonRun, type FileReference, type RunResults } from './types';

/**
 * Run colours in order of use: the Okabe–Ito palette, chosen to stay distinct under the common forms
 * of colour blindness. Runs beyond eight reuse them.
 */
export const RUN_COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#f0e442', '#000000'] as const;

export interface RunOptions {
  /** Default: the optimizer name, made unique ("adamw", "adamw-2"). */
  id?: string;
  /** Default: the optimizer name, with " (2)" and so on when it repeats. */
  label?: string;
  /** Default: the first of RUN_COLOURS that no run uses yet. */
  colour?: string;
}

export interface BuildOptions {
  title?: string;
  /** Per config, in order. */
  runs?: RunOptions[];
  /** Required when the dataset is an upload: each file's name, size and SHA-256 (see fileReference). */
  datasetFiles?: FileReference[];
  /** Optional when the model comes from files: config.json, model.safetensors, tokenizer.json. */
  modelFiles?: FileReference[];
}

function comparisonModel(config: RunConfig, files: FileReference[] | undefined): ComparisonModel {
  const model = config.model;
  if (model.kind === 'files') return files ? { kind: 'files', name: model.name, files } : { kind: 'files', name: model.name };
  if (model.kind === 'hub') return { kind: 'hub', repo: model.repo, revision: model.revision };
  return model.kind === 'embedded' ? { kind: 'embedded', id: model.id } : { kind: 'builtin', architecture: model.architecture };
}

function comparisonDataset(config: RunConfig, files: FileReference[] | undefined): ComparisonDataset {
  const dataset = config.dataset;
  if (dataset.kind === 'embedded') return { kind: 'embedded', id: dataset.id };
  if (!files || files.length === 0) {
    throw new Error(`The uploaded dataset "${dataset.name}" needs its file references (name, size, SHA-256); compute them with fileReference() and pass them as datasetFiles.`);
  }
  return { kind: 'upload', name: dataset.name, size: dataset.size, files };
}

function uniqueId(base: string, taken: ReadonlySet<string>): string {
  const slug = base.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 56) || 'run';
  if (!taken.has(slug)) return slug;
  for (let n = 2; ; n++) if (!taken.has(`${slug}-${n}`)) return `${slug}-${n}`;
}

function uniqueLabel(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base} (${n})`)) return `${base} (${n})`;
}

function newRun(runs: readonly ComparisonRun[], config: RunConfig, options: RunOptions = {}): ComparisonRun {
  const usedColours = new Set(runs.map((run) => run.colour.toLowerCase()));
  const colour = options.colour ?? RUN_COLOURS.find((candidate) => !usedColours.has(candidate)) ?? RUN_COLOURS[runs.length % RUN_COLOURS.length];
  return {
    id: options.id ?? uniqueId(config.optimizer.name, new Set(runs.map((run) => run.id))),
    label: options.label ?? uniqueLabel(config.optimizer.name, new Set(runs.map((run) => run.label))),
    colour,
    config: structuredClone(config),
  };
}

/**
 * Builds a comparison from run configs that share task, model, dataset and seed (the first config
 * sets them). Throws when a config is invalid, the configs disagree, or an uploaded dataset comes
 * without `datasetFiles`; the message lists each problem.
 */
export function buildComparison(configs: readonly RunConfig[], options: BuildOptions = {}): Comparison {
  if (configs.length === 0) throw new Error('A comparison needs at least one run config.');
  configs.forEach((config, index) => {
    try {
      assertRunConfig(config);
    } catch (error) {
      throw new Error(`Run config ${index}: ${(error as Error).message}`);
    }
  });
  const first = configs[0];
  const runs: ComparisonRun[] = [];
  configs.forEach((config, index) => runs.push(newRun(runs, config, options.runs?.[index])));
  const comparison: Comparison = {
    format: COMPARISON_FORMAT,
    version: COMPARISON_VERSION,
    ...(options.title !== undefined ? { title: options.title } : {}),
    task: first.task,
    model: comparisonModel(first, options.modelFiles),
    dataset: comparisonDataset(first, options.datasetFiles),
    seed: first.seed,
    runs,
  };
  return assertComparison(comparison);
}

function findRun(comparison: Comparison, runId: string): ComparisonRun {
  const run = comparison.runs.find((candidate) => candidate.id === runId);
  if (!run) throw new Error(`No run "${runId}" in this comparison; its runs are ${comparison.runs.map((r) => `"${r.id}"`).join(', ')}.`);
  return run;
}

/**
 * Returns the RunConfig to run for `runId`: a copy of the run's config with task, model, dataset and seed
 * taken from the comparison (a valid comparison already has them equal).
 */
export function runConfigOf(comparison: Comparison, runId: string): RunConfig {
  const config = structuredClone(findRun(comparison, runId).config);
  return { ...config, task: comparison.task, model: modelSourceOf(comparison.model), dataset: datasetSourceOf(comparison.dataset), seed: comparison.seed } as RunConfig;
}

/**
 * Adds a run (for duplicate-and-edit: edit a copy of runConfigOf and add it back). The config's
 * task, model, dataset and seed must equal the comparison's; throws with the problems otherwise.
 */
export function addRun(comparison: Comparison, config: RunConfig, options: RunOptions = {}): Comparison {
  if (comparison.runs.length >= COMPARISON_LIMITS.maxRuns) {
    throw new Error(`A comparison has at most ${COMPARISON_LIMITS.maxRuns} runs; remove one before adding another.`);
  }
  return assertComparison({ ...comparison, runs: [...comparison.runs, newRun(comparison.runs, config, options)] });
}

/** Removes the run `runId`; the last run cannot be removed, because a comparison has at least one. */
export function removeRun(comparison: Comparison, runId: string): Comparison {
  findRun(comparison, runId);
  if (comparison.runs.length === 1) throw new Error('A comparison needs at least one run, so its last run cannot be removed.');
  return { ...comparison, runs: comparison.runs.filter((run) => run.id !== runId) };
}

/** Replaces the results of `runId` (undefined clears them, as before a restart). */
export function setRunResults(comparison: Comparison, runId: string, results: RunResults | undefined): Comparison {
  findRun(comparison, runId);
  return {
    ...comparison,
    runs: comparison.runs.map((run) => {
      if (run.id !== runId) return run;
      const { results: _previous, ...rest } = run;
      return results ? { ...rest, results } : rest;
    }),
  };
}

/** Returns the comparison without results, as the CLI reads a comparison file. */
export function withoutResults(comparison: Comparison): Comparison {
  return { ...comparison, runs: comparison.runs.map(({ results: _results, ...run }) => run) };
}

/**
 * Marks every 'running' run as 'interrupted', keeping what it recorded. Call it on a comparison
 * restored after a reload, since no run survives one; share links never carry a running run.
 */
export function interruptRunning(comparison: Comparison): Comparison {
  return {
    ...comparison,
    runs: comparison.runs.map((run) =>
      run.results?.summary.status === 'running' ? { ...run, results: { ...run.results, summary: { ...run.results.summary, status: 'interrupted' } } } : run,
    ),
  };
}
