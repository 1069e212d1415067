import { describe, expect, it } from 'vitest';
import { describeClassCount, describeImageSplit, formatLabelRanges, requireTrainingLabels, summarizeClasses } from '../../app/data/images/classes';
import { normalizeSplit, type RawImageSet } from '../../app/data/images/image-dataset';
import { formatError } from '../fixtures/images/errors';

const idx = (file: string, labels: number[]) => ({ file, labels: Uint32Array.from(labels) });
const csv = (file: string, labels: number[], firstLine = 1) => ({ ...idx(file, labels), lines: Uint32Array.from(labels, (_, index) => firstLine + index) });

/** 1×1 grayscale images with the given labels and classes "0" … String(classCount − 1). */
function set(name: string, labels: number[], classCount: number): RawImageSet {
  return {
    name,
    width: 1,
    height: 1,
    channels: 1,
    classes: Array.from({ length: classCount }, (_, k) => String(k)),
    count: labels.length,
    pixels: new Uint8Array(labels.length),
    labels: Uint32Array.from(labels),
  };
}

describe('label ranges', () => {
  it('joins consecutive labels into ranges', () => {
    expect(formatLabelRanges([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 57])).toBe('0–9 and 57');
    expect(formatLabelRanges([0, 2, 4, 5, 6])).toBe('0, 2 and 4–6');
    expect(formatLabelRanges([0, 1, 3])).toBe('0, 1 and 3');
    expect(formatLabelRanges([3])).toBe('3');
    expect(formatLabelRanges([])).toBe('none');
  });

  it('counts labels past six ranges', () => {
    const even = Array.from({ length: 500 }, (_, i) => 2 * i);
    expect(formatLabelRanges(even)).toBe('0, 2, 4, 6, 8, 10 and 494 more labels');
  });

  it('describes a class count', () => {
    expect(describeClassCount(10)).toBe('10 classes (labels 0–9)');
    expect(describeClassCount(2)).toBe('2 classes (labels 0 and 1)');
  });
});

describe('training label check', () => {
  it('accepts consecutive labels in any order', () => {
    expect(() => requireTrainingLabels(idx('labels', [2, 0, 1, 1]))).not.toThrow();
    expect(() => requireTrainingLabels(csv('digits.csv', [1, 0]))).not.toThrow();
  });

  it('accepts a class missing from the held-out file', () => {
    expect(() => requireTrainingLabels(idx('train', [0, 1, 2, 3]), idx('test', [0, 1, 3]))).not.toThrow();
  });

  it('names the CSV line of a stray label', () => {
    const labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 57, 9, 0];
    const error = formatError(() => requireTrainingLabels(csv('digits.csv', labels, 2)));
    expect(error.message).toBe(
      'digits.csv: line 11: label 57 implies 58 classes, but labels 10–56 have no images (labels found: 0–9 and 57). ' +
        'Fix the label on line 11, or relabel the 11 classes to consecutive ids 0 to 10.',
    );
    expect(error.file).toBe('digits.csv');
    expect(error.record).toBe('line 11');
  });

  it('names the IDX index of a stray label', () => {
    const error = formatError(() => requireTrainingLabels(idx('train-labels', [0, 1, 200, 2, 1])));
    expect(error.message).toBe(
      'train-labels: label 200 at index 2 implies 201 classes, but labels 3–199 have no images (labels found: 0–2 and 200). ' +
        'Fix the label at index 2, or relabel the 4 classes to consecutive ids 0 to 3.',
    );
    expect(error.record).toBe('label 2');
  });

  it('names the first of repeated largest labels', () => {
    expect(formatError(() => requireTrainingLabels(idx('labels', [9, 0, 9, 1]))).record).toBe('label 0');
  });

  it('names a stray label in the held-out file', () => {
    const error = formatError(() => requireTrainingLabels(idx('train-labels', [0, 1, 2, 1]), idx('t10k-labels', [1, 57, 0])));
    expect(error.message).toBe(
      't10k-labels: label 57 at index 1 implies 58 classes, but labels 3–57 have no training images (training labels found in train-labels: 0–2). ' +
        'Fix the label at index 1, or relabel the 3 classes to consecutive ids 0 to 2.',
    );
    expect(error.file).toBe('t10k-labels');
    expect(error.record).toBe('label 1');
  });

  it('names a training label missing from the middle', () => {
    const error = formatError(() => requireTrainingLabels(idx('train', [0, 1, 3]), idx('test', [2, 0])));
    expect(error.message).toContain('train: label 3 at index 2 implies 4 classes, but label 2 has no training images (training labels found in train: 0, 1 and 3)');
  });

  it('rejects labels that count from 1', () => {
    const error = formatError(() => requireTrainingLabels(csv('one-based.csv', [1, 2, 3, 1])));
    expect(error.message).toContain('line 3: label 3 implies 4 classes, but label 0 has no images (labels found: 1–3)');
    expect(error.message).toContain('relabel the 3 classes to consecutive ids 0 to 2');
  });

  it('rejects a single class', () => {
    expect(formatError(() => requireTrainingLabels(idx('labels', [0, 0]))).message).toBe(
      'labels: every image has label 0, so there is only 1 class, but a classifier needs at least 2. Label the images with consecutive ids from 0, one per class.',
    );
  });
});

describe('class summary', () => {
  it('counts labels of both splits', () => {
    const split = normalizeSplit(set('train', [0, 1, 2, 2], 4), set('test', [0, 2, 3], 4), 'rule');
    expect(summarizeClasses(split)).toEqual({ classCount: 4, labels: [0, 1, 2, 3], missingFromTraining: [3], missingFromHeldOut: [1] });
  });

  it('describes a split in one line', () => {
    const complete = normalizeSplit(set('train', [0, 1, 2], 3), set('test', [2, 1, 0], 3), 'rule');
    expect(describeImageSplit(complete)).toBe('3 training and 3 held-out images, 3 classes (labels 0–2)');
    const partial = normalizeSplit(set('train', [0, 1, 2, 2], 4), set('test', [0, 2, 3], 4), 'rule');
    expect(describeImageSplit(partial)).toBe('4 training and 3 held-out images, 4 classes (labels 0–3); no training images of label 3; no held-out images of label 1');
  });
});
