/**
 * RunConfig schema, defaults and validation. Every entry point (UI form, CLI flags, worker) validates
 * a config here, so an invalid value is rejected with the same message everywhere.
 */
import Ajv, { type ErrorObject } from 'ajv';
import { EMBEDDED_DATASET_ID } from '../data/embedded';
import { EMBEDDED_MODEL_ID } from '../model/embedded';
import { HUB_REPO_PATTERN, HUB_REVISION_PATTERN, hubRepoProblem, hubRevisionProblem } from '../model/hub';
import type {
  AdamwConfig,
  LanguageModelRunConfig,
  OptimizerConfig,
  RunConfig,
  SgdConfig,
  ShampooConfig,
  VisionOptimizerConfig,
  VisionRunConfig,
} from './types';

export { EMBEDDED_DATASET_ID, EMBEDDED_MODEL_ID };

/**
 * Defaults per optimizer. On the embedded model the token and position embeddings hold about 80% of
 * the loss Hessian's trace (3.3e3 of 4.2e3) but under half of the gradient that carries over to
 * held-out text, so a zeroth-order step gains more per unit of noise without them: frozen
 * embeddings allow η = 3e-4, where full fine-tuning is best near 6e-5 and gains less than half as
 * much (docs/RESULTS.md, "How far a zeroth-order step can go").
 */
export const DEFAULT_MEZO: OptimizerConfig = { name: 'mezo', learningRate: 3e-4, perturbationScale: 1e-3, weightDecay: 0, freezeEmbeddings: true };
export const DEFAULT_SUBZERO: OptimizerConfig = {
  name: 'subzero',
  learningRate: 3e-4,
  perturbationScale: 1e-3,
  weightDecay: 0,
  rank: 8,
  subspacePeriod: 1000,
  freezeEmbeddings: true,
};

export const DEFAULT_CONFIG: LanguageModelRunConfig = {
  task: 'language-model',
  model: { kind: 'embedded', id: EMBEDDED_MODEL_ID },
  dataset: { kind: 'embedded', id: EMBEDDED_DATASET_ID },
  optimizer: DEFAULT_SUBZERO,
  batchSize: 16,
  sequenceLength: 128,
  steps: 300,
  seed: 1,
  evalEvery: 25,
  evalBatches: 4,
  samplePrompt: 'Fellow citizens, ',
  sampleTokens: 80,
};

const positive = { type: 'number', exclusiveMinimum: 0 } as const;
const optimizerCommon = {
  learningRate: { ...positive, maximum: 10 },
  perturbationScale: { ...positive, maximum: 1 },
  weightDecay: { type: 'number', minimum: 0, maximum: 1 },
  freezeEmbeddings: { type: 'boolean' },
} as const;

export const LANGUAGE_MODEL_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['task', 'model', 'dataset', 'optimizer', 'batchSize', 'sequenceLength', 'steps', 'seed', 'evalEvery', 'evalBatches', 'samplePrompt', 'sampleTokens'],
  properties: {
    task: { const: 'language-model' },
    model: {
      oneOf: [
        { type: 'object', additionalProperties: false, required: ['kind', 'id'], properties: { kind: { const: 'embedded' }, id: { type: 'string', minLength: 1, maxLength: 200 } } },
        { type: 'object', additionalProperties: false, required: ['kind', 'name'], properties: { kind: { const: 'files' }, name: { type: 'string', maxLength: 500 } } },
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'repo', 'revision'],
          properties: {
            kind: { const: 'hub' },
            repo: { type: 'string', pattern: HUB_REPO_PATTERN },
            revision: { type: 'string', pattern: HUB_REVISION_PATTERN },
          },
        },
      ],
    },
    dataset: {
      oneOf: [
        { type: 'object', additionalProperties: false, required: ['kind', 'id'], properties: { kind: { const: 'embedded' }, id: { type: 'string', minLength: 1, maxLength: 200 } } },
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'name', 'size'],
          properties: { kind: { const: 'upload' }, name: { type: 'string', maxLength: 500 }, size: { type: 'integer', minimum: 0 } },
        },
      ],
    },
    optimizer: {
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'learningRate', 'perturbationScale', 'weightDecay'],
          properties: { name: { const: 'mezo' }, ...optimizerCommon },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'learningRate', 'perturbationScale', 'weightDecay', 'rank', 'subspacePeriod'],
          properties: {
            name: { const: 'subzero' },
            ...optimizerCommon,
            rank: { type: 'integer', minimum: 1, maximum: 64 },
            subspacePeriod: { type: 'integer', minimum: 1, maximum: 1_000_000 },
          },
        },
      ],
    },
    batchSize: { type: 'integer', minimum: 1, maximum: 256 },
    sequenceLength: { type: 'integer', minimum: 2, maximum: 4096 },
    steps: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
    evalEvery: { type: 'integer', minimum: 0, maximum: 1_000_000 },
    evalBatches: { type: 'integer', minimum: 1, maximum: 1000 },
    samplePrompt: { type: 'string', maxLength: 2000 },
    sampleTokens: { type: 'integer', minimum: 0, maximum: 2000 },
  },
} as const;

/** Embedded vision dataset (public/datasets/fashion-mnist). */
export const EMBEDDED_VISION_DATASET_ID = 'fashion-mnist';

export const DEFAULT_SGD: SgdConfig = { name: 'sgd', learningRate: 0.02, momentum: 0.9, weightDecay: 1e-4 };
export const DEFAULT_ADAMW: AdamwConfig = { name: 'adamw', learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-2 };

/**
 * Shampoo defaults for the small vision nets. T1 = 10 and T2 = 50 keep preconditioning active from
 * step 50 on, and ε = 1e-4 is the ridge ALGORITHMS.md recommends for small models (1e-6 can drift).
 */
export const DEFAULT_SHAMPOO32: ShampooConfig = {
  name: 'shampoo32',
  base: DEFAULT_SGD,
  factorPeriod: 10,
  rootPeriod: 50,
  factorDecay: 0.95,
  epsilon: 1e-4,
  maxOrder: 1200,
};
export const DEFAULT_SHAMPOO4: ShampooConfig = {
  ...DEFAULT_SHAMPOO32,
  name: 'shampoo4',
  bits: 4,
  codebook: 'linear-2',
  rectify: true,
  quantize: 'eigenvectors',
};

/** Default optimizer of each vision optimizer name. */
export const DEFAULT_VISION_OPTIMIZERS: Record<VisionOptimizerConfig['name'], VisionOptimizerConfig> = {
  sgd: DEFAULT_SGD,
  adamw: DEFAULT_ADAMW,
  shampoo32: DEFAULT_SHAMPOO32,
  shampoo4: DEFAULT_SHAMPOO4,
};

export const DEFAULT_VISION_CONFIG: VisionRunConfig = {
  task: 'vision',
  model: { kind: 'builtin', architecture: 'cnn' },
  dataset: { kind: 'embedded', id: EMBEDDED_VISION_DATASET_ID },
  optimizer: DEFAULT_SHAMPOO4,
  batchSize: 64,
  steps: 300,
  seed: 1,
  evalEvery: 50,
  evalExamples: 1000,
};

const sgdSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'learningRate', 'momentum', 'weightDecay'],
  properties: {
    name: { const: 'sgd' },
    learningRate: { ...positive, maximum: 10 },
    momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
    weightDecay: { type: 'number', minimum: 0, maximum: 1 },
  },
} as const;

const adamwSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay'],
  properties: {
    name: { const: 'adamw' },
    learningRate: { ...positive, maximum: 10 },
    beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
    beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
    epsilon: { ...positive, maximum: 1 },
    weightDecay: { type: 'number', minimum: 0, maximum: 1 },
  },
} as const;

const shampooSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'base', 'factorPeriod', 'rootPeriod', 'factorDecay', 'epsilon', 'maxOrder'],
  properties: {
    name: { enum: ['shampoo32', 'shampoo4'] },
    base: { oneOf: [sgdSchema, adamwSchema] },
    factorPeriod: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    rootPeriod: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    factorDecay: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
    epsilon: { ...positive, maximum: 1 },
    maxOrder: { type: 'integer', minimum: 2, maximum: 4096 },
    bits: { const: 4 },
    codebook: { enum: ['linear-2', 'dynamic-tree'] },
    rectify: { type: 'boolean' },
    quantize: { enum: ['eigenvectors', 'factor'] },
  },
} as const;

export const VISION_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['task', 'model', 'dataset', 'optimizer', 'batchSize', 'steps', 'seed', 'evalEvery', 'evalExamples'],
  properties: {
    task: { const: 'vision' },
    model: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'architecture'],
      properties: { kind: { const: 'builtin' }, architecture: { enum: ['mlp', 'cnn'] } },
    },
    dataset: LANGUAGE_MODEL_CONFIG_SCHEMA.properties.dataset,
    optimizer: { oneOf: [sgdSchema, adamwSchema, shampooSchema] },
    batchSize: { type: 'integer', minimum: 1, maximum: 1024 },
    steps: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
    evalEvery: { type: 'integer', minimum: 0, maximum: 1_000_000 },
    evalExamples: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
} as const;

const ajv = new Ajv({ allErrors: true });
const validateLanguageModel = ajv.compile(LANGUAGE_MODEL_CONFIG_SCHEMA);
const validateVision = ajv.compile(VISION_CONFIG_SCHEMA);

function describeError(error: ErrorObject, value: unknown): string {
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.') || 'config';
  const actual = error.instancePath
    .split('/')
    .filter((part) => part)
    .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), value);
  const shown = actual === undefined ? '' : ` (got ${JSON.stringify(actual)})`;
  if (error.keyword === 'additionalProperties') return `${path}: unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  if (error.keyword === 'required') return `${path}: missing field "${(error.params as { missingProperty: string }).missingProperty}"`;
  return `${path} ${error.message ?? 'is invalid'}${shown}`;
}

const LANGUAGE_MODEL_OPTIMIZERS = ['mezo', 'subzero'];
/** Kinds of LANGUAGE_MODEL_CONFIG_SCHEMA's model branches, in order. */
const LANGUAGE_MODEL_SOURCES = ['embedded', 'files', 'hub'];

/** Returns the hub module's message for an invalid model.repo or model.revision, which names the value without the regex. */
function hubFieldProblem(error: ErrorObject, value: unknown): string | null {
  if (error.keyword !== 'pattern') return null;
  const model = (value as { model: { repo: string; revision: string } }).model;
  if (error.instancePath === '/model/repo') return `model.repo: ${hubRepoProblem(model.repo)}`;
  if (error.instancePath === '/model/revision') return `model.revision: ${hubRevisionProblem(model.revision)}`;
  return null;
}
const VISION_OPTIMIZERS = ['sgd', 'adamw', 'shampoo32', 'shampoo4'];

/** Index of the optimizer schema branch that matches `name`, per task. */
function optimizerBranch(task: 'language-model' | 'vision', name: unknown): string | undefined {
  const names = task === 'vision' ? ['sgd', 'adamw', 'shampoo'] : LANGUAGE_MODEL_OPTIMIZERS;
  const key = task === 'vision' && (name === 'shampoo32' || name === 'shampoo4') ? 'shampoo' : name;
  const index = names.indexOf(key as string);
  return index < 0 ? undefined : String(index);
}

/**
 * Returns a list of problems with `value` as a RunConfig (empty when valid). Each message names the
 * field and its value. Fields of an optimizer other than the chosen one are reported by name.
 */
export function validateRunConfig(value: unknown): string[] {
  const task = (value as { task?: unknown } | null)?.task;
  if (task !== 'language-model' && task !== 'vision') {
    return [`task must be "language-model" or "vision" (got ${JSON.stringify(task)})`];
  }
  const validate = task === 'vision' ? validateVision : validateLanguageModel;
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  const optimizer = (value as { optimizer?: { name?: unknown; base?: { name?: unknown } } }).optimizer;
  const optimizerName = optimizer?.name;
  const knownNames = task === 'vision' ? VISION_OPTIMIZERS : LANGUAGE_MODEL_OPTIMIZERS;
  const matching = optimizerBranch(task, optimizerName);
  const baseBranch = optimizer?.base?.name === 'adamw' ? '1' : '0';
  // The model schema's oneOf branches are in LANGUAGE_MODEL_SOURCES order. Errors of the branch
  // matching model.kind are kept; with an unknown kind, every branch's errors are.
  const modelKind = (value as { model?: { kind?: unknown } }).model?.kind;
  const modelIndex = LANGUAGE_MODEL_SOURCES.indexOf(modelKind as string);
  const modelBranch = modelIndex < 0 ? undefined : String(modelIndex);
  // oneOf errors repeat every branch; keep the branch whose discriminator matches.
  const messages = new Set<string>();
  for (const error of errors) {
    if (error.keyword === 'oneOf' || error.keyword === 'const' || error.keyword === 'enum') continue;
    const branch = /\/optimizer\/oneOf\/(\d)/.exec(error.schemaPath)?.[1];
    if (branch !== undefined && branch !== matching) continue;
    const nested = /\/base\/oneOf\/(\d)/.exec(error.schemaPath)?.[1];
    if (nested !== undefined && nested !== baseBranch) continue;
    const modelBranchOfError = /\/model\/oneOf\/(\d)/.exec(error.schemaPath)?.[1];
    if (modelBranchOfError !== undefined && modelBranch !== undefined && modelBranchOfError !== modelBranch) continue;
    messages.add(hubFieldProblem(error, value) ?? describeError(error, value));
  }
  if (task === 'language-model' && modelBranch === undefined) {
    messages.add(`model.kind must be one of ${LANGUAGE_MODEL_SOURCES.map((kind) => `"${kind}"`).join(', ')} (got ${JSON.stringify(modelKind)})`);
  }
  for (const error of errors) {
    const inUnion = error.instancePath.startsWith('/model') || error.instancePath.startsWith('/dataset') || /^\/optimizer(\/name)?$/.test(error.instancePath) || error.instancePath === '/optimizer/base/name';
    if ((error.keyword === 'const' || error.keyword === 'enum') && !inUnion) {
      const allowed = error.keyword === 'enum' ? (error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ') : JSON.stringify((error.params as { allowedValue: unknown }).allowedValue);
      const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
      messages.add(`${path} must be ${error.keyword === 'enum' ? 'one of ' : ''}${allowed} (got ${JSON.stringify(error.instancePath.split('/').filter(Boolean).reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], value))})`);
    }
  }
  if (!knownNames.includes(optimizerName as string)) {
    messages.add(`optimizer.name must be one of ${knownNames.map((n) => `"${n}"`).join(', ')} for the ${task} task (got ${JSON.stringify(optimizerName)})`);
  }
  if (optimizer?.base && optimizer.base.name !== 'sgd' && optimizer.base.name !== 'adamw') {
    messages.add(`optimizer.base.name must be "sgd" or "adamw" (got ${JSON.stringify(optimizer.base.name)})`);
  }
  if (task === 'vision' && (value as { model?: { architecture?: unknown } }).model?.architecture !== undefined) {
    const architecture = (value as { model: { architecture: unknown } }).model.architecture;
    if (architecture !== 'mlp' && architecture !== 'cnn') messages.add(`model.architecture must be "mlp" or "cnn" (got ${JSON.stringify(architecture)})`);
  }
  if (messages.size === 0) messages.add('config is invalid: ' + ajv.errorsText(errors));
  return [...messages];
}

/** Throws one error listing every problem, for entry points that cannot go on. */
export function assertRunConfig(value: unknown): RunConfig {
  const problems = validateRunConfig(value);
  if (problems.length) throw new Error(`Invalid run configuration:\n- ${problems.join('\n- ')}`);
  return value as RunConfig;
}
