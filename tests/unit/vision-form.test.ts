import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ADAMW, DEFAULT_SGD, DEFAULT_VISION_CONFIG, DEFAULT_VISION_OPTIMIZERS } from '../../app/run/config';
import type { ShampooConfig, VisionRunConfig } from '../../app/run/types';
import { checkImageBytes } from '../../app/store/image-checks';
import {
  deriveVisionRunForm,
  resetVisionForm,
  setArchitecture,
  setCodebook,
  setQuantizedPart,
  setRectify,
  setShampooBase,
  setVisionDatasetChoice,
  setVisionDraft,
  setVisionOptimizer,
  useVisionConfigStore,
  visionFieldPath,
  visionModelSpec,
  type VisionFormState,
} from '../../app/store/vision-config';
import { idxImages, idxLabels, rampPixels } from '../fixtures/images/build';

function derive() {
  return deriveVisionRunForm(useVisionConfigStore.getState());
}

function derivedConfig(): VisionRunConfig {
  const { config, fieldProblems, otherProblems, pending } = derive();
  expect({ fieldProblems, otherProblems, pending }).toEqual({ fieldProblems: {}, otherProblems: [], pending: [] });
  return config as VisionRunConfig;
}

/** Returns a stand-in for a picked File; deriving the form reads only its name and size. */
function fakeFile(name: string, size: number): File {
  return { name, size } as File;
}

afterEach(() => resetVisionForm());

describe('vision form defaults', () => {
  it('derives DEFAULT_VISION_CONFIG', () => {
    expect(derivedConfig()).toEqual(DEFAULT_VISION_CONFIG);
  });

  it.each(['sgd', 'adamw', 'shampoo32', 'shampoo4'] as const)('loads the %s defaults', (name) => {
    setVisionOptimizer(name);
    expect(derivedConfig().optimizer).toEqual(DEFAULT_VISION_OPTIMIZERS[name]);
  });

  it('loads AdamW defaults as Shampoo base', () => {
    setVisionOptimizer('shampoo32');
    setShampooBase('adamw');
    expect((derivedConfig().optimizer as ShampooConfig).base).toEqual(DEFAULT_ADAMW);
    setShampooBase('sgd');
    expect((derivedConfig().optimizer as ShampooConfig).base).toEqual(DEFAULT_SGD);
  });

  it('keeps 4-bit options out of shampoo32', () => {
    setVisionOptimizer('shampoo32');
    const optimizer = derivedConfig().optimizer;
    expect(optimizer).not.toHaveProperty('bits');
    expect(optimizer).not.toHaveProperty('codebook');
  });

  it('carries the 4-bit options', () => {
    setVisionOptimizer('shampoo4');
    setCodebook('dynamic-tree');
    setRectify(false);
    setQuantizedPart('factor');
    expect(derivedConfig().optimizer).toMatchObject({ name: 'shampoo4', bits: 4, codebook: 'dynamic-tree', rectify: false, quantize: 'factor' });
  });

  it('reads the typed e2e settings', () => {
    setVisionOptimizer('shampoo4');
    for (const [field, text] of [
      ['batchSize', '16'],
      ['steps', '6'],
      ['factorPeriod', '2'],
      ['rootPeriod', '4'],
      ['maxOrder', '64'],
      ['evalEvery', '3'],
      ['evalExamples', '64'],
      ['shampooEpsilon', '3e-4'],
    ] as const) {
      setVisionDraft(field, text);
    }
    const config = derivedConfig();
    expect(config).toMatchObject({ batchSize: 16, steps: 6, evalEvery: 3, evalExamples: 64 });
    expect(config.optimizer).toMatchObject({ factorPeriod: 2, rootPeriod: 4, maxOrder: 64, epsilon: 3e-4 });
  });
});

describe('vision form problems', () => {
  it('maps field paths by optimizer', () => {
    expect(visionFieldPath('learningRate', 'sgd')).toBe('optimizer.learningRate');
    expect(visionFieldPath('learningRate', 'shampoo4')).toBe('optimizer.base.learningRate');
    expect(visionFieldPath('epsilon', 'shampoo32')).toBe('optimizer.base.epsilon');
    expect(visionFieldPath('shampooEpsilon', 'shampoo32')).toBe('optimizer.epsilon');
    expect(visionFieldPath('maxOrder', 'shampoo4')).toBe('optimizer.maxOrder');
    expect(visionFieldPath('evalExamples', 'sgd')).toBe('evalExamples');
  });

  it('puts schema messages under their field', () => {
    setVisionOptimizer('shampoo4');
    setVisionDraft('learningRate', '-1');
    setVisionDraft('maxOrder', '1');
    setVisionDraft('factorDecay', '1');
    setVisionDraft('batchSize', '2.5');
    const { config, fieldProblems, otherProblems } = derive();
    expect(config).toBeNull();
    expect(otherProblems).toEqual([]);
    expect(fieldProblems['optimizer.base.learningRate']).toEqual(['optimizer.base.learningRate must be > 0 (got -1)']);
    expect(fieldProblems['optimizer.maxOrder']).toEqual(['optimizer.maxOrder must be >= 2 (got 1)']);
    expect(fieldProblems['optimizer.factorDecay']).toEqual(['optimizer.factorDecay must be < 1 (got 1)']);
    expect(fieldProblems.batchSize).toEqual(['batchSize must be integer (got 2.5)']);
  });

  it('separates Adam and ridge epsilon', () => {
    setVisionOptimizer('shampoo32');
    setShampooBase('adamw');
    setVisionDraft('epsilon', '0');
    setVisionDraft('shampooEpsilon', 'abc');
    const { fieldProblems } = derive();
    expect(fieldProblems['optimizer.base.epsilon']).toEqual(['optimizer.base.epsilon must be > 0 (got 0)']);
    expect(fieldProblems['optimizer.epsilon']).toEqual(['optimizer.epsilon must be a number (got "abc")']);
  });

  it('checks only the chosen optimizer', () => {
    setVisionOptimizer('sgd');
    setVisionDraft('beta1', 'abc');
    setVisionDraft('factorPeriod', '');
    expect(derive().config).not.toBeNull();
    setVisionDraft('momentum', '1');
    expect(derive().fieldProblems['optimizer.momentum']).toEqual(['optimizer.momentum must be < 1 (got 1)']);
  });

  it('asks for files when uploading', () => {
    setVisionDatasetChoice('upload');
    const { config, fieldProblems } = derive();
    expect(config).toBeNull();
    expect(fieldProblems.dataset).toEqual(['dataset: pick a .zip, one or two .csv files, or IDX images and labels files']);
  });

  it('waits for the file check', () => {
    const form: VisionFormState = {
      ...useVisionConfigStore.getState(),
      datasetChoice: 'upload',
      imageFiles: [fakeFile('train.csv', 100)],
      imageCheck: { status: 'reading' },
    };
    const derived = deriveVisionRunForm(form);
    expect(derived.config).toBeNull();
    expect(derived.pending).toEqual(['Reading train.csv…']);
  });

  it('names the upload in the config', () => {
    const form: VisionFormState = {
      ...useVisionConfigStore.getState(),
      datasetChoice: 'upload',
      imageFiles: [fakeFile('images.gz', 300), fakeFile('labels.gz', 20)],
      imageCheck: { status: 'valid', value: { format: 'idx', shape: { width: 8, height: 8, channels: 1 }, classCount: 3, missingFromHeldOut: [], trainCount: 9, evalCount: 3 } },
    };
    const derived = deriveVisionRunForm(form);
    expect(derived.config?.dataset).toEqual({ kind: 'upload', name: 'images.gz, labels.gz', size: 320 });
  });

  it('shows a parse error under the dataset', () => {
    const form: VisionFormState = {
      ...useVisionConfigStore.getState(),
      datasetChoice: 'upload',
      imageFiles: [fakeFile('images', 100), fakeFile('labels', 10)],
      imageCheck: { status: 'invalid', message: 'images and labels: 3 images but 2 labels' },
    };
    expect(deriveVisionRunForm(form).fieldProblems.dataset).toEqual(['images and labels: 3 images but 2 labels']);
  });

  it('rejects a CNN on tiny images', () => {
    const form: VisionFormState = {
      ...useVisionConfigStore.getState(),
      architecture: 'cnn',
      datasetChoice: 'upload',
      imageFiles: [fakeFile('tiny.csv', 10)],
      imageCheck: { status: 'valid', value: { format: 'csv', shape: { width: 2, height: 2, channels: 1 }, classCount: 2, missingFromHeldOut: [], trainCount: 9, evalCount: 2 } },
    };
    const derived = deriveVisionRunForm(form);
    expect(derived.config).toBeNull();
    expect(derived.fieldProblems.model?.[0]).toContain('the cnn needs images of at least 4×4');
    expect(deriveVisionRunForm({ ...form, architecture: 'mlp' }).config).not.toBeNull();
  });
});

describe('vision model spec', () => {
  it('builds the CNN for Fashion-MNIST', () => {
    const model = visionModelSpec(useVisionConfigStore.getState());
    expect(model.status).toBe('valid');
    if (model.status !== 'valid') return;
    // conv1 16·1·9 + 16, conv2 16·16·9 + 16, fc 10·(16·7·7) + 10.
    expect(model.spec.parameterCount).toBe(160 + 2320 + 7850);
    expect(model.spec.layers.map((layer) => layer.kind)).toEqual(['conv', 'relu', 'max-pool', 'conv', 'relu', 'max-pool', 'flatten', 'linear']);
  });

  it('builds the MLP for Fashion-MNIST', () => {
    setArchitecture('mlp');
    const model = visionModelSpec(useVisionConfigStore.getState());
    expect(model.status).toBe('valid');
    if (model.status !== 'valid') return;
    expect(model.spec.parameterCount).toBe(784 * 128 + 128 + 128 * 10 + 10);
  });

  it('waits for an upload', () => {
    setVisionDatasetChoice('upload');
    expect(visionModelSpec(useVisionConfigStore.getState()).status).toBe('unknown');
  });
});

describe('image file check', () => {
  it('summarizes a valid IDX pair', () => {
    const labels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0];
    const check = checkImageBytes([
      { name: 'train-images-idx3-ubyte', bytes: idxImages(10, 5, 6, rampPixels(10, 5, 6)) },
      { name: 'train-labels-idx1-ubyte', bytes: idxLabels(10, labels) },
    ]);
    expect(check).toEqual({ status: 'valid', value: { format: 'idx', shape: { width: 6, height: 5, channels: 1 }, classCount: 3, missingFromHeldOut: [], trainCount: 7, evalCount: 3 } });
  });

  it('lists classes missing from a test file', () => {
    const check = checkImageBytes([
      { name: 'train-images-idx3-ubyte', bytes: idxImages(6, 4, 4, rampPixels(6, 4, 4)) },
      { name: 'train-labels-idx1-ubyte', bytes: idxLabels(6, [0, 1, 2, 0, 1, 2]) },
      { name: 't10k-images-idx3-ubyte', bytes: idxImages(2, 4, 4, rampPixels(2, 4, 4)) },
      { name: 't10k-labels-idx1-ubyte', bytes: idxLabels(2, [0, 1]) },
    ]);
    expect(check.status).toBe('valid');
    if (check.status !== 'valid') return;
    expect(check.value.missingFromHeldOut).toEqual([2]);
    expect(check.value.evalCount).toBe(2);
  });

  it('names both files on a count mismatch', () => {
    const check = checkImageBytes([
      { name: 'bad-images-idx3-ubyte', bytes: idxImages(3, 4, 4, rampPixels(3, 4, 4)) },
      { name: 'bad-labels-idx1-ubyte', bytes: idxLabels(2, [0, 1]) },
    ]);
    expect(check.status).toBe('invalid');
    if (check.status !== 'invalid') return;
    expect(check.message).toContain('bad-images-idx3-ubyte and bad-labels-idx1-ubyte: 3 images but 2 labels');
  });

  it('names an unknown file', () => {
    const check = checkImageBytes([{ name: 'notes.txt', bytes: new TextEncoder().encode('hello world, not an image') }]);
    expect(check.status).toBe('invalid');
    if (check.status !== 'invalid') return;
    expect(check.message).toContain('notes.txt: the file is not a zip, a CSV or an IDX');
  });
});
