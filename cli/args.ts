/** Command-line flags of `npm run train`, turned into a validated RunConfig. */
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG, DEFAULT_MEZO, DEFAULT_SUBZERO, assertRunConfig } from '../app/run/config';
import type { OptimizerConfig, RunConfig } from '../app/run/types';

export const TRAIN_USAGE = `Usage: npm run train -- [flags]

Fine-tunes a GPT-2 (default: the embedded gpt2-moby) on text (default: the embedded State of the
Union addresses) with a zeroth-order optimizer on the GPU, and writes one JSON object per step.

  --optimizer NAME      subzero or mezo (default subzero)
  --steps N             optimizer steps (default ${DEFAULT_CONFIG.steps})
  --seed S              run seed, an integer (default ${DEFAULT_CONFIG.seed})
  --out FILE            JSON-lines output (default: stdout)
  --lr X                learning rate η (default ${DEFAULT_SUBZERO.learningRate})
  --eps X               perturbation scale ε (default ${DEFAULT_SUBZERO.perturbationScale})
  --weight-decay X      weight decay λ for 2-D weights (default 0)
  --freeze-embeddings   keep wte and wpe fixed (neither perturbed nor updated)
  --rank R              SubZero subspace rank (default ${(DEFAULT_SUBZERO as { rank: number }).rank})
  --period T            SubZero steps between subspace refreshes (default ${(DEFAULT_SUBZERO as { subspacePeriod: number }).subspacePeriod})
  --batch B             sequences per step (default ${DEFAULT_CONFIG.batchSize})
  --seq T               tokens per sequence (default ${DEFAULT_CONFIG.sequenceLength})
  --eval-every N        steps between held-out evaluations, 0 to disable (default ${DEFAULT_CONFIG.evalEvery})
  --eval-batches N      batches per evaluation (default ${DEFAULT_CONFIG.evalBatches})
  --model DIR           folder with config.json, model.safetensors, tokenizer.json
  --dataset FILE        .txt, .jsonl or .csv (with a text column); split into train and eval
  --sample-tokens N     tokens generated before and after training (default ${DEFAULT_CONFIG.sampleTokens})
  --prompt TEXT         prompt of the text sample
  --help                print this help
`;

export interface TrainArgs {
  config: RunConfig;
  out: string | null;
  modelDir: string | null;
  datasetFile: string | null;
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
  [/\bsteps\b/g, '--steps'],
  [/\bseed\b/g, '--seed'],
];

/** Rewrites RunConfig field names in a validation message as CLI flags. */
export function withFlagNames(message: string): string {
  return FLAG_OF_FIELD.reduce((text, [pattern, flag]) => text.replace(pattern, flag), message);
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

export function parseTrainArgs(argv: string[]): TrainArgs {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    strict: true,
    options: {
      optimizer: { type: 'string' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      lr: { type: 'string' },
      eps: { type: 'string' },
      'weight-decay': { type: 'string' },
      'freeze-embeddings': { type: 'boolean' },
      rank: { type: 'string' },
      period: { type: 'string' },
      batch: { type: 'string' },
      seq: { type: 'string' },
      'eval-every': { type: 'string' },
      'eval-batches': { type: 'string' },
      model: { type: 'string' },
      dataset: { type: 'string' },
      'sample-tokens': { type: 'string' },
      prompt: { type: 'string' },
      help: { type: 'boolean' },
    },
  });

  const name = values.optimizer ?? 'subzero';
  if (name !== 'subzero' && name !== 'mezo') throw new Error(`--optimizer: expected "subzero" or "mezo", got "${name}".`);
  const base = name === 'mezo' ? DEFAULT_MEZO : DEFAULT_SUBZERO;
  const common = {
    learningRate: number('lr', values.lr, base.learningRate),
    perturbationScale: number('eps', values.eps, base.perturbationScale),
    weightDecay: number('weight-decay', values['weight-decay'], base.weightDecay),
    ...(values['freeze-embeddings'] ? { freezeEmbeddings: true } : {}),
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

  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    model: values.model ? { kind: 'files', name: values.model } : DEFAULT_CONFIG.model,
    dataset: values.dataset ? { kind: 'upload', name: values.dataset, size: 0 } : DEFAULT_CONFIG.dataset,
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
    datasetFile: values.dataset ?? null,
    help: values.help ?? false,
  };
}
