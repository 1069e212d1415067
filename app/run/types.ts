/**
 * Contracts between the run loop, its hosts (Web Worker, CLI) and the UI.
 * Everything here is plain JSON, so it crosses postMessage and is written by the CLI as-is.
 */
import type { MemoryBytes } from '../../kernels/gpu/pool';

export type ModelSource =
  | { kind: 'embedded'; id: string }
  /** Files picked from disk: config.json, model.safetensors, tokenizer.json. */
  | { kind: 'files'; name: string };

export type DatasetSource =
  | { kind: 'embedded'; id: string }
  | { kind: 'upload'; name: string; size: number };

export interface MezoConfig {
  name: 'mezo';
  /** Learning rate η. */
  learningRate: number;
  /** Perturbation scale ε. */
  perturbationScale: number;
  /** Weight decay λ, skipped for biases and norm weights. */
  weightDecay: number;
  /** Keeps the token and position embeddings (wte, wpe) fixed: they are neither perturbed nor updated. */
  freezeEmbeddings?: boolean;
}

export interface SubzeroConfig extends Omit<MezoConfig, 'name'> {
  name: 'subzero';
  /** Subspace rank r (r_eff = min(r, m, n) per weight). */
  rank: number;
  /** Steps between subspace refreshes T. */
  subspacePeriod: number;
}

export type OptimizerConfig = MezoConfig | SubzeroConfig;

export interface RunConfig {
  task: 'language-model';
  model: ModelSource;
  dataset: DatasetSource;
  optimizer: OptimizerConfig;
  /** Sequences per step. */
  batchSize: number;
  /** Tokens per sequence (at most the model's context). */
  sequenceLength: number;
  steps: number;
  seed: number;
  /** Steps between held-out evaluations (0 disables them). */
  evalEvery: number;
  /** Batches averaged per evaluation. */
  evalBatches: number;
  /** Prompt of the text sample generated before and after fine-tuning. */
  samplePrompt: string;
  /** Tokens generated for each sample. */
  sampleTokens: number;
}

export type RunEvent =
  | { type: 'started'; adapter: string; parameterCount: number; trainTokens: number; evalTokens: number; memoryBytes: MemoryBytes }
  | {
      type: 'step';
      step: number;
      /** Training loss L+ at the positive perturbation. */
      loss: number;
      /** Projected gradient g = (L+ − L−) / (2ε). */
      projectedGrad: number;
      elapsedMs: number;
      memoryBytes: MemoryBytes;
    }
  | { type: 'eval'; step: number; evalLoss: number; elapsedMs: number }
  | { type: 'sample'; step: number; when: 'before' | 'after'; prompt: string; text: string }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'error'; message: string }
  | { type: 'finished'; reason: 'completed' | 'stopped' | 'error'; step: number; elapsedMs: number };

/** Raw files of a model in Hugging Face layout. */
export interface ModelFiles {
  name: string;
  config: string;
  safetensors: ArrayBuffer;
  tokenizer: string;
}

/** A dataset file's contents. */
export interface DatasetFile {
  name: string;
  text: string;
}

/** Messages from the page to the run worker. */
export type WorkerRequest =
  | { type: 'start'; config: RunConfig; model?: ModelFiles; dataset?: DatasetFile; baseUrl: string }
  | { type: 'stop' };
