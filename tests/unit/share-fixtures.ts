/** Comparisons with recorded results for the share tests, from synthetic but well-formed run events. */
import { DEFAULT_CONFIG, DEFAULT_MEZO, DEFAULT_SHAMPOO32, DEFAULT_SHAMPOO4, DEFAULT_SUBZERO, DEFAULT_VISION_CONFIG } from '../../app/run/config';
import type { LanguageModelRunConfig, RunConfig, RunEvent, VisionRunConfig } from '../../app/run/types';
import { buildComparison, resultsFromEvents, setRunResults, type Comparison, type FileReference } from '../../app/share';
import { emptyMemoryBytes } from '../../kernels/gpu/pool';

/** Events of a run that completes `config.steps` steps, evaluating every `config.evalEvery` steps. */
export function syntheticEvents(config: RunConfig, variant = 0): RunEvent[] {
  const memory = { ...emptyMemoryBytes(), weights: 4 * 1000, activations: 2048 + variant * 512 };
  const events: RunEvent[] = [
    { type: 'started', adapter: 'Test adapter', parameterCount: 1000, trainSize: 100, evalSize: 10, sizeUnit: config.task === 'vision' ? 'images' : 'tokens', memoryBytes: memory },
  ];
  const evaluate = (step: number, elapsedMs: number) => {
    const evalLoss = 2.5 / (1 + 0.01 * step * (1 + variant)) + 0.001 * Math.sin(step);
    events.push(config.task === 'vision' ? { type: 'eval', step, evalLoss, accuracy: Math.min(1, 0.1 + step / (config.steps * 1.5)), elapsedMs } : { type: 'eval', step, evalLoss, elapsedMs });
  };
  if (config.evalEvery > 0) evaluate(0, 0);
  let elapsedMs = 0;
  for (let step = 1; step <= config.steps; step++) {
    elapsedMs += 3.25 + variant + 0.5 * Math.cos(step);
    const stepMemory = { ...memory, 'optimizer-state': 800 * (variant + 1), staging: step === 2 ? 4096 : 0 };
    events.push({ type: 'step', step, loss: 2.6 / (1 + 0.01 * step) + 0.05 * Math.sin(step * 1.7), projectedGrad: 0.1, elapsedMs, memoryBytes: stepMemory });
    if (config.evalEvery > 0 && (step % config.evalEvery === 0 || step === config.steps)) evaluate(step, elapsedMs);
  }
  events.push({ type: 'finished', reason: 'completed', step: config.steps, elapsedMs });
  return events;
}

export const LM_BASE: LanguageModelRunConfig = { ...DEFAULT_CONFIG, steps: 60, evalEvery: 10, seed: 7 };

/** SubZero against MeZO on the embedded model and dataset, with results. */
export function languageModelComparison(): Comparison {
  const configs: RunConfig[] = [
    { ...LM_BASE, optimizer: DEFAULT_SUBZERO },
    { ...LM_BASE, optimizer: DEFAULT_MEZO },
  ];
  let comparison = buildComparison(configs, { title: 'SubZero against MeZO' });
  comparison.runs.forEach((run, index) => {
    comparison = setRunResults(comparison, run.id, resultsFromEvents('language-model', syntheticEvents(run.config, index)));
  });
  return comparison;
}

/** Two IDX files, as an uploaded vision dataset references them. */
export const IDX_FILES: FileReference[] = [
  { name: 'train-images.gz', size: 1200, sha256: 'a'.repeat(64) },
  { name: 'train-labels.gz', size: 34, sha256: '0123456789abcdef'.repeat(4) },
];

export const VISION_BASE: VisionRunConfig = {
  ...DEFAULT_VISION_CONFIG,
  model: { kind: 'builtin', architecture: 'mlp' },
  dataset: { kind: 'upload', name: 'train-images.gz, train-labels.gz', size: 1234 },
  steps: 500,
  evalEvery: 50,
  seed: 3,
};

/** 4-bit against 32-bit Shampoo on an uploaded IDX pair, with results. */
export function visionComparison(): Comparison {
  const configs: RunConfig[] = [
    { ...VISION_BASE, optimizer: DEFAULT_SHAMPOO4 },
    { ...VISION_BASE, optimizer: DEFAULT_SHAMPOO32 },
  ];
  let comparison = buildComparison(configs, { datasetFiles: IDX_FILES, runs: [{ label: '4-bit Shampoo' }, { label: '32-bit Shampoo', colour: '#112233' }] });
  comparison.runs.forEach((run, index) => {
    comparison = setRunResults(comparison, run.id, resultsFromEvents('vision', syntheticEvents(run.config, index)));
  });
  return comparison;
}
