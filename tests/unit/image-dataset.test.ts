import { describe, expect, it } from 'vitest';
import {
  channelStatistics,
  labelHistogram,
  normalizeImages,
  normalizeSplit,
  splitAndNormalize,
  splitImageSet,
  type RawImageSet,
} from '../../app/data/images/image-dataset';

/** `perClass[k]` images of class k, 1×1 grayscale, pixel value = image index. */
function tinySet(perClass: number[]): RawImageSet {
  const labels: number[] = [];
  perClass.forEach((count, label) => labels.push(...new Array(count).fill(label)));
  return {
    name: 'tiny',
    width: 1,
    height: 1,
    channels: 1,
    classes: perClass.map((_, k) => `c${k}`),
    count: labels.length,
    pixels: Uint8Array.from(labels.map((_, i) => i)),
    labels: Uint32Array.from(labels),
  };
}

describe('image split', () => {
  it('holds out a share of every class', () => {
    const { train, eval: held } = splitImageSet(tinySet([10, 20, 30]), 0.1, 7);
    expect(labelHistogram(held)).toEqual([1, 2, 3]);
    expect(labelHistogram(train)).toEqual([9, 18, 27]);
    expect(train.count + held.count).toBe(60);
  });

  it('keeps pixels with their labels and the original order', () => {
    const { train, eval: held } = splitImageSet(tinySet([10, 20, 30]), 0.25, 3);
    for (const part of [train, held]) {
      for (let i = 0; i < part.count; i++) {
        const source = part.pixels[i];
        const expectedLabel = [10, 30, 60].findIndex((end) => source < end);
        expect(part.labels[i]).toBe(expectedLabel);
        if (i > 0) expect(part.pixels[i]).toBeGreaterThan(part.pixels[i - 1]);
      }
    }
    const all = [...train.pixels, ...held.pixels].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('is deterministic for a seed', () => {
    const first = splitImageSet(tinySet([15, 15]), 0.2, 42);
    const again = splitImageSet(tinySet([15, 15]), 0.2, 42);
    const other = splitImageSet(tinySet([15, 15]), 0.2, 43);
    expect(Array.from(again.eval.pixels)).toEqual(Array.from(first.eval.pixels));
    expect(Array.from(other.eval.pixels)).not.toEqual(Array.from(first.eval.pixels));
  });

  it('holds out at least one image of a small class', () => {
    const { train, eval: held } = splitImageSet(tinySet([2, 1, 3]), 0.1, 1);
    expect(labelHistogram(held)).toEqual([1, 0, 1]);
    expect(labelHistogram(train)).toEqual([1, 1, 2]);
  });

  it('rejects a set too small to split', () => {
    expect(() => splitImageSet(tinySet([1, 1]), 0.5, 1)).toThrow('tiny: too few images to hold out a held-out set');
  });

  it('rejects an invalid fraction', () => {
    expect(() => splitImageSet(tinySet([4, 4]), 1, 1)).toThrow('evalFraction must be between 0 and 1');
  });
});

describe('image normalisation', () => {
  it('computes per-channel mean and deviation', () => {
    const set: RawImageSet = { ...tinySet([2]), channels: 2, count: 1, pixels: Uint8Array.from([0, 51, 255, 51]) };
    const stats = channelStatistics(set);
    expect(stats.mean[0]).toBeCloseTo(0.5, 6);
    expect(stats.mean[1]).toBeCloseTo(0.2, 6);
    expect(stats.std[0]).toBeCloseTo(0.5, 6);
    expect(stats.std[1]).toBe(1); // constant channel
  });

  it('scales and normalises NHWC pixels', () => {
    const set: RawImageSet = { ...tinySet([2]), channels: 2, count: 1, pixels: Uint8Array.from([0, 51, 255, 51]) };
    const dataset = normalizeImages(set, { mean: [0.5, 0.2], std: [0.5, 1] });
    expect(Array.from(dataset.images).map((value) => Math.round(value * 1e6) / 1e6)).toEqual([-1, 0, 1, 0]);
    expect(dataset.mean).toEqual([0.5, 0.2]);
    expect(dataset.std).toEqual([0.5, 1]);
  });

  it('normalises the held-out set with training statistics', () => {
    const train = { ...tinySet([1, 1]), pixels: Uint8Array.from([0, 255]) };
    const held = { ...tinySet([1, 1]), pixels: Uint8Array.from([255, 255]) };
    const split = normalizeSplit(train, held, 'rule');
    expect(split.eval.mean).toEqual(split.train.mean);
    expect(split.eval.images[0]).toBeCloseTo(1, 6);
    expect(split.splitRule).toBe('rule');
  });

  it('rejects sets of different shapes', () => {
    const train = tinySet([1, 1]);
    const held = { ...tinySet([1, 1]), name: 'other', width: 2, pixels: new Uint8Array(4) };
    expect(() => normalizeSplit(train, held, 'rule')).toThrow('other: the images are 2×1 grayscale but tiny has 1×1 grayscale');
  });

  it('describes a seeded split', () => {
    const split = splitAndNormalize(tinySet([10, 10]), 0.1, 5);
    expect(split.splitRule).toBe('10% of each class held out by a seeded shuffle (seed 5): 18 training and 2 held-out images.');
    expect(split.train.images.length).toBe(18);
  });
});
