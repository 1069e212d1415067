/** Command-line flags of `npm run train`, turned into a validated RunConfig. */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  DEFAULT_ADAMW,
  DEFAULT_CONFIG,
  DEFAULT_MEZO,
  DEFAULT_SGD,
  DEFAULT_SHAMPOO32,
  DEFAULT_SHAMPOO4,
  DEFAULT_SUBZERO,
  DEFAULT_VISION_CONFIG,
  assertRunConfig,
} from '../app/run/config';
import type { FirstOrderConfig, ModelSource, OptimizerConfig, RunConfig, ShampooConfig, VisionOptimizerConfig, VisionRunConfig } from '../app/run/types';
import { HUB_DEFAULT_BASE, normalizeHubBase, parseHubReference, type HubReference } from '../app/model/hub';
import { DEFAULT_HUB_CACHE_DIR, type NodeHubSettings } from './resources';

export const TRAIN_USAGE = `Usage: npm run train -- [--task language-model|vision] [flags]

Language model (the default task): fine-tunes a GPT-2 (default: the embedded gpt2-moby) on text (default: the embedded State of the
Union addresses) with a zeroth-order optimizer on the GPU, and writes one JSON object per step.

  --optimizer NAME      subzero or mezo (default subzero)
  --steps N             optimizer steps (default ${DEFAULT_CONFIG.steps})
  --seed S              run seed, an integer (default ${DEFAULT_CONFIG.seed})
  --out FILE            JSON-lines output (default: stdout)
  --save-weights FILE   write the fine-tuned weights as safetensors (Hugging Face GPT-2 layout)
  --lr X                learning rate η (default ${DEFAULT_SUBZERO.learningRate})
  --eps X               perturbation scale ε (default ${DEFAULT_SUBZERO.perturbationScale})
  --weight-decay X      weight decay λ for 2-D weights (default 0)
  --train-embeddings    also perturb and update wte and wpe (by default they are frozen)
  --rank R              SubZero subspace rank (default ${(DEFAULT_SUBZERO as { rank: number }).rank})
  --period T            SubZero steps between subspace refreshes (default ${(DEFAULT_SUBZERO as { subspacePeriod: number }).subspacePeriod})
  --batch B             sequences per step (default ${DEFAULT_CONFIG.batchSize})
  --seq T               tokens per sequence (default ${DEFAULT_CONFIG.sequenceLength})
  --eval-every N        steps between held-out evaluations, 0 to disable (default ${DEFAULT_CONFIG.evalEvery})
  --eval-batches N      batches per evaluation (default ${DEFAULT_CONFIG.evalBatches})
  --model DIR           folder with config.json, model.safetensors, tokenizer.json
  --hub REPO[@REV]      download config.json, model.safetensors and tokenizer.json from a Hugging Face
                        repository (owner/name or its URL) at a branch, tag or commit (default main)
  --hub-base URL        Hub address for --hub (default ${HUB_DEFAULT_BASE})
  --hub-cache DIR       folder that keeps downloaded files, so later runs read them from disk
                        (default ${DEFAULT_HUB_CACHE_DIR}; delete it to download again)
  --no-hub-cache        download without reading or writing the cache
  --dataset FILE        .txt, .jsonl or .csv (with a text column); split into train and eval
  --sample-tokens N     tokens generated before and after training (default ${DEFAULT_CONFIG.sampleTokens})
  --prompt TEXT         prompt of the text sample

Vision (--task vision): trains a small net (default: the CNN) on images (default: the embedded
Fashion-MNIST subset) with a first-order or Shampoo optimizer, and writes one JSON object per step,
with accuracy and optimizerStateBytes when evaluated.

  --model NAME          mlp or cnn (default ${DEFAULT_VISION_CONFIG.model.architecture})
  --optimizer NAME      sgd, adamw, shampoo32 or shampoo4 (default ${DEFAULT_VISION_CONFIG.optimizer.name})
  --steps N             optimizer steps (default ${DEFAULT_VISION_CONFIG.steps})
  --seed S              run seed: weight init, batches (default ${DEFAULT_VISION_CONFIG.seed})
  --out FILE            JSON-lines output (default: stdout)
  --save-weights FILE   write the trained weights as safetensors (PyTorch names and shapes)
  --batch B             images per step (default ${DEFAULT_VISION_CONFIG.batchSize})
  --eval-every N        steps between held-out evaluations, 0 to disable (default ${DEFAULT_VISION_CONFIG.evalEvery})
  --eval-examples N     held-out images per evaluation (default ${DEFAULT_VISION_CONFIG.evalExamples})
  --lr X                learning rate (default: sgd ${DEFAULT_SGD.learningRate}, adamw ${DEFAULT_ADAMW.learningRate})
  --weight-decay X      weight decay, skipped for biases (default: sgd ${DEFAULT_SGD.weightDecay}, adamw ${DEFAULT_ADAMW.weightDecay})
  --momentum X          SGD momentum (default ${DEFAULT_SGD.momentum})
  --beta1 X, --beta2 X  AdamW moment decays (default ${DEFAULT_ADAMW.beta1}, ${DEFAULT_ADAMW.beta2})
  --adam-eps X          AdamW epsilon (default ${DEFAULT_ADAMW.epsilon})
  --base NAME           Shampoo's base optimizer: sgd or adamw (default ${DEFAULT_SHAMPOO32.base.name})
  --t1 N                Shampoo steps between factor updates (default ${DEFAULT_SHAMPOO32.factorPeriod})
  --t2 N                Shampoo steps between inverse-root updates (default ${DEFAULT_SHAMPOO32.rootPeriod})
  --factor-decay X      Shampoo β of the factor averages (default ${DEFAULT_SHAMPOO32.factorDecay})
  --shampoo-eps X       Shampoo relative ridge ε (default ${DEFAULT_SHAMPOO32.epsilon})
  --max-order N         Shampoo block order (default ${DEFAULT_SHAMPOO32.maxOrder})
  --codebook NAME       shampoo4 map: linear-2 or dynamic-tree (default ${DEFAULT_SHAMPOO4.codebook})
  --no-rectify          shampoo4 without Björck rectification
  --quantize WHAT       shampoo4: eigenvectors (the method) or factor (the naive variant)
  --dataset FILE...     a .zip of class folders, a .csv (label then pixels), or IDX images and
                        labels files (raw or .gz); repeat --dataset for several files

  --help                print this help
`;

export interface TrainArgs {
  config: RunConfig;
  out: string | null;
  modelDir: string | null;
  datasetFile: string | null;
  /** Vision task: the uploaded image dataset files. */
  imageFiles: string[];
  /** Output path of the trained weights (safetensors), written at the end of the run. */
  saveWeights: string | null;
  /** Hub address and cache folder when the model comes from --hub, otherwise null. */
  hub: NodeHubSettings | null;
  /** Settings that are valid but probably not what the user meant, one sentence each. */
  warnings: string[];
  help: boolean;
}

function number(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new Error(`--${flag}: expected a number, got "${text}".`);
  return value;
}

/** RunConfig fields and the flags that set them, so validation messages name what the user typed. */
const FLAG_OF_FIELD: Array<[RegExp, string]> = [
  [/\boptimizer\.learningRate\b/g, '--lr'],
  [/\boptimizer\.perturbationScale\b/g, '--eps'],
  [/\boptimizer\.weightDecay\b/g, '--weight-decay'],
  [/\boptimizer\.rank\b/g, '--rank'],
  [/\boptimizer\.subspacePeriod\b/g, '--period'],
  [/\bbatchSize\b/g, '--batch'],
  [/\bsequenceLength\b/g, '--seq'],
  [/\bevalEvery\b/g, '--eval-every'],
  [/\bevalBatches\b/g, '--eval-batches'],
  [/\bsampleTokens\b/g, '--sample-tokens'],
  [/\bsamplePrompt\b/g, '--prompt'],
  [/\boptimizer\.(base\.)?momentum\b/g, '--momentum'],
  [/\boptimizer\.(base\.)?beta1\b/g, '--beta1'],
  [/\boptimizer\.(base\.)?beta2\b/g, '--beta2'],
  [/\boptimizer\.base\.epsilon\b/g, '--adam-eps'],
  [/\boptimizer\.base\.learningRate\b/g, '--lr'],
  [/\boptimizer\.base\.weightDecay\b/g, '--weight-decay'],
  [/\boptimizer\.factorPeriod\b/g, '--t1'],
  [/\boptimizer\.rootPeriod\b/g, '--t2'],
  [/\boptimizer\.factorDecay\b/g, '--factor-decay'],
  [/\boptimizer\.maxOrder\b/g, '--max-order'],
  [/\bevalExamples\b/g, '--eval-examples'],
  [/\bmodel\.repo\b/g, '--hub'],
  [/\bmodel\.revision\b/g, '--hub'],
  [/\bsteps\b/g, '--steps'],
  [/\bseed\b/g, '--seed'],
];

/** Rewrites RunConfig field names in a validation message as CLI flags. */
export function withFlagNames(message: string, optimizerName?: string): string {
  // optimizer.epsilon is AdamW's ε on its own, and the ridge ε under Shampoo.
  const epsilonFlag = optimizerName === 'shampoo32' || optimizerName === 'shampoo4' ? '--shampoo-eps' : '--adam-eps';
  const named = message.replace(/\boptimizer\.epsilon\b/g, epsilonFlag);
  return FLAG_OF_FIELD.reduce((text, [pattern, flag]) => text.replace(pattern, flag), named);
}

/** Joins `--flag -1` into `--flag=-1`, because parseArgs reads a value starting with a dash as a flag. */
function joinNegativeValues(argv: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (argv[i].startsWith('--') && !argv[i].includes('=') && next !== undefined && /^-\d|^-\.\d/.test(next)) {
      joined.push(`${argv[i]}=${next}`);
      i++;
    } else {
      joined.push(argv[i]);
    }
  }
  return joined;
}

/** Names flags as "--a, --b" followed by the singular or plural form of a verb, such as "applies" or "apply". */
function flagsWithVerb(flags: readonly string[], singular: string, plural: string): string {
  return `${flags.map((flag) => `--${flag}`).join(', ')} ${flags.length === 1 ? singular : plural}`;
}

type OptionTypes = Readonly<Record<string, { readonly type: 'string' | 'boolean' }>>;

/**
 * Rewrites a node:util parseArgs error about a flag without its value, or about a comparison-only
 * flag, in this CLI's words. Node 20 calls a string flag followed by another flag "ambiguous" and
 * a comparison-only flag "Unknown". Returns `error` unchanged for any other problem.
 */
export function explainParseError(error: unknown, args: string[], options: OptionTypes, comparisonOnly: readonly string[] = []): unknown {
  const code = (error as { code?: unknown }).code;
  if (code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return error;

  // Without strict mode parseArgs accepts what strict mode rejected, and its tokens show the flag at
  // fault. A string flag's token contains the next argument as its value even when it starts with a dash.
  const { tokens } = parseArgs({ args, options, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    if (option === undefined) {
      if (code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') continue;
      if (!comparisonOnly.includes(token.name)) return error;
      return new Error(`${token.rawName} applies only with --comparison FILE, where it prints the share link of the finished comparison.`);
    }
    if (code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || option.type !== 'string') continue;
    if (token.value === undefined) return new Error(`${token.rawName} needs a value, but it is the last argument.`);
    if (token.inlineValue || !token.value.startsWith('-')) continue;
    const next = token.value;
    const nextName = next.startsWith('--') ? next.slice(2).split('=')[0] : '';
    if (options[nextName] !== undefined) return new Error(`${token.rawName} needs a value (got the next flag ${next}).`);
    return new Error(`${token.rawName} needs a value (got "${next}", which starts with a dash and so reads as a flag). To pass a value that starts with a dash, write ${token.rawName}=${next}.`);
  }
  return error;
}

const LANGUAGE_MODEL_OPTIMIZERS = ['subzero', 'mezo'];
const VISION_OPTIMIZERS = ['sgd', 'adamw', 'shampoo32', 'shampoo4'];

/** Flags that only one task reads; passing them with the other task is an error, not silently ignored. */
const LANGUAGE_MODEL_ONLY = ['eps', 'freeze-embeddings', 'train-embeddings', 'rank', 'period', 'seq', 'eval-batches', 'sample-tokens', 'prompt', 'hub', 'hub-base', 'hub-cache', 'no-hub-cache'];
const VISION_ONLY = ['momentum', 'beta1', 'beta2', 'adam-eps', 'base', 't1', 't2', 'factor-decay', 'shampoo-eps', 'max-order', 'codebook', 'no-rectify', 'quantize', 'eval-examples'];

const TRAIN_OPTIONS = {
  task: { type: 'string' },
  'save-weights': { type: 'string' },
  momentum: { type: 'string' },
  beta1: { type: 'string' },
  beta2: { type: 'string' },
  'adam-eps': { type: 'string' },
  base: { type: 'string' },
  t1: { type: 'string' },
  t2: { type: 'string' },
  'factor-decay': { type: 'string' },
  'shampoo-eps': { type: 'string' },
  'max-order': { type: 'string' },
  codebook: { type: 'string' },
  'no-rectify': { type: 'boolean' },
  quantize: { type: 'string' },
  'eval-examples': { type: 'string' },
  optimizer: { type: 'string' },
  steps: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  lr: { type: 'string' },
  eps: { type: 'string' },
  'weight-decay': { type: 'string' },
  'freeze-embeddings': { type: 'boolean' },
  'train-embeddings': { type: 'boolean' },
  rank: { type: 'string' },
  period: { type: 'string' },
  batch: { type: 'string' },
  seq: { type: 'string' },
  'eval-every': { type: 'string' },
  'eval-batches': { type: 'string' },
  model: { type: 'string' },
  hub: { type: 'string' },
  'hub-base': { type: 'string' },
  'hub-cache': { type: 'string' },
  'no-hub-cache': { type: 'boolean' },
  dataset: { type: 'string', multiple: true },
  'sample-tokens': { type: 'string' },
  prompt: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** Flags that only a comparison run (--comparison FILE) reads. */
const COMPARISON_ONLY = ['share'];

export function parseTrainArgs(argv: string[]): TrainArgs {
  const args = joinNegativeValues(argv);
  let values;
  try {
    ({ values } = parseArgs({ args, strict: true, options: TRAIN_OPTIONS }));
  } catch (error) {
    throw explainParseError(error, args, TRAIN_OPTIONS, COMPARISON_ONLY);
  }

  const task = values.task ?? 'language-model';
  if (task !== 'language-model' && task !== 'vision') throw new Error(`--task: expected "language-model" or "vision", got "${task}".`);
  checkTaskOfFlags(task, values);
  const datasets = values.dataset ?? [];
  if (task === 'vision') return parseVisionArgs(values, datasets);
  if (datasets.length > 1) throw new Error('--dataset: a language-model run takes one text file.');
  const datasetFile = datasets[0];

  const name = values.optimizer ?? 'subzero';
  if (name !== 'subzero' && name !== 'mezo') throw new Error(`--optimizer: expected "subzero" or "mezo", got "${name}".`);
  const base = name === 'mezo' ? DEFAULT_MEZO : DEFAULT_SUBZERO;
  const common = {
    learningRate: number('lr', values.lr, base.learningRate),
    perturbationScale: number('eps', values.eps, base.perturbationScale),
    weightDecay: number('weight-decay', values['weight-decay'], base.weightDecay),
    freezeEmbeddings: values['train-embeddings'] ? false : (values['freeze-embeddings'] ?? base.freezeEmbeddings ?? false),
  };
  const optimizer: OptimizerConfig =
    name === 'mezo'
      ? { name, ...common }
      : {
          name,
          ...common,
          rank: number('rank', values.rank, (DEFAULT_SUBZERO as { rank: number }).rank),
          subspacePeriod: number('period', values.period, (DEFAULT_SUBZERO as { subspacePeriod: number }).subspacePeriod),
        };

  const hub = hubSettings(values);
  let model: ModelSource = DEFAULT_CONFIG.model;
  if (hub) model = hub.source;
  else if (values.model) model = { kind: 'files', name: values.model };

  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    model,
    dataset: datasetFile ? { kind: 'upload', name: datasetFile, size: 0 } : DEFAULT_CONFIG.dataset,
    optimizer,
    steps: number('steps', values.steps, DEFAULT_CONFIG.steps),
    seed: number('seed', values.seed, DEFAULT_CONFIG.seed),
    batchSize: number('batch', values.batch, DEFAULT_CONFIG.batchSize),
    sequenceLength: number('seq', values.seq, DEFAULT_CONFIG.sequenceLength),
    evalEvery: number('eval-every', values['eval-every'], DEFAULT_CONFIG.evalEvery),
    evalBatches: number('eval-batches', values['eval-batches'], DEFAULT_CONFIG.evalBatches),
    sampleTokens: number('sample-tokens', values['sample-tokens'], DEFAULT_CONFIG.sampleTokens),
    samplePrompt: values.prompt ?? DEFAULT_CONFIG.samplePrompt,
  };
  let validated: RunConfig = config;
  if (!values.help) {
    try {
      validated = assertRunConfig(config);
    } catch (error) {
      throw new Error(withFlagNames((error as Error).message));
    }
  }
  return {
    config: validated,
    out: values.out ?? null,
    modelDir: values.model ?? null,
    datasetFile: datasetFile ?? null,
    imageFiles: [],
    saveWeights: values['save-weights'] ?? null,
    hub: hub?.settings ?? null,
    warnings: [],
    help: values.help ?? false,
  };
}

/**
 * Rejects an optimizer, a model or flags that belong to the other task, and names the --task
 * setting that accepts them.
 */
function checkTaskOfFlags(task: 'language-model' | 'vision', values: { task?: string; optimizer?: string; model?: string }): void {
  const toVision = values.task === undefined ? 'add --task vision' : 'use --task vision in place of --task language-model';
  const optimizer = values.optimizer;
  if (task === 'language-model' && optimizer !== undefined && VISION_OPTIMIZERS.includes(optimizer)) {
    throw new Error(`--optimizer ${optimizer} is a vision optimizer; ${toVision}.`);
  }
  if (task === 'vision' && optimizer !== undefined && LANGUAGE_MODEL_OPTIMIZERS.includes(optimizer)) {
    throw new Error(`--optimizer ${optimizer} is a language-model optimizer; remove --task vision (the default task is language-model).`);
  }
  // A folder named mlp or cnn is still a valid language-model --model.
  if (task === 'language-model' && (values.model === 'mlp' || values.model === 'cnn') && !existsSync(values.model)) {
    throw new Error(`--model ${values.model} is a vision architecture; ${toVision}. A language model takes --model DIR, a folder with config.json, model.safetensors and tokenizer.json.`);
  }

  const foreign = (task === 'vision' ? LANGUAGE_MODEL_ONLY : VISION_ONLY).filter((flag) => (values as Record<string, unknown>)[flag] !== undefined);
  if (foreign.length === 0) return;
  let message = `${flagsWithVerb(foreign, 'applies', 'apply')} only to --task ${task === 'vision' ? 'language-model' : 'vision'}.`;
  if (values.task === undefined) message += ' Add --task vision, because the task defaults to language-model.';
  throw new Error(message);
}

/**
 * Reads --hub, --hub-base, --hub-cache and --no-hub-cache. Returns null without --hub, and
 * records the settings for readNodeResources otherwise.
 */
function hubSettings(values: { model?: string; hub?: string; 'hub-base'?: string; 'hub-cache'?: string; 'no-hub-cache'?: boolean }): { source: ModelSource; settings: NodeHubSettings } | null {
  if (values.hub === undefined) {
    const stray = (['hub-base', 'hub-cache', 'no-hub-cache'] as const).filter((flag) => values[flag] !== undefined);
    if (stray.length) throw new Error(`${flagsWithVerb(stray, 'applies', 'apply')} only with --hub.`);
    return null;
  }
  if (values.model !== undefined) throw new Error('--model and --hub both name a model; pass one of them.');
  if (values['hub-cache'] !== undefined && values['no-hub-cache']) throw new Error('--hub-cache and --no-hub-cache contradict each other; pass one of them.');

  let reference: HubReference;
  try {
    reference = parseHubReference(values.hub);
  } catch (error) {
    throw new Error(`--hub: ${(error as Error).message}`);
  }
  let base: string;
  try {
    base = normalizeHubBase(values['hub-base'] ?? reference.base ?? HUB_DEFAULT_BASE);
  } catch (error) {
    throw new Error(`--hub-base: ${(error as Error).message}`);
  }
  if (reference.base !== undefined && values['hub-base'] !== undefined && normalizeHubBase(reference.base) !== base) {
    throw new Error(`--hub names a model on ${reference.base} but --hub-base is ${base}; pass the repository id alone with --hub-base, or the URL alone.`);
  }

  const settings: NodeHubSettings = { base, cacheDir: values['no-hub-cache'] ? null : (values['hub-cache'] ?? DEFAULT_HUB_CACHE_DIR) };
  return { source: { kind: 'hub', repo: reference.repo, revision: reference.revision }, settings };
}

type ParsedValues = ReturnType<typeof parseArgs<{ options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> }>>['values'];

function visionOptimizer(values: ParsedValues): VisionOptimizerConfig {
  const text = (flag: string) => values[flag] as string | undefined;
  const name = text('optimizer') ?? DEFAULT_VISION_CONFIG.optimizer.name;
  if (name !== 'sgd' && name !== 'adamw' && name !== 'shampoo32' && name !== 'shampoo4') {
    throw new Error(`--optimizer: expected "sgd", "adamw", "shampoo32" or "shampoo4" for --task vision, got "${name}".`);
  }
  const isShampoo = name === 'shampoo32' || name === 'shampoo4';
  const baseName = isShampoo ? (text('base') ?? DEFAULT_SHAMPOO32.base.name) : name;
  if (baseName !== 'sgd' && baseName !== 'adamw') throw new Error(`--base: expected "sgd" or "adamw", got "${baseName}".`);
  if (!isShampoo && text('base') !== undefined) throw new Error('--base applies only to --optimizer shampoo32 or shampoo4.');
  let base: FirstOrderConfig;
  if (baseName === 'sgd') {
    base = {
      name: 'sgd',
      learningRate: number('lr', text('lr'), DEFAULT_SGD.learningRate),
      momentum: number('momentum', text('momentum'), DEFAULT_SGD.momentum),
      weightDecay: number('weight-decay', text('weight-decay'), DEFAULT_SGD.weightDecay),
    };
  } else {
    base = {
      name: 'adamw',
      learningRate: number('lr', text('lr'), DEFAULT_ADAMW.learningRate),
      beta1: number('beta1', text('beta1'), DEFAULT_ADAMW.beta1),
      beta2: number('beta2', text('beta2'), DEFAULT_ADAMW.beta2),
      epsilon: number('adam-eps', text('adam-eps'), DEFAULT_ADAMW.epsilon),
      weightDecay: number('weight-decay', text('weight-decay'), DEFAULT_ADAMW.weightDecay),
    };
  }
  const mismatched = (baseName === 'sgd' ? ['beta1', 'beta2', 'adam-eps'] : ['momentum']).filter((flag) => values[flag] !== undefined);
  if (mismatched.length) throw new Error(`${flagsWithVerb(mismatched, 'does not apply', 'do not apply')} to ${baseName === 'sgd' ? 'SGD' : 'AdamW'}.`);
  const shampooFlags = ['t1', 't2', 'factor-decay', 'shampoo-eps', 'max-order', 'codebook', 'no-rectify', 'quantize'];
  const shampoo4Flags = ['codebook', 'no-rectify', 'quantize'];
  let foreignFlags = shampooFlags;
  if (name === 'shampoo32') foreignFlags = shampoo4Flags;
  if (name === 'shampoo4') foreignFlags = [];
  const stray = foreignFlags.filter((flag) => values[flag] !== undefined);
  if (stray.length) throw new Error(`${flagsWithVerb(stray, 'does not apply', 'do not apply')} to --optimizer ${name}.`);
  if (!isShampoo) return base;

  const defaults = name === 'shampoo4' ? DEFAULT_SHAMPOO4 : DEFAULT_SHAMPOO32;
  const config: ShampooConfig = {
    ...defaults,
    base,
    factorPeriod: number('t1', text('t1'), defaults.factorPeriod),
    rootPeriod: number('t2', text('t2'), defaults.rootPeriod),
    factorDecay: number('factor-decay', text('factor-decay'), defaults.factorDecay),
    epsilon: number('shampoo-eps', text('shampoo-eps'), defaults.epsilon),
    maxOrder: number('max-order', text('max-order'), defaults.maxOrder),
  };
  if (name === 'shampoo4') {
    config.codebook = (text('codebook') ?? defaults.codebook) as ShampooConfig['codebook'];
    config.rectify = !values['no-rectify'];
    config.quantize = (text('quantize') ?? defaults.quantize) as ShampooConfig['quantize'];
    if (config.codebook !== 'linear-2' && config.codebook !== 'dynamic-tree') throw new Error(`--codebook: expected "linear-2" or "dynamic-tree", got "${config.codebook}".`);
    if (config.quantize !== 'eigenvectors' && config.quantize !== 'factor') throw new Error(`--quantize: expected "eigenvectors" or "factor", got "${config.quantize}".`);
  }
  return config;
}

function parseVisionArgs(values: ParsedValues, datasets: string[]): TrainArgs {
  const text = (flag: string) => values[flag] as string | undefined;
  const architecture = text('model') ?? DEFAULT_VISION_CONFIG.model.architecture;
  if (architecture !== 'mlp' && architecture !== 'cnn') throw new Error(`--model: expected "mlp" or "cnn" for --task vision, got "${architecture}".`);
  const optimizer = visionOptimizer(values);
  const config: VisionRunConfig = {
    ...DEFAULT_VISION_CONFIG,
    model: { kind: 'builtin', architecture },
    dataset: datasets.length ? { kind: 'upload', name: datasets.join(', '), size: 0 } : DEFAULT_VISION_CONFIG.dataset,
    optimizer,
    steps: number('steps', text('steps'), DEFAULT_VISION_CONFIG.steps),
    seed: number('seed', text('seed'), DEFAULT_VISION_CONFIG.seed),
    batchSize: number('batch', text('batch'), DEFAULT_VISION_CONFIG.batchSize),
    evalEvery: number('eval-every', text('eval-every'), DEFAULT_VISION_CONFIG.evalEvery),
    evalExamples: number('eval-examples', text('eval-examples'), DEFAULT_VISION_CONFIG.evalExamples),
  };
  let validated: RunConfig = config;
  if (!values.help) {
    try {
      validated = assertRunConfig(config);
    } catch (error) {
      throw new Error(withFlagNames((error as Error).message, optimizer.name));
    }
  }
  const warnings: string[] = [];
  const periodWarning = shampooPeriodWarning(optimizer, '--t1', '--t2');
  if (periodWarning) warnings.push(periodWarning);
  return {
    config: validated,
    out: text('out') ?? null,
    modelDir: null,
    datasetFile: null,
    imageFiles: datasets,
    saveWeights: text('save-weights') ?? null,
    hub: null,
    warnings,
    help: Boolean(values.help),
  };
}

/**
 * Returns a warning when a Shampoo root period is shorter than its factor period, else null. The page
 * accepts this pair too, so it is a warning. Factors change every T1 steps, so with T2 < T1 two root
 * updates can fall between the same two factor updates. `t1Name` and `t2Name` are the setting names
 * the user wrote: flags in a single run, config fields in a comparison.
 */
export function shampooPeriodWarning(optimizer: RunConfig['optimizer'], t1Name: string, t2Name: string): string | null {
  if (!('rootPeriod' in optimizer) || optimizer.rootPeriod >= optimizer.factorPeriod) return null;
  return (
    `${t2Name} ${optimizer.rootPeriod} is shorter than ${t1Name} ${optimizer.factorPeriod}, so an inverse-root update can recompute the roots from factors ` +
    `that have not changed since the previous root update. A ${t2Name} that is a multiple of ${t1Name} avoids this.`
  );
}
