/**
 * Comparison schema and validation. The JSON schema (ajv) checks the structure, types and ranges.
 * Each run's config goes through validateRunConfig, so its messages match the run form and the CLI.
 * The checks after that need several fields at once: runs agreeing on task, model, dataset and seed,
 * and series steps increasing and within the run's steps.
 */
import { HUB_REPO_PATTERN, HUB_REVISION_PATTERN } from '../model/hub';
import Ajv, { type ErrorObject } from 'ajv';
import { MEMORY_CATEGORIES } from '../../kernels/gpu/pool';
import { validateRunConfig } from '../run/config';
import type { Task } from '../run/types';
import { datasetSourceOf, modelSourceOf, sameJson } from './sources';
import { COMPARISON_FORMAT, COMPARISON_VERSION, type Comparison, type ComparisonRun, type RunLogLevel, type RunResults, type RunStatus, type Series } from './types';

/** Size and range limits of a comparison. */
export const COMPARISON_LIMITS = {
  maxRuns: 16,
  /** Points per series: a full-resolution series of the longest run (steps 0 to 1,000,000). */
  maxSeriesPoints: 1_000_001,
  /** Largest step, the RunConfig maximum of `steps`. */
  maxStep: 1_000_000,
  maxTitleLength: 200,
  maxLabelLength: 100,
  maxMessageLength: 4000,
  maxNameLength: 500,
  maxFiles: 16,
  /** Losses are cross-entropies, so never negative; the upper bound only rejects absurd values. */
  maxLoss: 1e15,
  /** About 115 days. */
  maxElapsedMs: 1e10,
  /** 1 PiB, per memory category and per file. */
  maxBytes: 2 ** 50,
  maxParameterCount: 1e13,
  /** Log lines a run keeps: the latest ones, so the final warnings and errors stay. */
  maxLogLines: 200,
  maxLogMessageLength: 500,
  /** Characters kept of each generated sample; sampleTokens goes up to 2000, so a long sample is cut. */
  maxSampleTextLength: 4000,
  /** The RunConfig maximum of `samplePrompt`. */
  maxSamplePromptLength: 2000,
} as const;

/** Problems listed at most per validation, so a corrupt million-point series gives a readable error. */
export const MAX_REPORTED_PROBLEMS = 20;

export const RUN_STATUSES: readonly RunStatus[] = ['running', 'completed', 'stopped', 'interrupted', 'error'];

/** Run ids double as file names in the CLI, so they are restricted to a portable alphabet. */
export const RUN_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,63}$';
export const COLOUR_PATTERN = '^#[0-9a-fA-F]{6}$';
export const SHA256_PATTERN = '^[0-9a-f]{64}$';

const L = COMPARISON_LIMITS;

const fileReferenceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'size', 'sha256'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: L.maxNameLength },
    size: { type: 'integer', minimum: 0, maximum: L.maxBytes },
    sha256: { type: 'string', pattern: SHA256_PATTERN },
  },
} as const;

const filesSchema = { type: 'array', minItems: 1, maxItems: L.maxFiles, items: fileReferenceSchema } as const;
const sourceId = { type: 'string', minLength: 1, maxLength: 200 } as const;

const modelSchema = {
  type: 'object',
  discriminator: { propertyName: 'kind' },
  required: ['kind'],
  oneOf: [
    { additionalProperties: false, required: ['kind', 'id'], properties: { kind: { const: 'embedded' }, id: sourceId } },
    {
      additionalProperties: false,
      required: ['kind', 'name'],
      properties: { kind: { const: 'files' }, name: { type: 'string', maxLength: L.maxNameLength }, files: filesSchema },
    },
    {
      additionalProperties: false,
      required: ['kind', 'repo', 'revision'],
      properties: { kind: { const: 'hub' }, repo: { type: 'string', pattern: HUB_REPO_PATTERN }, revision: { type: 'string', pattern: HUB_REVISION_PATTERN } },
    },
    { additionalProperties: false, required: ['kind', 'architecture'], properties: { kind: { const: 'builtin' }, architecture: { enum: ['mlp', 'cnn'] } } },
  ],
} as const;

const datasetSchema = {
  type: 'object',
  discriminator: { propertyName: 'kind' },
  required: ['kind'],
  oneOf: [
    { additionalProperties: false, required: ['kind', 'id'], properties: { kind: { const: 'embedded' }, id: sourceId } },
    {
      additionalProperties: false,
      required: ['kind', 'name', 'size', 'files'],
      properties: {
        kind: { const: 'upload' },
        name: { type: 'string', maxLength: L.maxNameLength },
        size: { type: 'integer', minimum: 0, maximum: L.maxBytes },
        files: filesSchema,
      },
    },
  ],
} as const;

/** Allowed `kind` values, for the message of an unknown one. */
const KINDS: Record<string, string[]> = { model: ['embedded', 'files', 'hub', 'builtin'], dataset: ['embedded', 'upload'] };

function seriesSchema(minimum: number, maximum: number) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['steps', 'values'],
    properties: {
      steps: { type: 'array', maxItems: L.maxSeriesPoints, items: { type: 'integer', minimum: 0, maximum: L.maxStep } },
      values: { type: 'array', maxItems: L.maxSeriesPoints, items: { type: 'number', minimum, maximum } },
    },
  } as const;
}

/** Ranges of the recorded metrics; the recorder drops values outside them. */
export const METRIC_RANGES = {
  loss: [0, L.maxLoss],
  accuracy: [0, 1],
  elapsedMs: [0, L.maxElapsedMs],
} as const;

const lossValue = { type: 'number', minimum: METRIC_RANGES.loss[0], maximum: METRIC_RANGES.loss[1] } as const;
const accuracyValue = { type: 'number', minimum: 0, maximum: 1 } as const;
const msValue = { type: 'number', minimum: 0, maximum: L.maxElapsedMs } as const;

const summarySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'stepsDone', 'elapsedMs', 'peakMemoryBytes'],
  properties: {
    status: { enum: RUN_STATUSES },
    message: { type: 'string', maxLength: L.maxMessageLength },
    stepsDone: { type: 'integer', minimum: 0, maximum: L.maxStep },
    elapsedMs: msValue,
    msPerStep: msValue,
    finalEvalLoss: lossValue,
    bestEvalLoss: lossValue,
    finalAccuracy: accuracyValue,
    bestAccuracy: accuracyValue,
    peakMemoryBytes: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(MEMORY_CATEGORIES.map((category) => [category, { type: 'integer', minimum: 0, maximum: L.maxBytes }])),
    },
    adapter: { type: 'string', maxLength: 200 },
    parameterCount: { type: 'integer', minimum: 0, maximum: L.maxParameterCount },
  },
  if: { properties: { status: { const: 'error' } } },
  then: { required: ['message'] },
} as const;

const stepValue = { type: 'integer', minimum: 0, maximum: L.maxStep } as const;

const sampleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['step', 'prompt', 'text'],
  properties: {
    step: stepValue,
    prompt: { type: 'string', maxLength: L.maxSamplePromptLength },
    text: { type: 'string', maxLength: L.maxSampleTextLength },
  },
} as const;

export const LOG_LEVELS: readonly RunLogLevel[] = ['info', 'warn', 'error'];

const logLineSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['level', 'message'],
  properties: {
    level: { enum: LOG_LEVELS },
    message: { type: 'string', maxLength: L.maxLogMessageLength },
    step: stepValue,
  },
} as const;

const resultsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['series', 'summary'],
  properties: {
    samples: { type: 'object', additionalProperties: false, properties: { before: sampleSchema, after: sampleSchema } },
    log: { type: 'array', maxItems: L.maxLogLines, items: logLineSchema },
    droppedLogLines: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    series: {
      type: 'object',
      additionalProperties: false,
      required: ['trainLoss', 'evalLoss', 'elapsedMs'],
      properties: {
        trainLoss: seriesSchema(METRIC_RANGES.loss[0], METRIC_RANGES.loss[1]),
        evalLoss: seriesSchema(METRIC_RANGES.loss[0], METRIC_RANGES.loss[1]),
        accuracy: seriesSchema(0, 1),
        elapsedMs: seriesSchema(0, L.maxElapsedMs),
      },
    },
    summary: summarySchema,
  },
} as const;

const runSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'label', 'colour', 'config'],
  properties: {
    id: { type: 'string', pattern: RUN_ID_PATTERN },
    label: { type: 'string', minLength: 1, maxLength: L.maxLabelLength },
    colour: { type: 'string', pattern: COLOUR_PATTERN },
    // Checked by validateRunConfig, so its messages are the run form's.
    config: { type: 'object' },
    results: resultsSchema,
  },
} as const;

export const COMPARISON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'version', 'task', 'model', 'dataset', 'seed', 'runs'],
  properties: {
    format: { const: COMPARISON_FORMAT },
    version: { const: COMPARISON_VERSION },
    title: { type: 'string', maxLength: L.maxTitleLength },
    task: { enum: ['language-model', 'vision'] },
    model: modelSchema,
    dataset: datasetSchema,
    seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
    runs: { type: 'array', minItems: 1, maxItems: L.maxRuns, items: runSchema },
  },
} as const;

const ajv = new Ajv({ allErrors: true, discriminator: true });
const validateSchema = ajv.compile(COMPARISON_SCHEMA);

/** Dotted path of a JSON pointer, as validateRunConfig writes them ("runs.0.label"). */
function dottedPath(instancePath: string): string {
  return instancePath.replace(/^\//, '').replaceAll('/', '.');
}

function valueAt(root: unknown, instancePath: string): unknown {
  return instancePath
    .split('/')
    .filter((part) => part)
    .reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), root);
}

/** Shows a value in a message, shortened so a huge array or string cannot flood it. */
export function showValue(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function got(value: unknown): string {
  return value === undefined ? '' : ` (got ${showValue(value)})`;
}

function describeSchemaError(error: ErrorObject, root: unknown): string | null {
  const path = dottedPath(error.instancePath);
  const value = valueAt(root, error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'if':
      // The failing `then` branch is reported on its own.
      return null;
    case 'required':
      return `${path || 'comparison'}: missing field "${params.missingProperty}"`;
    case 'additionalProperties':
      return `${path || 'comparison'}: unknown field "${params.additionalProperty}"`;
    case 'const':
      return `${path} must be ${JSON.stringify(params.allowedValue)}${got(value)}`;
    case 'enum':
      return `${path} must be one of ${(params.allowedValues as unknown[]).map((item) => JSON.stringify(item)).join(', ')}${got(value)}`;
    case 'discriminator': {
      const kinds = KINDS[path.split('.').pop() ?? ''] ?? [];
      return `${path}.kind must be one of ${kinds.map((kind) => JSON.stringify(kind)).join(', ')}${got((value as { kind?: unknown } | undefined)?.kind)}`;
    }
    default:
      return `${path || 'comparison'} ${error.message ?? 'is invalid'}${got(value)}`;
  }
}

/** Prefixes a validateRunConfig message with the run's path. */
function runConfigMessage(index: number, message: string): string {
  const prefix = `runs.${index}.config`;
  return /^config\b/.test(message) ? prefix + message.slice('config'.length) : `${prefix}.${message}`;
}

function checkSeries(series: Series, path: string, maxStep: number, problems: string[]): void {
  if (series.steps.length !== series.values.length) {
    problems.push(`${path}: steps has ${series.steps.length} entries but values has ${series.values.length}`);
  }
  for (let i = 0; i < series.steps.length; i++) {
    const step = series.steps[i];
    if (i > 0 && !(step > series.steps[i - 1])) {
      problems.push(`${path}.steps.${i} must be greater than the previous step ${series.steps[i - 1]} (got ${step})`);
      return;
    }
    if (step > maxStep) {
      problems.push(`${path}.steps.${i} must be <= ${maxStep}, the run's steps (got ${step})`);
      return;
    }
  }
}

/** Checks the steps of a run's samples and log lines against its steps, and that only language-model runs carry samples. */
function checkSamplesAndLog(results: RunResults, path: string, task: Task, maxStep: number, problems: string[]): void {
  const { samples, log } = results;
  if (samples && task !== 'language-model') problems.push(`${path}.samples: only language-model runs generate samples`);
  for (const when of ['before', 'after'] as const) {
    const step = samples?.[when]?.step;
    if (step !== undefined && step > maxStep) problems.push(`${path}.samples.${when}.step must be <= ${maxStep}, the run's steps (got ${step})`);
  }
  const lateIndex = log?.findIndex((line) => line.step !== undefined && line.step > maxStep) ?? -1;
  if (lateIndex >= 0) problems.push(`${path}.log.${lateIndex}.step must be <= ${maxStep}, the run's steps (got ${log![lateIndex].step})`);
}

function checkRun(comparison: Comparison, run: ComparisonRun, index: number, problems: string[]): void {
  const path = `runs.${index}`;
  const { config } = run;
  if (config.task !== comparison.task) {
    problems.push(`${path}.config.task must equal the comparison's task ${JSON.stringify(comparison.task)} (got ${JSON.stringify(config.task)})`);
  }
  const model = modelSourceOf(comparison.model);
  if (!sameJson(config.model, model)) {
    problems.push(`${path}.config.model must equal the comparison's model ${showValue(model)} (got ${showValue(config.model)})`);
  }
  const dataset = datasetSourceOf(comparison.dataset);
  if (!sameJson(config.dataset, dataset)) {
    problems.push(`${path}.config.dataset must equal the comparison's dataset ${showValue(dataset)} (got ${showValue(config.dataset)})`);
  }
  if (config.seed !== comparison.seed) {
    problems.push(`${path}.config.seed must equal the comparison's seed ${comparison.seed} (got ${config.seed})`);
  }
  if (!run.results) return;

  const { series, summary } = run.results;
  const maxStep = config.steps;
  checkSeries(series.trainLoss, `${path}.results.series.trainLoss`, maxStep, problems);
  checkSeries(series.evalLoss, `${path}.results.series.evalLoss`, maxStep, problems);
  checkSeries(series.elapsedMs, `${path}.results.series.elapsedMs`, maxStep, problems);
  if (series.accuracy) checkSeries(series.accuracy, `${path}.results.series.accuracy`, maxStep, problems);
  if (summary.stepsDone > maxStep) {
    problems.push(`${path}.results.summary.stepsDone must be <= ${maxStep}, the run's steps (got ${summary.stepsDone})`);
  }
  checkSamplesAndLog(run.results, `${path}.results`, comparison.task, maxStep, problems);
  if (comparison.task !== 'vision') {
    if (series.accuracy) problems.push(`${path}.results.series.accuracy: only vision runs record accuracy`);
    for (const field of ['finalAccuracy', 'bestAccuracy'] as const) {
      if (summary[field] !== undefined) problems.push(`${path}.results.summary.${field}: only vision runs record accuracy`);
    }
  }
}

function checkSources(comparison: Comparison, problems: string[]): void {
  const { model, dataset, task } = comparison;
  const modelKinds = task === 'vision' ? ['builtin'] : ['embedded', 'files', 'hub'];
  if (!modelKinds.includes(model.kind)) {
    problems.push(`model.kind must be ${modelKinds.map((kind) => JSON.stringify(kind)).join(' or ')} for the ${task} task (got ${JSON.stringify(model.kind)})`);
  }
  if (dataset.kind === 'upload') {
    const total = dataset.files.reduce((sum, file) => sum + file.size, 0);
    if (total !== dataset.size) problems.push(`dataset.size must equal the total size of dataset.files, ${total} bytes (got ${dataset.size})`);
    if (task === 'language-model' && dataset.files.length !== 1) {
      problems.push(`dataset.files must list one file for the language-model task (got ${dataset.files.length})`);
    }
  }
}

/**
 * Returns every problem with `value` as a Comparison (empty when valid), at most
 * MAX_REPORTED_PROBLEMS of them plus a count of the rest. Each message names the field by its
 * dotted path ("runs.1.config.seed") and the value found.
 */
export function validateComparison(value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [`comparison must be a JSON object (got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`];
  }
  const problems: string[] = [];
  const structureValid = validateSchema(value);
  for (const error of validateSchema.errors ?? []) {
    const message = describeSchemaError(error, value);
    if (message !== null && !problems.includes(message)) problems.push(message);
  }

  const runs = (value as { runs?: unknown }).runs;
  let configsValid = true;
  if (Array.isArray(runs)) {
    runs.slice(0, COMPARISON_LIMITS.maxRuns).forEach((run, index) => {
      const config = (run as { config?: unknown } | null)?.config;
      if (config === null || typeof config !== 'object' || Array.isArray(config)) return;
      const configProblems = validateRunConfig(config);
      if (configProblems.length) configsValid = false;
      for (const message of configProblems) problems.push(runConfigMessage(index, message));
    });
  }

  if (structureValid && configsValid) {
    const comparison = value as Comparison;
    checkSources(comparison, problems);
    const firstIndex = new Map<string, number>();
    comparison.runs.forEach((run, index) => {
      const earlier = firstIndex.get(run.id);
      if (earlier !== undefined) problems.push(`runs.${index}.id ${JSON.stringify(run.id)} repeats runs.${earlier}.id; run ids must be unique`);
      else firstIndex.set(run.id, index);
      checkRun(comparison, run, index, problems);
    });
  }

  if (problems.length > MAX_REPORTED_PROBLEMS) {
    const rest = problems.length - MAX_REPORTED_PROBLEMS;
    return [...problems.slice(0, MAX_REPORTED_PROBLEMS), `... and ${rest} more problem${rest === 1 ? '' : 's'}`];
  }
  return problems;
}

/** A comparison that failed validation; `problems` lists each reason. */
export class InvalidComparisonError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid comparison:\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidComparisonError';
  }
}

/** Returns `value` typed as a Comparison, or throws InvalidComparisonError listing every problem. */
export function assertComparison(value: unknown): Comparison {
  const problems = validateComparison(value);
  if (problems.length) throw new InvalidComparisonError(problems);
  return value as Comparison;
}
