/**
 * Contracts between the run loop, its hosts (Web Worker, CLI) and the UI.
 * Everything here is plain JSON, so it crosses postMessage and is written by the CLI as-is.
 */
import type { MemoryBytes } from '../../kernels/gpu/pool';
import type { NamedBytes } from '../data/images/errors';

export type ModelSource =
  | { kind: 'embedded'; id: string }
  /** Files picked from disk: config.json, model.safetensors, tokenizer.json. */
  | { kind: 'files'; name: string }
  /** A Hugging Face repository: `owner/name` at a branch, tag or commit hash (app/model/hub.ts downloads it). */
  | { kind: 'hub'; repo: string; revision: string };

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

/** A run's task; each task has its own models, datasets and optimizers. */
export type Task = 'language-model' | 'vision';

export type RunConfig = LanguageModelRunConfig | VisionRunConfig;

export interface LanguageModelRunConfig {
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

/** Vision networks built into the playground (their weights are initialised from the run seed). */
export type VisionArchitecture = 'mlp' | 'cnn';

export interface SgdConfig {
  name: 'sgd';
  learningRate: number;
  /** Momentum μ: m = μ·m + g. */
  momentum: number;
  /** L2 weight decay added to the gradient (d + wd·p), skipped for biases. */
  weightDecay: number;
}

export interface AdamwConfig {
  name: 'adamw';
  learningRate: number;
  beta1: number;
  beta2: number;
  /** Adam's ε in the denominator √v̂ + ε. */
  epsilon: number;
  /** Decoupled weight decay: p *= 1 − η·wd, skipped for biases. */
  weightDecay: number;
}

export type FirstOrderConfig = SgdConfig | AdamwConfig;

/** Codebooks of the 4-bit quantizer (ALGORITHMS.md, "Block-wise quantizer"). */
export type Codebook = 'linear-2' | 'dynamic-tree';

export interface ShampooConfig {
  /** shampoo32 keeps fp32 factors and roots; shampoo4 stores eigenvectors and roots in 4 bits. */
  name: 'shampoo32' | 'shampoo4';
  /** Base optimizer fed with the grafted preconditioned direction; it also updates 1-D tensors. */
  base: FirstOrderConfig;
  /** T1: steps between factor (or eigenvector) updates. */
  factorPeriod: number;
  /** T2: steps between inverse-root updates. */
  rootPeriod: number;
  /** β of the factor moving averages. */
  factorDecay: number;
  /** ε of the relative ridge ε·λmax. */
  epsilon: number;
  /** Dimensions above this are split into blocks of at most this order. */
  maxOrder: number;
  /** shampoo4 only: bits per code (4). */
  bits?: 4;
  /** shampoo4 only: the quantization map. */
  codebook?: Codebook;
  /** shampoo4 only: Björck rectification of the dequantized eigenvectors. */
  rectify?: boolean;
  /**
   * shampoo4 only: what is quantized. 'eigenvectors' is the method; 'factor' is the naive variant that
   * quantizes the factors L and R themselves, shown for comparison.
   */
  quantize?: 'eigenvectors' | 'factor';
}

export type VisionOptimizerConfig = FirstOrderConfig | ShampooConfig;

export interface VisionRunConfig {
  task: 'vision';
  model: { kind: 'builtin'; architecture: VisionArchitecture };
  /** Embedded id "fashion-mnist", or an uploaded IDX pair, .zip of class folders, or CSV. */
  dataset: DatasetSource;
  optimizer: VisionOptimizerConfig;
  /** Images per step. */
  batchSize: number;
  steps: number;
  seed: number;
  /** Steps between held-out evaluations (0 disables them). */
  evalEvery: number;
  /** Held-out images per evaluation (the whole split when larger). */
  evalExamples: number;
}

export type RunEvent =
  | {
      type: 'started';
      adapter: string;
      parameterCount: number;
      /** Training and held-out sizes, in `sizeUnit`. */
      trainSize: number;
      evalSize: number;
      sizeUnit: 'tokens' | 'images';
      memoryBytes: MemoryBytes;
    }
  | {
      type: 'step';
      step: number;
      /** Training loss: L+ at the positive perturbation for zeroth-order runs, the batch loss otherwise. */
      loss: number;
      /** Zeroth-order runs only: the projected gradient g = (L+ − L−) / (2ε). */
      projectedGrad?: number;
      elapsedMs: number;
      memoryBytes: MemoryBytes;
    }
  | {
      type: 'eval';
      step: number;
      evalLoss: number;
      /** Vision runs only: held-out accuracy in [0, 1]. */
      accuracy?: number;
      elapsedMs: number;
    }
  | { type: 'sample'; step: number; when: 'before' | 'after'; prompt: string; text: string }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  /**
   * The trained weights as a safetensors file in the model's own layout, emitted once at the end of
   * a completed or stopped run when RunControl.exportWeights is set.
   */
  | { type: 'weights'; step: number; fileName: string; safetensors: Uint8Array }
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
  | {
      type: 'start';
      config: RunConfig;
      model?: ModelFiles;
      dataset?: DatasetFile;
      /** Vision runs with an uploaded dataset: the picked image files, their buffers transferred. */
      images?: NamedBytes[];
      baseUrl: string;
    }
  | { type: 'stop' };
