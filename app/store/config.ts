/**
 * The run form: what the person typed, the files they picked, and the RunConfig derived from both.
 * Numeric fields are kept as typed text, so "3e-4" or a half-typed value stays on screen.
 * `deriveRunForm` recomputes the config and its problems from that text.
 */
import { create } from 'zustand';
import { HUB_DEFAULT_BASE, hubModelName, parseHubReference } from '../model/hub';
import { DEFAULT_CONFIG, DEFAULT_MEZO, DEFAULT_SUBZERO, EMBEDDED_DATASET_ID, EMBEDDED_MODEL_ID, validateRunConfig } from '../run/config';
import type { DatasetSource, LanguageModelRunConfig, ModelSource, OptimizerConfig, RunConfig, Task } from '../run/types';
import { checkDatasetFile, checkModelConfigFile, fetchEmbeddedModelContext, type DatasetSummary, type FileCheck, type ModelContext } from './file-checks';

/** Hyperparameters that every optimizer has. */
export const OPTIMIZER_FIELDS = ['learningRate', 'perturbationScale', 'weightDecay'] as const;
/** Hyperparameters of SubZero only. */
export const SUBZERO_FIELDS = ['rank', 'subspacePeriod'] as const;
/** Run-level numeric fields of RunConfig. */
export const RUN_FIELDS = ['batchSize', 'sequenceLength', 'steps', 'seed', 'evalEvery', 'evalBatches', 'sampleTokens'] as const;

export type OptimizerField = (typeof OPTIMIZER_FIELDS)[number] | (typeof SUBZERO_FIELDS)[number];
export type RunField = (typeof RUN_FIELDS)[number];
export type NumericField = OptimizerField | RunField;

export type ModelChoice = 'embedded' | 'files' | 'hub';
export type DatasetChoice = 'embedded' | 'upload';

/** Model files picked from disk, matched by file name. */
export interface PickedModelFiles {
  config: File | null;
  safetensors: File | null;
  tokenizer: File | null;
}

export interface ConfigFormState {
  /** The task the form configures. The vision fields are kept in the vision config store (vision-config.ts). */
  task: Task;
  optimizerName: OptimizerConfig['name'];
  /** Text of each numeric field as typed. */
  drafts: Record<NumericField, string>;
  samplePrompt: string;
  /** Keeps wte and wpe fixed during fine-tuning. */
  freezeEmbeddings: boolean;
  modelChoice: ModelChoice;
  modelFiles: PickedModelFiles;
  /** Picked files whose names match none of the expected model files. */
  unmatchedModelFiles: string[];
  /** The Hugging Face model as typed: `owner/name`, `owner/name@revision` or a huggingface.co URL. */
  hubText: string;
  /**
   * Context of each Hub model whose config.json a run has downloaded in this page, keyed by
   * hubContextKey. Until a run downloads it, the form cannot check the sequence length.
   */
  hubModelContexts: Record<string, ModelContext>;
  datasetChoice: DatasetChoice;
  datasetFile: File | null;
  /** Parse result of `datasetFile`; null when no file is picked. */
  datasetCheck: FileCheck<DatasetSummary> | null;
  /** Parse result of the picked config.json; null when none is picked. */
  modelConfigCheck: FileCheck<ModelContext> | null;
  /** Context of the embedded model, fetched once at startup by loadEmbeddedModelContext. */
  embeddedModelContext: FileCheck<ModelContext>;
}

function initialDrafts(): Record<NumericField, string> {
  const subzero = DEFAULT_SUBZERO as Extract<OptimizerConfig, { name: 'subzero' }>;
  return {
    learningRate: String(subzero.learningRate),
    perturbationScale: String(subzero.perturbationScale),
    weightDecay: String(subzero.weightDecay),
    rank: String(subzero.rank),
    subspacePeriod: String(subzero.subspacePeriod),
    batchSize: String(DEFAULT_CONFIG.batchSize),
    sequenceLength: String(DEFAULT_CONFIG.sequenceLength),
    steps: String(DEFAULT_CONFIG.steps),
    seed: String(DEFAULT_CONFIG.seed),
    evalEvery: String(DEFAULT_CONFIG.evalEvery),
    evalBatches: String(DEFAULT_CONFIG.evalBatches),
    sampleTokens: String(DEFAULT_CONFIG.sampleTokens),
  };
}

function initialForm(): ConfigFormState {
  return {
    task: 'language-model',
    optimizerName: DEFAULT_CONFIG.optimizer.name,
    drafts: initialDrafts(),
    samplePrompt: DEFAULT_CONFIG.samplePrompt,
    freezeEmbeddings: DEFAULT_CONFIG.optimizer.freezeEmbeddings ?? false,
    modelChoice: 'embedded',
    modelFiles: { config: null, safetensors: null, tokenizer: null },
    unmatchedModelFiles: [],
    hubText: '',
    hubModelContexts: {},
    datasetChoice: 'embedded',
    datasetFile: null,
    datasetCheck: null,
    modelConfigCheck: null,
    embeddedModelContext: { status: 'reading' },
  };
}

export const useConfigStore = create<ConfigFormState>()(initialForm);

/** Restores the defaults, keeping the embedded model's context once read; for tests. */
export function resetLanguageModelForm(): void {
  useConfigStore.setState((state) => ({ ...initialForm(), embeddedModelContext: state.embeddedModelContext }));
}

/** Key of a Hub model in `hubModelContexts`: "repo@revision". */
export function hubContextKey(repo: string, revision: string): string {
  return `${repo}@${revision}`;
}

export function setTask(task: Task): void {
  useConfigStore.setState({ task });
}

export function setDraft(field: NumericField, text: string): void {
  useConfigStore.setState((state) => ({ drafts: { ...state.drafts, [field]: text } }));
}

/** Switches optimizer and loads the new one's defaults of the shared hyperparameters and of Freeze embeddings. */
export function setOptimizer(name: OptimizerConfig['name']): void {
  const defaults = name === 'mezo' ? DEFAULT_MEZO : DEFAULT_SUBZERO;
  useConfigStore.setState((state) => ({
    optimizerName: name,
    drafts: {
      ...state.drafts,
      learningRate: String(defaults.learningRate),
      perturbationScale: String(defaults.perturbationScale),
      weightDecay: String(defaults.weightDecay),
    },
    freezeEmbeddings: defaults.freezeEmbeddings ?? false,
  }));
}

/**
 * Loads `config` into the form: optimizer and hyperparameters, run settings, sample prompt, and the
 * model and dataset choices. Picked files stay as they are. deriveRunForm then returns `config` in
 * the form's canonical shape (see canonicalConfig in comparison-edit.ts).
 */
export function loadLanguageModelForm(config: LanguageModelRunConfig): void {
  const optimizer = config.optimizer;
  useConfigStore.setState((state) => ({
    optimizerName: optimizer.name,
    drafts: {
      ...state.drafts,
      learningRate: String(optimizer.learningRate),
      perturbationScale: String(optimizer.perturbationScale),
      weightDecay: String(optimizer.weightDecay),
      ...(optimizer.name === 'subzero' ? { rank: String(optimizer.rank), subspacePeriod: String(optimizer.subspacePeriod) } : {}),
      batchSize: String(config.batchSize),
      sequenceLength: String(config.sequenceLength),
      steps: String(config.steps),
      seed: String(config.seed),
      evalEvery: String(config.evalEvery),
      evalBatches: String(config.evalBatches),
      sampleTokens: String(config.sampleTokens),
    },
    samplePrompt: config.samplePrompt,
    freezeEmbeddings: optimizer.freezeEmbeddings ?? false,
    modelChoice: config.model.kind,
    hubText: config.model.kind === 'hub' ? hubTextFor(state.hubText, config.model.repo, config.model.revision) : state.hubText,
    datasetChoice: config.dataset.kind,
  }));
}

/**
 * Returns the Hub field's text for `repo` at `revision`: the typed text when it already names that
 * model (a pasted URL stays as pasted), otherwise "repo" or "repo@revision".
 */
function hubTextFor(typed: string, repo: string, revision: string): string {
  const parsed = parseHubText(typed);
  if (!('problem' in parsed) && parsed.repo === repo && parsed.revision === revision) return typed;
  return hubModelName(repo, revision);
}

export function setFreezeEmbeddings(freeze: boolean): void {
  useConfigStore.setState({ freezeEmbeddings: freeze });
}

export function setSamplePrompt(text: string): void {
  useConfigStore.setState({ samplePrompt: text });
}

export function setModelChoice(choice: ModelChoice): void {
  useConfigStore.setState({ modelChoice: choice });
}

export function setHubText(text: string): void {
  useConfigStore.setState({ hubText: text });
}

/** Records the context length of a Hub model, read from the config.json that a run downloaded. */
export function rememberHubModelContext(repo: string, revision: string, nPositions: number): void {
  const key = hubContextKey(repo, revision);
  useConfigStore.setState((state) => ({
    hubModelContexts: { ...state.hubModelContexts, [key]: { nPositions, source: `config.json of ${hubModelName(repo, revision)}` } },
  }));
}

export function setDatasetChoice(choice: DatasetChoice): void {
  useConfigStore.setState({ datasetChoice: choice });
}

/** Stores the picked dataset file and parses it, so a malformed file is reported before Run. */
export function setDatasetFile(file: File | null): void {
  useConfigStore.setState({ datasetFile: file, datasetCheck: file ? { status: 'reading' } : null });
  if (!file) return;
  void checkDatasetFile(file).then((check) => {
    // A file picked while this one was read replaces it, so its result is dropped.
    if (useConfigStore.getState().datasetFile === file) useConfigStore.setState({ datasetCheck: check });
  });
}

let embeddedContextRequested = false;

/** Fetches the embedded model's config.json relative to `baseUrl` once; later calls do nothing. */
export function loadEmbeddedModelContext(baseUrl: string): void {
  if (embeddedContextRequested) return;
  embeddedContextRequested = true;
  void fetchEmbeddedModelContext(baseUrl).then((check) => useConfigStore.setState({ embeddedModelContext: check }));
}

/**
 * Sorts picked files into config.json, *.safetensors and tokenizer.json. Files picked earlier stay
 * unless a new pick replaces them, so the three can be picked in separate goes.
 */
export function addModelFiles(files: Iterable<File>): void {
  const current = useConfigStore.getState().modelFiles;
  const next: PickedModelFiles = { ...current };
  const unmatched: string[] = [];
  for (const file of files) {
    const name = file.name.toLowerCase();
    if (name === 'config.json') next.config = file;
    else if (name.endsWith('.safetensors')) next.safetensors = file;
    else if (name === 'tokenizer.json') next.tokenizer = file;
    else unmatched.push(file.name);
  }
  useConfigStore.setState({ modelFiles: next, unmatchedModelFiles: unmatched });

  const configFile = next.config;
  if (!configFile || configFile === current.config) return;
  useConfigStore.setState({ modelConfigCheck: { status: 'reading' } });
  void checkModelConfigFile(configFile).then((check) => {
    if (useConfigStore.getState().modelFiles.config === configFile) useConfigStore.setState({ modelConfigCheck: check });
  });
}

export function clearModelFiles(): void {
  useConfigStore.setState({ modelFiles: { config: null, safetensors: null, tokenizer: null }, unmatchedModelFiles: [], modelConfigCheck: null });
}

/** Path of a field in RunConfig, as validateRunConfig names it in messages. */
export function fieldPath(field: NumericField): string {
  const isOptimizerField = (OPTIMIZER_FIELDS as readonly string[]).includes(field) || (SUBZERO_FIELDS as readonly string[]).includes(field);
  return isOptimizerField ? `optimizer.${field}` : field;
}

export interface DerivedRunForm {
  /** The config to run, or null while any problem remains. */
  config: RunConfig | null;
  /** Problems keyed by field path ("batchSize", "optimizer.rank", "model", "dataset", "samplePrompt"). */
  fieldProblems: Record<string, string[]>;
  /** Problems that name no single field. */
  otherProblems: string[];
  /** Checks still reading a file (a picked dataset or config.json, the embedded config); config stays null until they end. */
  pending: string[];
}

/** Parses the typed text of a numeric field; returns null when it is not a finite number. */
export function parseNumber(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** Returns the field path that a validateRunConfig message starts with, if it names a known one. */
export function problemField(message: string, paths: readonly string[]): string | null {
  for (const path of paths) {
    if (message.startsWith(path) && /^[\s:(]/.test(message.slice(path.length))) return path;
  }
  return null;
}

/** Host names of pasted URLs that name a model on the Hub that runs download from (HUB_DEFAULT_BASE). */
const HUB_HOSTS = [new URL(HUB_DEFAULT_BASE).hostname, `www.${new URL(HUB_DEFAULT_BASE).hostname}`];

/**
 * Parses the Hub field with parseHubReference and returns the repository and revision, or the
 * problem to show under the field: the parser's message, an empty field, or a URL of another host.
 */
export function parseHubText(text: string): { repo: string; revision: string } | { problem: string } {
  if (text.trim() === '') {
    return { problem: 'model: type a Hugging Face repository such as openai-community/gpt2, owner/name@revision, or a huggingface.co URL' };
  }
  let reference;
  try {
    reference = parseHubReference(text);
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
  if (reference.base !== undefined && !HUB_HOSTS.includes(new URL(reference.base).hostname)) {
    return {
      problem: `The URL ${JSON.stringify(text.trim())} is not on ${HUB_DEFAULT_BASE}, the only Hub that runs download from. Type the repository as owner/name, or paste its huggingface.co URL.`,
    };
  }
  return { repo: reference.repo, revision: reference.revision };
}

/**
 * Returns whether the form names a valid Hub model whose context length the page does not know yet,
 * so the sequence length cannot be checked against it before a run downloads its config.json.
 */
export function hubContextUnknown(form: Pick<ConfigFormState, 'modelChoice' | 'hubText' | 'hubModelContexts'>): boolean {
  if (form.modelChoice !== 'hub') return false;
  const parsed = parseHubText(form.hubText);
  return !('problem' in parsed) && form.hubModelContexts[hubContextKey(parsed.repo, parsed.revision)] === undefined;
}

/** Builds the RunConfig from the form and collects every problem with it. */
export function deriveRunForm(form: ConfigFormState): DerivedRunForm {
  const fieldProblems: Record<string, string[]> = {};
  const addProblem = (path: string, message: string) => {
    (fieldProblems[path] ??= []).push(message);
  };

  // 1. Parse the numeric fields of the chosen optimizer and the run.
  const fields: NumericField[] = [...OPTIMIZER_FIELDS, ...(form.optimizerName === 'subzero' ? SUBZERO_FIELDS : []), ...RUN_FIELDS];
  const values = {} as Record<NumericField, number>;
  const unparsed = new Set<string>();
  for (const field of fields) {
    const value = parseNumber(form.drafts[field]);
    if (value === null) {
      unparsed.add(fieldPath(field));
      addProblem(fieldPath(field), `${fieldPath(field)} must be a number (got "${form.drafts[field]}")`);
    }
    values[field] = value ?? 0;
  }

  // 2. Model and dataset sources, which need picked files when not embedded, and the parse
  //    results of those files.
  const pending: string[] = [];
  let model: ModelSource = { kind: 'embedded', id: EMBEDDED_MODEL_ID };
  let modelConfigCheck: FileCheck<ModelContext> | null = form.embeddedModelContext;
  if (form.modelChoice === 'files') {
    const { config, safetensors, tokenizer } = form.modelFiles;
    const missing = [config ? null : 'config.json', safetensors ? null : 'model.safetensors', tokenizer ? null : 'tokenizer.json'].filter((name) => name);
    if (missing.length) addProblem('model', `model: pick ${missing.join(', ')} from disk`);
    model = { kind: 'files', name: safetensors?.name ?? 'model.safetensors' };
    modelConfigCheck = form.modelConfigCheck;
    if (modelConfigCheck?.status === 'invalid') addProblem('model', modelConfigCheck.message);
  } else if (form.modelChoice === 'hub') {
    // The context is known only once a run has downloaded the model's config.json. Until then the
    // worker checks the sequence length and reports a too-long one when it loads the model.
    const parsed = parseHubText(form.hubText);
    modelConfigCheck = null;
    if ('problem' in parsed) addProblem('model', parsed.problem);
    else {
      model = { kind: 'hub', repo: parsed.repo, revision: parsed.revision };
      const known = form.hubModelContexts[hubContextKey(parsed.repo, parsed.revision)];
      if (known) modelConfigCheck = { status: 'valid', value: known };
    }
  }
  // NOTE: when the embedded config.json cannot be fetched, Run stays enabled and the worker checks
  // the sequence length once it loads the model. ModelPicker shows why.
  if (modelConfigCheck?.status === 'reading') pending.push('Reading the model config…');
  const modelContext = modelConfigCheck?.status === 'valid' ? modelConfigCheck.value : null;

  let dataset: DatasetSource = { kind: 'embedded', id: EMBEDDED_DATASET_ID };
  if (form.datasetChoice === 'upload') {
    if (!form.datasetFile) addProblem('dataset', 'dataset: pick a .txt, .jsonl or .csv file');
    else if (form.datasetCheck?.status === 'reading') pending.push(`Reading ${form.datasetFile.name}…`);
    else if (form.datasetCheck?.status === 'invalid') addProblem('dataset', form.datasetCheck.message);
    dataset = { kind: 'upload', name: form.datasetFile?.name ?? '', size: form.datasetFile?.size ?? 0 };
  }

  const common = {
    learningRate: values.learningRate,
    perturbationScale: values.perturbationScale,
    weightDecay: values.weightDecay,
    ...(form.freezeEmbeddings ? { freezeEmbeddings: true } : {}),
  };
  const optimizer: OptimizerConfig =
    form.optimizerName === 'subzero'
      ? { name: 'subzero', ...common, rank: values.rank, subspacePeriod: values.subspacePeriod }
      : { name: 'mezo', ...common };
  const config: RunConfig = {
    task: 'language-model',
    model,
    dataset,
    optimizer,
    batchSize: values.batchSize,
    sequenceLength: values.sequenceLength,
    steps: values.steps,
    seed: values.seed,
    evalEvery: values.evalEvery,
    evalBatches: values.evalBatches,
    samplePrompt: form.samplePrompt,
    sampleTokens: values.sampleTokens,
  };

  // 3. Schema validation. A field that did not parse keeps only its parse message.
  const paths = [...fields.map(fieldPath), 'samplePrompt', 'model', 'dataset'].sort((a, b) => b.length - a.length);
  const otherProblems: string[] = [];
  for (const message of validateRunConfig(config)) {
    const path = problemField(message, paths);
    if (path === null) otherProblems.push(message);
    else if (!unparsed.has(path)) addProblem(path, message);
  }

  // 4. The model's context bounds the sequence length, which the schema alone cannot know.
  if (modelContext && !fieldProblems.sequenceLength && config.sequenceLength > modelContext.nPositions) {
    addProblem(
      'sequenceLength',
      `Sequence length ${config.sequenceLength} exceeds the model's context of ${modelContext.nPositions} tokens (n_positions of ${modelContext.source}); use at most ${modelContext.nPositions}`,
    );
  }

  const valid = otherProblems.length === 0 && Object.keys(fieldProblems).length === 0 && pending.length === 0;
  return { config: valid ? config : null, fieldProblems, otherProblems, pending };
}
