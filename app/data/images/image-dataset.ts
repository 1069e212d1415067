/**
 * The common image dataset types, per-channel normalisation and the train/eval split.
 * Parsers (idx.ts, image-zip.ts, image-csv.ts) return a RawImageSet of 8-bit pixels. The run code
 * trains on an ImageDataset, whose pixels are floats normalised with the training split's statistics.
 */
import { SeededRng } from '../rng';

/** Image size in pixels and channel count (1 = grayscale, 3 = RGB). */
export interface ImageShape {
  width: number;
  height: number;
  channels: number;
}

/** Labelled 8-bit images as a parser returns them. */
export interface RawImageSet extends ImageShape {
  /** File or dataset name, for messages and the UI. */
  name: string;
  /** Class names; label k means classes[k]. */
  classes: string[];
  count: number;
  /** count·height·width·channels bytes in NHWC order, 0–255. */
  pixels: Uint8Array;
  /** One label per image, each below classes.length. */
  labels: Uint32Array;
}

/** Labelled images ready for training: NHWC floats, normalised per channel. */
export interface ImageDataset extends ImageShape {
  name: string;
  classes: string[];
  count: number;
  /**
   * count·height·width·channels floats in NHWC order: each pixel is scaled to [0, 1] as p / 255,
   * then normalised to (p / 255 − mean[c]) / std[c].
   */
  images: Float32Array;
  labels: Uint32Array;
  /** Per-channel mean of the scaled training pixels. */
  mean: number[];
  /** Per-channel standard deviation of the scaled training pixels (1 where it is 0). */
  std: number[];
}

/** Training and held-out sets that share classes, shape and normalisation. */
export interface ImageSplit {
  train: ImageDataset;
  eval: ImageDataset;
  /** One-sentence description of the held-out selection rule, for logs and the UI. */
  splitRule: string;
}

/** Largest class count accepted from a label column; more suggests that the label is not the first column. */
export const MAX_CLASSES = 1000;

/** Returns the class names "0", "1", … for integer labels without names. */
export function numberedClasses(count: number): string[] {
  return Array.from({ length: count }, (_, index) => String(index));
}

/** Returns the number of images per class. */
export function labelHistogram(set: Pick<RawImageSet, 'classes' | 'labels'>): number[] {
  const counts = new Array<number>(set.classes.length).fill(0);
  for (const label of set.labels) counts[label]++;
  return counts;
}

/** Per-channel mean and standard deviation of pixels scaled to [0, 1]. A zero deviation becomes 1. */
export function channelStatistics(set: RawImageSet): { mean: number[]; std: number[] } {
  const channels = set.channels;
  const sums = new Float64Array(channels);
  const squares = new Float64Array(channels);
  const pixels = set.pixels;
  for (let i = 0; i < pixels.length; i++) {
    const value = pixels[i] / 255;
    const channel = i % channels;
    sums[channel] += value;
    squares[channel] += value * value;
  }

  const perChannel = pixels.length / channels;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    const m = perChannel > 0 ? sums[c] / perChannel : 0;
    const variance = perChannel > 0 ? Math.max(0, squares[c] / perChannel - m * m) : 0;
    const deviation = Math.sqrt(variance);
    mean.push(m);
    std.push(deviation > 0 ? deviation : 1);
  }
  return { mean, std };
}

/** Converts 8-bit images to normalised floats with the given per-channel statistics. */
export function normalizeImages(set: RawImageSet, stats: { mean: number[]; std: number[] }): ImageDataset {
  if (stats.mean.length !== set.channels || stats.std.length !== set.channels) {
    throw new Error(`normalizeImages: ${set.name} has ${set.channels} channel(s) but the statistics have ${stats.mean.length} mean(s) and ${stats.std.length} standard deviation(s).`);
  }
  const channels = set.channels;
  const scale = stats.std.map((deviation) => 1 / (255 * deviation));
  const offset = stats.mean.map((mean, c) => mean / stats.std[c]);
  const images = new Float32Array(set.pixels.length);
  for (let i = 0; i < images.length; i++) {
    const channel = i % channels;
    images[i] = set.pixels[i] * scale[channel] - offset[channel];
  }
  return {
    name: set.name,
    width: set.width,
    height: set.height,
    channels,
    classes: set.classes,
    count: set.count,
    images,
    labels: set.labels,
    mean: [...stats.mean],
    std: [...stats.std],
  };
}

/**
 * Normalises a training and a held-out set with the training set's statistics, so the held-out
 * pixels do not leak into the normalisation. Both must have the same shape and classes.
 */
export function normalizeSplit(train: RawImageSet, held: RawImageSet, splitRule: string): ImageSplit {
  requireSameLayout(train, held);
  const stats = channelStatistics(train);
  return { train: normalizeImages(train, stats), eval: normalizeImages(held, stats), splitRule };
}

function requireSameLayout(train: RawImageSet, held: RawImageSet): void {
  if (train.width !== held.width || train.height !== held.height || train.channels !== held.channels) {
    throw new Error(`${held.name}: the images are ${describeShape(held)} but ${train.name} has ${describeShape(train)}. The training and test images must have the same size.`);
  }
  if (train.classes.length !== held.classes.length || train.classes.some((name, k) => name !== held.classes[k])) {
    throw new Error(`${held.name}: its classes (${held.classes.join(', ')}) differ from those of ${train.name} (${train.classes.join(', ')}).`);
  }
}

/** Describes a shape as "28×28 grayscale" or "32×32 with 3 channels". */
export function describeShape(shape: ImageShape): string {
  const size = `${shape.width}×${shape.height}`;
  if (shape.channels === 1) return `${size} grayscale`;
  if (shape.channels === 3) return `${size} RGB`;
  return `${size} with ${shape.channels} channels`;
}

/** Returns the images at `indices`, in that order. */
export function selectImages(set: RawImageSet, indices: readonly number[], name = set.name): RawImageSet {
  const imageBytes = set.width * set.height * set.channels;
  const pixels = new Uint8Array(indices.length * imageBytes);
  const labels = new Uint32Array(indices.length);
  indices.forEach((source, target) => {
    pixels.set(set.pixels.subarray(source * imageBytes, (source + 1) * imageBytes), target * imageBytes);
    labels[target] = set.labels[source];
  });
  // Fields are listed so that per-image extras of a subtype (such as CSV line numbers) are not copied out of order.
  return { name, width: set.width, height: set.height, channels: set.channels, classes: set.classes, count: indices.length, pixels, labels };
}

/**
 * Splits images into training and held-out sets, stratified by class and deterministic for a seed.
 * Each class with n ≥ 2 images holds out round(n · evalFraction) of them, at least 1 and at most
 * n − 1, picked by a seeded shuffle. A class with one image stays in training. Both sets keep the
 * original image order. Throws when no image could be held out.
 */
export function splitImageSet(set: RawImageSet, evalFraction: number, seed: number): { train: RawImageSet; eval: RawImageSet } {
  if (!(evalFraction > 0 && evalFraction < 1)) {
    throw new Error(`splitImageSet: evalFraction must be between 0 and 1 (exclusive), got ${evalFraction}.`);
  }

  const byClass: number[][] = set.classes.map(() => []);
  set.labels.forEach((label, index) => byClass[label].push(index));

  const rng = new SeededRng(seed);
  const held = new Uint8Array(set.count);
  for (const members of byClass) {
    if (members.length < 2) continue;
    const evalCount = Math.min(members.length - 1, Math.max(1, Math.round(members.length * evalFraction)));
    const order = [...members];
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const index of order.slice(0, evalCount)) held[index] = 1;
  }

  const trainIndices: number[] = [];
  const evalIndices: number[] = [];
  for (let index = 0; index < set.count; index++) (held[index] ? evalIndices : trainIndices).push(index);
  if (evalIndices.length === 0) {
    throw new Error(`${set.name}: too few images to hold out a held-out set (${set.count} image(s), no class with 2 or more). Add images.`);
  }
  return { train: selectImages(set, trainIndices), eval: selectImages(set, evalIndices) };
}

/** Splits a single image set by seed and normalises both parts with the training statistics. */
export function splitAndNormalize(set: RawImageSet, evalFraction: number, seed: number): ImageSplit {
  const { train, eval: held } = splitImageSet(set, evalFraction, seed);
  const percent = Math.round(evalFraction * 1000) / 10;
  return normalizeSplit(train, held, `${percent}% of each class held out by a seeded shuffle (seed ${seed}): ${train.count} training and ${held.count} held-out images.`);
}
