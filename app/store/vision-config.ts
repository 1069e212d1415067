/**
 * The vision run form: network, image dataset, optimizer with its hyperparameters, and run settings.
 * Like the language-model form (config.ts), numeric fields are kept as typed text and
 * `deriveVisionRunForm` recomputes the VisionRunConfig and its problems from that text.
 */
import { create } from 'zustand';
import { DEFAULT_ADAMW, DEFAULT_SGD, DEFAULT_VISION_CONFIG, DEFAULT_VISION_OPTIMIZERS, EMBEDDED_VISION_DATASET_ID, validateRunConfig } from '../run/config';
import type { Codebook, DatasetSource, FirstOrderConfig, ShampooConfig, VisionArchitecture, VisionOptimizerConfig, VisionRunConfig } from '../run/types';
import { FASHION_MNIST_CLASSES } from '../data/images';
import { visionNetSpec, type VisionInputShape, type VisionNetSpec } from '../model/vision';
import { parseNumber, problemField, type DerivedRunForm } from './config';
import type { FileCheck } from './file-checks';
import { checkImageFiles, type ImageUploadSummary } from './image-checks';

/** Hyperparameters of each first-order optimizer, also used as the base of Shampoo. */
export const FIRST_ORDER_FIELDS = {
  sgd: ['learningRate', 'momentum', 'weightDecay'],
  adamw: ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay'],
} as const;
/** Hyperparameters of both Shampoo variants. `shampooEpsilon` is the config's `optimizer.epsilon`. */
export const SHAMPOO_FIELDS = ['factorPeriod', 'rootPeriod', 'factorDecay', 'shampooEpsilon', 'maxOrder'] as const;
/** Run-level numeric fields of VisionRunConfig. */
export const VISION_RUN_FIELDS = ['batchSize', 'steps', 'seed', 'evalEvery', 'evalExamples'] as const;

export type FirstOrderField = (typeof FIRST_ORDER_FIELDS)[keyof typeof FIRST_ORDER_FIELDS][number];
export type ShampooField = (typeof SHAMPOO_FIELDS)[number];
export type VisionRunField = (typeof VISION_RUN_FIELDS)[number];
export type VisionField = FirstOrderField | ShampooField | VisionRunField;

export type VisionOptimizerName = VisionOptimizerConfig['name'];
export type FirstOrderName = FirstOrderConfig['name'];
export type QuantizedPart = NonNullable<ShampooConfig['quantize']>;

/** Input shape of the embedded Fashion-MNIST images: 28×28 grayscale. */
export const EMBEDDED_IMAGE_INPUT: VisionInputShape = { height: 28, width: 28, channels: 1 };

export interface VisionFormState {
  architecture: VisionArchitecture;
  optimizerName: VisionOptimizerName;
  /** Base optimizer of Shampoo; unused by SGD and AdamW runs. */
  baseName: FirstOrderName;
  /** Text of each numeric field as typed. */
  drafts: Record<VisionField, string>;
  /** 4-bit Shampoo only. */
  codebook: Codebook;
  rectify: boolean;
  quantize: QuantizedPart;
  datasetChoice: 'embedded' | 'upload';
  /** Picked image dataset files: one .zip, one or two .csv, or two or four IDX files. */
  imageFiles: File[];
  /** Parse result of `imageFiles`; null when none are picked. */
  imageCheck: FileCheck<ImageUploadSummary> | null;
}

function isShampoo(name: VisionOptimizerName): name is ShampooConfig['name'] {
  return name === 'shampoo32' || name === 'shampoo4';
}

/** Drafts of every first-order field: those of `config`, and the defaults for the fields it lacks. */
function firstOrderDrafts(config: FirstOrderConfig): Record<FirstOrderField, string> {
  const sgd = config.name === 'sgd' ? config : DEFAULT_SGD;
  const adamw = config.name === 'adamw' ? config : DEFAULT_ADAMW;
  return {
    learningRate: String(config.learningRate),
    weightDecay: String(config.weightDecay),
    momentum: String(sgd.momentum),
    beta1: String(adamw.beta1),
    beta2: String(adamw.beta2),
    epsilon: String(adamw.epsilon),
  };
}

function shampooDrafts(config: ShampooConfig): Record<ShampooField, string> {
  return {
    factorPeriod: String(config.factorPeriod),
    rootPeriod: String(config.rootPeriod),
    factorDecay: String(config.factorDecay),
    shampooEpsilon: String(config.epsilon),
    maxOrder: String(config.maxOrder),
  };
}

/** Drafts of the optimizer fields of `config`, so switching optimizer loads its defaults. */
function optimizerDrafts(config: VisionOptimizerConfig): Partial<Record<VisionField, string>> {
  if ('base' in config) return { ...firstOrderDrafts(config.base), ...shampooDrafts(config) };
  return firstOrderDrafts(config);
}

function initialState(): VisionFormState {
  const config = DEFAULT_VISION_CONFIG;
  const optimizer = config.optimizer;
  const shampoo = ('base' in optimizer ? optimizer : DEFAULT_VISION_OPTIMIZERS.shampoo4) as ShampooConfig;
  const drafts = {
    ...firstOrderDrafts('base' in optimizer ? optimizer.base : optimizer),
    ...shampooDrafts(shampoo),
    batchSize: String(config.batchSize),
    steps: String(config.steps),
    seed: String(config.seed),
    evalEvery: String(config.evalEvery),
    evalExamples: String(config.evalExamples),
  };
  return {
    architecture: config.model.architecture,
    optimizerName: optimizer.name,
    baseName: shampoo.base.name,
    drafts,
    codebook: shampoo.codebook ?? 'linear-2',
    rectify: shampoo.rectify ?? true,
    quantize: shampoo.quantize ?? 'eigenvectors',
    datasetChoice: 'embedded',
    imageFiles: [],
    imageCheck: null,
  };
}

export const useVisionConfigStore = create<VisionFormState>()(() => initialState());

/** Restores the defaults; for tests. */
export function resetVisionForm(): void {
  useVisionConfigStore.setState(initialState());
}

export function setVisionDraft(field: VisionField, text: string): void {
  useVisionConfigStore.setState((state) => ({ drafts: { ...state.drafts, [field]: text } }));
}

export function setArchitecture(architecture: VisionArchitecture): void {
  useVisionConfigStore.setState({ architecture });
}

/** Switches optimizer and loads its defaults (for Shampoo: its base, periods and 4-bit settings). */
export function setVisionOptimizer(name: VisionOptimizerName): void {
  const defaults = DEFAULT_VISION_OPTIMIZERS[name];
  useVisionConfigStore.setState((state) => ({
    optimizerName: name,
    drafts: { ...state.drafts, ...optimizerDrafts(defaults) },
    ...('base' in defaults
      ? {
          baseName: defaults.base.name,
          codebook: defaults.codebook ?? state.codebook,
          rectify: defaults.rectify ?? state.rectify,
          quantize: defaults.quantize ?? state.quantize,
        }
      : {}),
  }));
}

/**
 * Loads `config` into the form: network, optimizer with its hyperparameters and 4-bit settings, run
 * settings and the dataset choice. Picked files stay as they are.
 */
export function loadVisionForm(config: VisionRunConfig): void {
  const optimizer = config.optimizer;
  useVisionConfigStore.setState((state) => ({
    architecture: config.model.architecture,
    optimizerName: optimizer.name,
    drafts: {
      ...state.drafts,
      ...optimizerDrafts(optimizer),
      batchSize: String(config.batchSize),
      steps: String(config.steps),
      seed: String(config.seed),
      evalEvery: String(config.evalEvery),
      evalExamples: String(config.evalExamples),
    },
    ...('base' in optimizer ? { baseName: optimizer.base.name } : {}),
    ...(optimizer.name === 'shampoo4'
      ? { codebook: optimizer.codebook ?? 'linear-2', rectify: optimizer.rectify ?? true, quantize: optimizer.quantize ?? 'eigenvectors' }
      : {}),
    datasetChoice: config.dataset.kind,
  }));
}

/** Switches Shampoo's base optimizer and loads that optimizer's defaults. */
export function setShampooBase(name: FirstOrderName): void {
  const defaults = name === 'sgd' ? DEFAULT_SGD : DEFAULT_ADAMW;
  useVisionConfigStore.setState((state) => ({ baseName: name, drafts: { ...state.drafts, ...firstOrderDrafts(defaults) } }));
}

export function setCodebook(codebook: Codebook): void {
  useVisionConfigStore.setState({ codebook });
}

export function setRectify(rectify: boolean): void {
  useVisionConfigStore.setState({ rectify });
}

export function setQuantizedPart(quantize: QuantizedPart): void {
  useVisionConfigStore.setState({ quantize });
}

export function setVisionDatasetChoice(choice: VisionFormState['datasetChoice']): void {
  useVisionConfigStore.setState({ datasetChoice: choice });
}

/** Stores the picked image files and parses them, so a malformed dataset is reported before Run. */
export function setImageFiles(files: readonly File[]): void {
  const picked = [...files];
  useVisionConfigStore.setState({ imageFiles: picked, imageCheck: picked.length ? { status: 'reading' } : null });
  if (picked.length === 0) return;
  void checkImageFiles(picked).then((check) => {
    // Files picked while these were read replace them, so this result is dropped.
    if (useVisionConfigStore.getState().imageFiles === picked) useVisionConfigStore.setState({ imageCheck: check });
  });
}

/** Path of a field in VisionRunConfig, as validateRunConfig names it in messages. */
export function visionFieldPath(field: VisionField, optimizerName: VisionOptimizerName): string {
  if ((VISION_RUN_FIELDS as readonly string[]).includes(field)) return field;
  if (field === 'shampooEpsilon') return 'optimizer.epsilon';
  if ((SHAMPOO_FIELDS as readonly string[]).includes(field)) return `optimizer.${field}`;
  return isShampoo(optimizerName) ? `optimizer.base.${field}` : `optimizer.${field}`;
}

/** Numeric fields that the chosen optimizer uses, in form order. */
export function activeVisionFields(form: Pick<VisionFormState, 'optimizerName' | 'baseName'>): VisionField[] {
  const shampoo = isShampoo(form.optimizerName);
  const firstOrder = shampoo ? form.baseName : (form.optimizerName as FirstOrderName);
  return [...FIRST_ORDER_FIELDS[firstOrder], ...(shampoo ? SHAMPOO_FIELDS : []), ...VISION_RUN_FIELDS];
}

/** The network for the chosen dataset's image shape, or why it cannot be built yet. */
export type VisionModelSpec =
  | { status: 'valid'; spec: VisionNetSpec }
  | { status: 'invalid'; message: string }
  | { status: 'unknown'; reason: string };

/** Builds the network description for the chosen architecture and dataset. */
export function visionModelSpec(form: Pick<VisionFormState, 'architecture' | 'datasetChoice' | 'imageCheck'>): VisionModelSpec {
  let input = EMBEDDED_IMAGE_INPUT;
  let classCount = FASHION_MNIST_CLASSES.length;
  if (form.datasetChoice === 'upload') {
    if (form.imageCheck?.status !== 'valid') return { status: 'unknown', reason: 'The layers appear once the picked dataset has been read.' };
    const { shape } = form.imageCheck.value;
    input = { height: shape.height, width: shape.width, channels: shape.channels };
    classCount = form.imageCheck.value.classCount;
  }
  try {
    return { status: 'valid', spec: visionNetSpec(form.architecture, input, classCount) };
  } catch (error) {
    return { status: 'invalid', message: error instanceof Error ? error.message : String(error) };
  }
}

/** Maximum length of a dataset name in the config schema. */
const MAX_DATASET_NAME = 500;

/** Names the picked files in the config, such as "train-images.gz, train-labels.gz". */
function uploadName(files: readonly File[]): string {
  const joined = files.map((file) => file.name).join(', ');
  if (joined.length <= MAX_DATASET_NAME) return joined;
  const suffix = ` … (${files.length} files)`;
  return joined.slice(0, MAX_DATASET_NAME - suffix.length) + suffix;
}

function firstOrderConfig(name: FirstOrderName, values: Record<VisionField, number>): FirstOrderConfig {
  if (name === 'sgd') return { name, learningRate: values.learningRate, momentum: values.momentum, weightDecay: values.weightDecay };
  return { name, learningRate: values.learningRate, beta1: values.beta1, beta2: values.beta2, epsilon: values.epsilon, weightDecay: values.weightDecay };
}

function optimizerConfig(form: VisionFormState, values: Record<VisionField, number>): VisionOptimizerConfig {
  if (!isShampoo(form.optimizerName)) return firstOrderConfig(form.optimizerName, values);
  const shampoo: ShampooConfig = {
    name: form.optimizerName,
    base: firstOrderConfig(form.baseName, values),
    factorPeriod: values.factorPeriod,
    rootPeriod: values.rootPeriod,
    factorDecay: values.factorDecay,
    epsilon: values.shampooEpsilon,
    maxOrder: values.maxOrder,
  };
  if (form.optimizerName === 'shampoo4') return { ...shampoo, bits: 4, codebook: form.codebook, rectify: form.rectify, quantize: form.quantize };
  return shampoo;
}

/** Builds the VisionRunConfig from the form and collects every problem with it. */
export function deriveVisionRunForm(form: VisionFormState): DerivedRunForm {
  const fieldProblems: Record<string, string[]> = {};
  const addProblem = (path: string, message: string) => {
    (fieldProblems[path] ??= []).push(message);
  };

  // 1. Parse the numeric fields of the chosen optimizer and the run.
  const fields = activeVisionFields(form);
  const values = {} as Record<VisionField, number>;
  const unparsed = new Set<string>();
  for (const field of fields) {
    const path = visionFieldPath(field, form.optimizerName);
    const value = parseNumber(form.drafts[field]);
    if (value === null) {
      unparsed.add(path);
      addProblem(path, `${path} must be a number (got "${form.drafts[field]}")`);
    }
    values[field] = value ?? 0;
  }

  // 2. The dataset source, which needs picked files that parsed when uploaded.
  const pending: string[] = [];
  let dataset: DatasetSource = { kind: 'embedded', id: EMBEDDED_VISION_DATASET_ID };
  if (form.datasetChoice === 'upload') {
    const files = form.imageFiles;
    if (files.length === 0) addProblem('dataset', 'dataset: pick a .zip, one or two .csv files, or IDX images and labels files');
    else if (form.imageCheck?.status === 'reading') pending.push(`Reading ${files.map((file) => file.name).join(', ')}…`);
    else if (form.imageCheck?.status === 'invalid') addProblem('dataset', form.imageCheck.message);
    dataset = { kind: 'upload', name: uploadName(files), size: files.reduce((sum, file) => sum + file.size, 0) };
  }

  const config: VisionRunConfig = {
    task: 'vision',
    model: { kind: 'builtin', architecture: form.architecture },
    dataset,
    optimizer: optimizerConfig(form, values),
    batchSize: values.batchSize,
    steps: values.steps,
    seed: values.seed,
    evalEvery: values.evalEvery,
    evalExamples: values.evalExamples,
  };

  // 3. Schema validation. A field that did not parse keeps only its parse message.
  const paths = [...fields.map((field) => visionFieldPath(field, form.optimizerName)), 'model', 'dataset'].sort((a, b) => b.length - a.length);
  const otherProblems: string[] = [];
  for (const message of validateRunConfig(config)) {
    const path = problemField(message, paths);
    if (path === null) otherProblems.push(message);
    else if (!unparsed.has(path)) addProblem(path, message);
  }

  // 4. The network must fit the dataset's images (the CNN needs at least 4×4).
  const model = visionModelSpec(form);
  if (model.status === 'invalid') addProblem('model', model.message);

  const valid = otherProblems.length === 0 && Object.keys(fieldProblems).length === 0 && pending.length === 0;
  return { config: valid ? config : null, fieldProblems, otherProblems, pending };
}
