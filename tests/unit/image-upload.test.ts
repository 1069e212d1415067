import { describe, expect, it } from 'vitest';
import { describeImageSplit } from '../../app/data/images/classes';
import { labelHistogram } from '../../app/data/images/image-dataset';
import { describeUpload, loadImageUpload, recognizeImageUpload } from '../../app/data/images/upload';
import { flatGrayPng, gzip, idxImages, idxLabels, rampPixels, zip } from '../fixtures/images/build';
import { formatError } from '../fixtures/images/errors';

const encode = (text: string) => new TextEncoder().encode(text);
const OPTIONS = { evalFraction: 0.25, seed: 9 };

function idxPair(prefix: string, labels: number[]) {
  return [
    { name: `${prefix}-images-idx3-ubyte.gz`, bytes: gzip(idxImages(labels.length, 2, 2, rampPixels(labels.length, 2, 2))) },
    { name: `${prefix}-labels-idx1-ubyte.gz`, bytes: gzip(idxLabels(labels.length, labels)) },
  ];
}

describe('image upload recognition', () => {
  it('recognises IDX files in any order', () => {
    const [images, labels] = idxPair('train', [0, 1, 0, 1]);
    const upload = recognizeImageUpload([labels, images]);
    expect(upload.format).toBe('idx');
    if (upload.format !== 'idx') return;
    expect(upload.images.name).toBe(images.name);
    expect(upload.labels.name).toBe(labels.name);
    expect(upload.testImages).toBeUndefined();
  });

  it('pairs training and test IDX files by name', () => {
    const files = [...idxPair('t10k', [1, 0]), ...idxPair('train', [0, 1, 0, 1])];
    const upload = recognizeImageUpload(files);
    if (upload.format !== 'idx') throw new Error(`expected idx, got ${upload.format}`);
    expect(upload.images.name).toBe('train-images-idx3-ubyte.gz');
    expect(upload.testImages?.name).toBe('t10k-images-idx3-ubyte.gz');
    expect(upload.testLabels?.name).toBe('t10k-labels-idx1-ubyte.gz');
  });

  it('recognises zip and CSV uploads', () => {
    expect(recognizeImageUpload([{ name: 'pets.zip', bytes: zip({ 'a/1.png': flatGrayPng(1, 1, 0) }) }]).format).toBe('zip');
    const csv = recognizeImageUpload([{ name: 'mnist_test.csv', bytes: encode('1,0') }, { name: 'mnist_train.csv', bytes: encode('1,0') }]);
    if (csv.format !== 'csv') throw new Error(`expected csv, got ${csv.format}`);
    expect(csv.file.name).toBe('mnist_train.csv');
    expect(csv.testFile?.name).toBe('mnist_test.csv');
  });

  it('rejects an IDX images file without labels', () => {
    const [images] = idxPair('train', [0, 1]);
    expect(formatError(() => recognizeImageUpload([images])).message).toContain('1 IDX images file(s) and 0 labels file(s) were picked');
  });

  it('rejects a file of unknown kind', () => {
    const error = formatError(() => recognizeImageUpload([{ name: 'photo.bmp', bytes: encode('BM....') }]));
    expect(error.message).toContain('photo.bmp: the file is not a zip, a CSV or an IDX images or labels file');
  });

  it('rejects two files that both look like test files', () => {
    const files = [...idxPair('test-a', [0, 1]), ...idxPair('test-b', [0, 1])];
    expect(formatError(() => recognizeImageUpload(files)).message).toContain('cannot tell the training file from the test file');
  });

  it('describes the picked files', () => {
    const upload = recognizeImageUpload([{ name: 'a.csv', bytes: encode('1,0') }]);
    expect(describeUpload(upload)).toBe('a.csv (3 bytes)');
  });
});

describe('image upload loading', () => {
  it('holds out a seeded share of IDX images', () => {
    const [images, labels] = idxPair('train', [0, 1, 0, 1, 0, 1, 0, 1]);
    const split = loadImageUpload({ format: 'idx', images, labels }, OPTIONS);
    expect(split.train.count).toBe(6);
    expect(split.eval.count).toBe(2);
    expect(labelHistogram(split.eval)).toEqual([1, 1]);
    expect(split.splitRule).toContain('seed 9');
  });

  it('keeps the IDX test files as the held-out set', () => {
    const [images, labels, testImages, testLabels] = [...idxPair('train', [0, 1, 2, 1]), ...idxPair('t10k', [2, 0])];
    const split = loadImageUpload({ format: 'idx', images, labels, testImages, testLabels }, OPTIONS);
    expect(split.train.count).toBe(4);
    expect(split.eval.count).toBe(2);
    expect(split.train.classes).toEqual(['0', '1', '2']);
    expect(split.eval.classes).toEqual(['0', '1', '2']);
    expect(split.splitRule).toContain("the files' own split");
  });

  it('reports an IDX count mismatch in test files', () => {
    const [images, labels] = idxPair('train', [0, 1]);
    const [testImages] = idxPair('t10k', [0, 1, 1]);
    const [, testLabels] = idxPair('t10k', [0, 1]);
    expect(formatError(() => loadImageUpload({ format: 'idx', images, labels, testImages, testLabels }, OPTIONS)).message).toContain(
      '3 images but 2 labels, so the files do not belong together',
    );
  });

  it('rejects half of a test pair', () => {
    const [images, labels] = idxPair('train', [0, 1]);
    const [testImages] = idxPair('t10k', [0, 1]);
    expect(formatError(() => loadImageUpload({ format: 'idx', images, labels, testImages }, OPTIONS)).message).toContain('the test labels file is missing');
  });

  it('splits a zip without its own split', () => {
    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i < 4; i++) {
      entries[`cat/${i}.png`] = flatGrayPng(3, 3, 10);
      entries[`dog/${i}.png`] = flatGrayPng(3, 3, 200);
    }
    const split = loadImageUpload({ format: 'zip', file: { name: 'pets.zip', bytes: zip(entries) } }, OPTIONS);
    expect(split.train.width).toBe(28);
    expect(split.train.channels).toBe(1);
    expect(split.train.count).toBe(6);
    expect(labelHistogram(split.eval)).toEqual([1, 1]);
  });

  it('uses a training and a test CSV', () => {
    const split = loadImageUpload(
      { format: 'csv', file: { name: 'train.csv', bytes: encode('0,1,2,3,4\n1,5,6,7,8\n2,0,0,0,0\n') }, testFile: { name: 'test.csv', bytes: encode('2,0,0,0,0\n') } },
      OPTIONS,
    );
    expect(split.train.classes).toEqual(['0', '1', '2']);
    expect(split.eval.classes).toEqual(['0', '1', '2']);
    expect(split.eval.count).toBe(1);
  });

  it('rejects a test CSV of another shape', () => {
    const upload = { format: 'csv' as const, file: { name: 'train.csv', bytes: encode('0,1,2,3,4\n') }, testFile: { name: 'test.csv', bytes: encode('0,1\n') } };
    expect(formatError(() => loadImageUpload(upload, OPTIONS)).message).toContain('test.csv: line 1 has 1 pixel columns, but the shape 2×2 grayscale needs 4');
  });
});

/** CSV text of 2×2 grayscale images, one row per label, after a header on line 1. */
function csvText(labels: number[]): string {
  return ['label,p1,p2,p3,p4', ...labels.map((label, index) => `${label},${index % 256},0,0,0`)].join('\n') + '\n';
}

/** Labels 0–9 `repeats` times over. */
function digits(repeats: number): number[] {
  return Array.from({ length: 10 * repeats }, (_, index) => index % 10);
}

describe('image upload classes', () => {
  it('loads consecutive CSV labels', () => {
    const split = loadImageUpload({ format: 'csv', file: { name: 'digits.csv', bytes: encode(csvText(digits(3))) } }, OPTIONS);
    expect(split.train.classes.length).toBe(10);
    expect(describeImageSplit(split)).toBe('20 training and 10 held-out images, 10 classes (labels 0–9)');
  });

  it('rejects a stray CSV label by line', () => {
    const labels = digits(3);
    labels[13] = 57;
    const error = formatError(() => loadImageUpload({ format: 'csv', file: { name: 'digits.csv', bytes: encode(csvText(labels)) } }, OPTIONS));
    // Row 13 sits on line 15: the header is line 1 and rows count from 0.
    expect(error.message).toBe(
      'digits.csv: line 15: label 57 implies 58 classes, but labels 10–56 have no images (labels found: 0–9 and 57). ' +
        'Fix the label on line 15, or relabel the 11 classes to consecutive ids 0 to 10.',
    );
    expect(error.file).toBe('digits.csv');
    expect(error.record).toBe('line 15');
  });

  it('rejects a stray label in a test CSV', () => {
    const upload = {
      format: 'csv' as const,
      file: { name: 'train.csv', bytes: encode(csvText(digits(2))) },
      testFile: { name: 'test.csv', bytes: encode(csvText([0, 1, 57])) },
    };
    const error = formatError(() => loadImageUpload(upload, OPTIONS));
    expect(error.message).toContain('test.csv: line 4: label 57 implies 58 classes, but labels 10–57 have no training images (training labels found in train.csv: 0–9)');
    expect(error.record).toBe('line 4');
  });

  it('loads IDX labels missing from the test files', () => {
    const [images, labels, testImages, testLabels] = [...idxPair('train', digits(2)), ...idxPair('t10k', [0, 1, 2, 4, 5, 6, 7, 8, 9])];
    const split = loadImageUpload({ format: 'idx', images, labels, testImages, testLabels }, OPTIONS);
    expect(split.train.classes.length).toBe(10);
    expect(describeImageSplit(split)).toBe('20 training and 9 held-out images, 10 classes (labels 0–9); no held-out images of label 3');
  });

  it('rejects a stray IDX label by index', () => {
    const values = digits(2);
    values[7] = 200;
    const [images, labels] = idxPair('train', values);
    const error = formatError(() => loadImageUpload({ format: 'idx', images, labels }, OPTIONS));
    expect(error.message).toBe(
      'train-labels-idx1-ubyte.gz: label 200 at index 7 implies 201 classes, but labels 10–199 have no images (labels found: 0–9 and 200). ' +
        'Fix the label at index 7, or relabel the 11 classes to consecutive ids 0 to 10.',
    );
    expect(error.file).toBe('train-labels-idx1-ubyte.gz');
    expect(error.record).toBe('label 7');
  });

  it('rejects a stray label in IDX test files', () => {
    const [images, labels, testImages, testLabels] = [...idxPair('train', digits(2)), ...idxPair('t10k', [3, 0, 200])];
    const error = formatError(() => loadImageUpload({ format: 'idx', images, labels, testImages, testLabels }, OPTIONS));
    expect(error.message).toContain('t10k-labels-idx1-ubyte.gz: label 200 at index 2 implies 201 classes, but labels 10–200 have no training images');
    expect(error.record).toBe('label 2');
  });

  it('keeps named classes without training images', () => {
    const [images, labels] = idxPair('train', [0, 2, 0, 2]);
    const split = loadImageUpload({ format: 'idx', images, labels }, { ...OPTIONS, classes: ['a', 'b', 'c'] });
    expect(describeImageSplit(split)).toBe('2 training and 2 held-out images, 3 classes (labels 0–2); no training images of label 1; no held-out images of label 1');
  });

  it('numbers zip classes by sorted folder name', () => {
    const entries: Record<string, Uint8Array> = {};
    for (const folder of ['zebra', 'ant', 'cat']) {
      entries[`${folder}/1.png`] = flatGrayPng(2, 2, 0);
      entries[`${folder}/2.png`] = flatGrayPng(2, 2, 0);
    }
    const split = loadImageUpload({ format: 'zip', file: { name: 'animals.zip', bytes: zip(entries) } }, OPTIONS);
    expect(split.train.classes).toEqual(['ant', 'cat', 'zebra']);
    expect(describeImageSplit(split)).toBe('3 training and 3 held-out images, 3 classes (labels 0–2)');
  });
});
