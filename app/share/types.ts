/**
 * The comparison format: several runs on one task, model, dataset and seed that differ in optimizer,
 * with their recorded results. It is plain JSON, the same in a share link, in a CLI comparison file
 * and in the page's store. docs/COMPARISON-FORMAT.md describes every field.
 */
import type { MemoryCategory } from '../../kernels/gpu/pool';
import type { RunConfig, Task, VisionArchitecture } from '../run/types';

/** Value of `format` in every comparison. */
export const COMPARISON_FORMAT = 'comparison';
/** Version of the comparison JSON layout; bump it when a field changes meaning. */
export const COMPARISON_VERSION = 1;

/** A file that a comparison refers to but does not embed. */
export interface FileReference {
  name: string;
  /** Size in bytes. */
  size: number;
  /** SHA-256 of the file's bytes, 64 lowercase hex digits. */
  sha256: string;
}

/**
 * The model every run uses: the RunConfig model source, plus references to the picked model files
 * when the model came from disk.
 */
export type ComparisonModel =
  | { kind: 'embedded'; id: string }
  | { kind: 'files'; name: string; files?: FileReference[] }
  /** A Hugging Face repository: the page downloads it only after the person confirms. */
  | { kind: 'hub'; repo: string; revision: string }
  | { kind: 'builtin'; architecture: VisionArchitecture };

/**
 * The dataset every run uses. An uploaded dataset is never embedded: `name` and `size` are those of
 * the runs' RunConfig (file names joined with ", ", total bytes) and `files` lists each file.
 */
export type ComparisonDataset = { kind: 'embedded'; id: string } | { kind: 'upload'; name: string; size: number; files: FileReference[] };

/** A metric against step: `values[i]` was recorded at `steps[i]`; steps strictly increase. */
export interface Series {
  steps: number[];
  values: number[];
}

export interface RunSeries {
  /** Training loss of each step (for zeroth-order runs, L+ at the positive perturbation). */
  trainLoss: Series;
  /** Held-out loss of each evaluation, step 0 being the loss before training. */
  evalLoss: Series;
  /** Vision runs only: held-out accuracy in [0, 1] of each evaluation. */
  accuracy?: Series;
  /** Training time in milliseconds at each step (loading, evaluation and sampling excluded). */
  elapsedMs: Series;
}

/**
 * 'running' while events still arrive; 'interrupted' when recording ended without a `finished`
 * event (a reload, a closed tab, a lost device).
 */
export type RunStatus = 'running' | 'completed' | 'stopped' | 'interrupted' | 'error';

/** Bytes per memory category, as reported by the buffer pool. */
export type MemoryByCategory = Partial<Record<MemoryCategory, number>>;

export interface RunSummary {
  status: RunStatus;
  /** The first error message of a run with status 'error'. */
  message?: string;
  /** Optimizer steps completed. */
  stepsDone: number;
  /** Training time in milliseconds after `stepsDone` steps. */
  elapsedMs: number;
  /** elapsedMs / stepsDone; absent before the first step. */
  msPerStep?: number;
  /** Held-out loss at the last evaluation, and the lowest one. */
  finalEvalLoss?: number;
  bestEvalLoss?: number;
  /** Vision runs only: held-out accuracy at the last evaluation, and the highest one. */
  finalAccuracy?: number;
  bestAccuracy?: number;
  /** Largest bytes seen per category over the run's events. */
  peakMemoryBytes: MemoryByCategory;
  /** WebGPU adapter the run used, for reading msPerStep. */
  adapter?: string;
  parameterCount?: number;
}

/** Text a language-model run generated from its sample prompt. */
export interface RunSample {
  /** Optimizer steps done when the text was generated: 0 before fine-tuning. */
  step: number;
  prompt: string;
  /** The generated continuation without the prompt, cut at COMPARISON_LIMITS.maxSampleTextLength characters. */
  text: string;
}

/** The samples of a language-model run before and after fine-tuning. Each is absent until generated. */
export interface RunSamples {
  before?: RunSample;
  after?: RunSample;
}

export type RunLogLevel = 'info' | 'warn' | 'error';

/** A log line of a run: an info or warning line, or an error. */
export interface RunLogLine {
  level: RunLogLevel;
  /** Plain text, never HTML, cut at COMPARISON_LIMITS.maxLogMessageLength characters. */
  message: string;
  /** Optimizer steps done when the line was logged. The recorder always sets it, but other writers may leave it out. */
  step?: number;
}

export interface RunResults {
  series: RunSeries;
  summary: RunSummary;
  /** Language-model runs with sampling on: the text generated before and after fine-tuning. */
  samples?: RunSamples;
  /** The last COMPARISON_LIMITS.maxLogLines log lines of the run, oldest first. */
  log?: RunLogLine[];
  /** Log lines dropped from the front of `log` to keep it within its cap. */
  droppedLogLines?: number;
}

export interface ComparisonRun {
  /** Unique within the comparison: lowercase letters, digits and '-', used as the CLI's file name. */
  id: string;
  /** Shown in legends and tables; plain text, never HTML. */
  label: string;
  /** Chart colour, '#rrggbb'. */
  colour: string;
  /** The full config; its task, model, dataset and seed equal the comparison's. */
  config: RunConfig;
  results?: RunResults;
}

export interface Comparison {
  format: typeof COMPARISON_FORMAT;
  version: typeof COMPARISON_VERSION;
  title?: string;
  task: Task;
  model: ComparisonModel;
  dataset: ComparisonDataset;
  seed: number;
  runs: ComparisonRun[];
}
