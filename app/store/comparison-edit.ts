/**
 * Edits of a comparison that the page needs on top of app/share: the default comparison of each
 * task, the next run to add, replacing one run's config or the settings every run shares, and the
 * list of changes between two configs. Pure functions; each returns a new comparison.
 */
import { DEFAULT_CONFIG, DEFAULT_MEZO, DEFAULT_SUBZERO, DEFAULT_VISION_CONFIG, DEFAULT_VISION_OPTIMIZERS } from '../run/config';
import type { OptimizerConfig, RunConfig, ShampooConfig, Task, VisionOptimizerConfig } from '../run/types';
import { addRun, assertComparison, buildComparison, datasetSourceOf, modelSourceOf, type Comparison, type ComparisonDataset, type ComparisonModel, type ComparisonRun } from '../share';

export type OptimizerName = RunConfig['optimizer']['name'];

/** Names shown for each optimizer in labels, legends and tables. */
export const OPTIMIZER_LABELS: Record<OptimizerName, string> = {
  subzero: 'SubZero',
  mezo: 'MeZO',
  sgd: 'SGD',
  adamw: 'AdamW',
  shampoo32: '32-bit Shampoo',
  shampoo4: '4-bit Shampoo',
};

/** Order in which "Add run" proposes optimizers not yet in the comparison. */
const ADD_ORDER: Record<Task, OptimizerName[]> = {
  'language-model': ['subzero', 'mezo'],
  vision: ['shampoo4', 'shampoo32', 'adamw', 'sgd'],
};

/** The comparison a fresh page starts with: one run of the task's default config. */
export function defaultComparison(task: Task): Comparison {
  const config = task === 'vision' ? DEFAULT_VISION_CONFIG : DEFAULT_CONFIG;
  return buildComparison([config], { runs: [{ label: OPTIMIZER_LABELS[config.optimizer.name] }] });
}

/** A label not used by another run: the optimizer's name, then "(2)", "(3)" and so on. */
export function uniqueLabel(base: string, runs: readonly ComparisonRun[], exceptId?: string): string {
  const taken = new Set(runs.filter((run) => run.id !== exceptId).map((run) => run.label));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base} (${n})`)) return `${base} (${n})`;
}

/** A run id not used by another run, built from `base` as addRun builds ids. */
function uniqueId(base: string, runs: readonly ComparisonRun[], exceptId: string): string {
  const taken = new Set(runs.filter((run) => run.id !== exceptId).map((run) => run.id));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** Whether `label` is one that the page gave automatically for `optimizer` ("MeZO", "MeZO (2)"). */
function isAutomaticLabel(label: string, optimizer: OptimizerName): boolean {
  const base = OPTIMIZER_LABELS[optimizer];
  return label === base || new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+\\)$`).test(label);
}

/**
 * Returns `optimizer` switched to `name`, keeping the hyperparameters both share: η, ε, weight decay
 * and frozen embeddings between MeZO and SubZero; the base optimizer and Shampoo settings between
 * the two Shampoo variants. Other fields take the new optimizer's defaults.
 */
export function switchOptimizer(optimizer: RunConfig['optimizer'], name: OptimizerName): RunConfig['optimizer'] {
  if (name === 'mezo' || name === 'subzero') {
    const defaults = (name === 'mezo' ? DEFAULT_MEZO : DEFAULT_SUBZERO) as OptimizerConfig;
    if (optimizer.name !== 'mezo' && optimizer.name !== 'subzero') return structuredClone(defaults);
    const shared = { learningRate: optimizer.learningRate, perturbationScale: optimizer.perturbationScale, weightDecay: optimizer.weightDecay };
    const freeze = optimizer.freezeEmbeddings ? { freezeEmbeddings: true } : {};
    const { freezeEmbeddings: _freeze, ...rest } = defaults;
    return { ...rest, ...shared, ...freeze } as OptimizerConfig;
  }

  const defaults = structuredClone(DEFAULT_VISION_OPTIMIZERS[name]);
  if ((name === 'shampoo4' || name === 'shampoo32') && 'base' in optimizer) {
    const { name: _name, bits: _bits, codebook: _codebook, rectify: _rectify, quantize: _quantize, ...shared } = optimizer;
    const fourBit = name === 'shampoo4' ? { bits: 4 as const, codebook: optimizer.codebook ?? 'linear-2', rectify: optimizer.rectify ?? true, quantize: optimizer.quantize ?? 'eigenvectors' } : {};
    return { ...structuredClone(shared), name, ...fourBit } as ShampooConfig;
  }
  return defaults as VisionOptimizerConfig;
}

/**
 * The config "Add run" proposes: the selected run's config with the first optimizer of the task
 * that no run uses yet (the selected run's optimizer when every one is used).
 */
export function nextRunConfig(comparison: Comparison, selected: ComparisonRun): RunConfig {
  const used = new Set(comparison.runs.map((run) => run.config.optimizer.name));
  const name = ADD_ORDER[comparison.task].find((candidate) => !used.has(candidate)) ?? selected.config.optimizer.name;
  return { ...structuredClone(selected.config), optimizer: switchOptimizer(selected.config.optimizer, name) } as RunConfig;
}

/** Adds `config` as a new run labelled after its optimizer, and returns the comparison and the new run's id. */
export function addLabelledRun(comparison: Comparison, config: RunConfig, label?: string): { comparison: Comparison; runId: string } {
  const next = addRun(comparison, config, { label: label ?? uniqueLabel(OPTIMIZER_LABELS[config.optimizer.name], comparison.runs) });
  return { comparison: next, runId: next.runs[next.runs.length - 1].id };
}

/** Adds a copy of `runId` (config, no results) right after it, labelled "<label> (2)" and so on. */
export function duplicateRun(comparison: Comparison, runId: string): { comparison: Comparison; runId: string } {
  const source = findRun(comparison, runId);
  const base = source.label.replace(/ \(\d+\)$/, '');
  const added = addLabelledRun(comparison, source.config, uniqueLabel(base, comparison.runs));
  const runs = added.comparison.runs.slice(0, -1);
  runs.splice(runs.findIndex((run) => run.id === runId) + 1, 0, added.comparison.runs[added.comparison.runs.length - 1]);
  return { comparison: { ...added.comparison, runs }, runId: added.runId };
}

export function findRun(comparison: Comparison, runId: string): ComparisonRun {
  const run = comparison.runs.find((candidate) => candidate.id === runId);
  if (!run) throw new Error(`No run "${runId}" in this comparison; its runs are ${comparison.runs.map((r) => `"${r.id}"`).join(', ')}.`);
  return run;
}

/**
 * Replaces the config of `runId` with `config` (whose task, model, dataset and seed must stay the
 * comparison's) and clears the run's results, which belong to the old config. When the optimizer
 * changes and the label was the automatic one, the label and id follow the new optimizer.
 * Returns the comparison and the run's id, which may have changed.
 */
export function replaceRunConfig(comparison: Comparison, runId: string, config: RunConfig): { comparison: Comparison; runId: string } {
  const run = findRun(comparison, runId);
  const oldName = run.config.optimizer.name;
  const newName = config.optimizer.name;
  let { id, label } = run;
  if (oldName !== newName && isAutomaticLabel(label, oldName)) {
    label = uniqueLabel(OPTIMIZER_LABELS[newName], comparison.runs, runId);
    id = uniqueId(newName, comparison.runs, runId);
  }
  const replaced: ComparisonRun = { id, label, colour: run.colour, config: structuredClone(config) };
  const next = { ...comparison, runs: comparison.runs.map((candidate) => (candidate.id === runId ? replaced : candidate)) };
  return { comparison: assertComparison(next), runId: id };
}

/** The settings every run of a comparison shares. */
export interface SharedSettings {
  model: ComparisonModel;
  dataset: ComparisonDataset;
  seed: number;
}

/** Gives every run the shared `settings` and clears every run's results. */
export function replaceSharedSettings(comparison: Comparison, settings: SharedSettings): Comparison {
  const model = modelSourceOf(settings.model);
  const dataset = datasetSourceOf(settings.dataset);
  const runs = comparison.runs.map(({ results: _results, ...run }) => ({ ...run, config: { ...run.config, model, dataset, seed: settings.seed } as RunConfig }));
  return assertComparison({ ...comparison, model: structuredClone(settings.model), dataset: structuredClone(settings.dataset), seed: settings.seed, runs });
}

/** Renames `runId`. Throws when the label is empty or longer than 100 characters. */
export function renameRun(comparison: Comparison, runId: string, label: string): Comparison {
  findRun(comparison, runId);
  return assertComparison({ ...comparison, runs: comparison.runs.map((run) => (run.id === runId ? { ...run, label } : run)) });
}

/**
 * The config as the run forms produce it, so a stored config and the form's can be compared: no
 * `freezeEmbeddings: false`, and the 4-bit Shampoo fields present (with the optimizer's defaults)
 * for shampoo4 and absent for shampoo32.
 */
export function canonicalConfig(config: RunConfig): RunConfig {
  const copy = structuredClone(config);
  const optimizer = copy.optimizer as RunConfig['optimizer'] & Record<string, unknown>;
  if (optimizer.freezeEmbeddings === false) delete optimizer.freezeEmbeddings;
  if (optimizer.name === 'shampoo4') {
    optimizer.bits = 4;
    optimizer.codebook ??= 'linear-2';
    optimizer.rectify ??= true;
    optimizer.quantize ??= 'eigenvectors';
  } else if (optimizer.name === 'shampoo32') {
    for (const field of ['bits', 'codebook', 'rectify', 'quantize']) delete optimizer[field];
  }
  return copy;
}

/** One changed field: its dotted path and the old and new values as JSON (undefined when absent). */
export interface ConfigChange {
  path: string;
  from: string | undefined;
  to: string | undefined;
}

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, out);
  } else if (value !== undefined) {
    out.set(prefix, JSON.stringify(value));
  }
}

/** Lists the fields that differ between two configs, in the order of `to`'s fields, then removed ones. */
export function configChanges(from: RunConfig, to: RunConfig): ConfigChange[] {
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  flatten(canonicalConfig(from), '', before);
  flatten(canonicalConfig(to), '', after);
  const changes: ConfigChange[] = [];
  for (const [path, value] of after) if (before.get(path) !== value) changes.push({ path, from: before.get(path), to: value });
  for (const [path, value] of before) if (!after.has(path)) changes.push({ path, from: value, to: undefined });
  return changes;
}
