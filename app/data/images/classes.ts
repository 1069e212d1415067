/**
 * Class counts of image datasets. IDX and CSV labels carry no class names, so their class count is
 * the largest label + 1. A label value between 0 and that largest label with no training image then
 * points to a stray label (57 among labels 0–9 would make a 58-class network), and
 * requireTrainingLabels rejects it. A zip names its classes by folder, so it cannot have such gaps.
 */
import { formatCount, ImageDatasetError } from './errors';
import type { ImageSplit } from './image-dataset';

/** Labels of one file, with the positions that messages name them by. */
export interface LabelSource {
  /** File the labels were read from. */
  file: string;
  labels: Uint32Array;
  /** Line number (from 1) of each label in a CSV file. Without it, a label is named by its index in an IDX labels file. */
  lines?: Uint32Array;
}

/** Classes of a loaded dataset, counted as the network uses them. */
export interface ClassSummary {
  /** Number of classes, which is the size of the network's output layer. */
  classCount: number;
  /** Labels with at least one training or held-out image, ascending. */
  labels: number[];
  /** Labels below classCount with no training image, ascending. */
  missingFromTraining: number[];
  /** Labels below classCount with no held-out image, ascending. */
  missingFromHeldOut: number[];
}

/** Label ranges listed in one message. The remaining labels are counted. */
const MAX_LISTED_RANGES = 6;

/**
 * Rejects labels that leave gaps: every label from 0 to the largest label of both files must
 * have a training image. `heldOut` is the upload's own test file, if any. Its labels set the class
 * count too, but it may lack classes. Throws ImageDatasetError naming the file and the record that
 * contains the largest label, the training labels found and how to fix them. Also rejects a single class.
 */
export function requireTrainingLabels(training: LabelSource, heldOut?: LabelSource): void {
  const top = largestOf(findLargestLabel(training), heldOut ? findLargestLabel(heldOut) : null);
  if (!top) return;

  const classCount = top.label + 1;
  if (classCount < 2) {
    throw new ImageDatasetError(
      training.file,
      'every image has label 0, so there is only 1 class, but a classifier needs at least 2. Label the images with consecutive ids from 0, one per class.',
    );
  }
  const present = labelsPresent(training.labels, classCount);
  const missing = complement(present, classCount);
  if (missing.length === 0) return;

  const lines = top.source.lines;
  const subject = lines ? `line ${lines[top.index]}: label ${top.label}` : `label ${top.label} at index ${top.index}`;
  const record = lines ? `line ${lines[top.index]}` : `label ${top.index}`;
  const location = lines ? `on line ${lines[top.index]}` : `at index ${top.index}`;
  const found = heldOut ? `training labels found in ${training.file}` : 'labels found';
  const images = heldOut ? 'training images' : 'images';
  const relabel =
    present.length >= 2
      ? `relabel the ${formatCount(present.length)} classes to consecutive ids 0 to ${present.length - 1}`
      : 'label the images with consecutive ids from 0, one per class';
  throw new ImageDatasetError(
    top.source.file,
    `${subject} implies ${formatCount(classCount)} classes, but ${describeLabels(missing)} ${missing.length === 1 ? 'has' : 'have'} no ${images} ` +
      `(${found}: ${formatLabelRanges(present)}). Fix the label ${location}, or ${relabel}.`,
    record,
  );
}

/** Counts the images per label in both splits of a loaded dataset. */
export function summarizeClasses(split: ImageSplit): ClassSummary {
  const classCount = split.train.classes.length;
  const training = labelsPresent(split.train.labels, classCount);
  const heldOut = labelsPresent(split.eval.labels, classCount);
  const labels = [...new Set([...training, ...heldOut])].sort((a, b) => a - b);
  return { classCount, labels, missingFromTraining: complement(training, classCount), missingFromHeldOut: complement(heldOut, classCount) };
}

/** Describes a class count, such as "10 classes (labels 0–9)". */
export function describeClassCount(classCount: number): string {
  const labels = formatLabelRanges(Array.from({ length: classCount }, (_, label) => label));
  return `${formatCount(classCount)} ${classCount === 1 ? 'class (label' : 'classes (labels'} ${labels})`;
}

/**
 * Describes a loaded dataset in one line, such as "10,000 training and 2,000 held-out images,
 * 10 classes (labels 0–9)", followed by the labels without training or held-out images, if any.
 */
export function describeImageSplit(split: ImageSplit): string {
  const summary = summarizeClasses(split);
  const parts = [`${formatCount(split.train.count)} training and ${formatCount(split.eval.count)} held-out images, ${describeClassCount(summary.classCount)}`];
  if (summary.missingFromTraining.length > 0) parts.push(`no training images of ${describeLabels(summary.missingFromTraining)}`);
  if (summary.missingFromHeldOut.length > 0) parts.push(`no held-out images of ${describeLabels(summary.missingFromHeldOut)}`);
  return parts.join('; ');
}

/**
 * Formats ascending labels as ranges of 3 or more, such as "0–9 and 57" or "0, 1 and 4–6". Past
 * MAX_LISTED_RANGES ranges the rest are counted: "0, 2, 4, 6, 8, 10 and 490 more labels".
 */
export function formatLabelRanges(labels: readonly number[]): string {
  if (labels.length === 0) return 'none';
  const ranges: Array<{ first: number; last: number }> = [];
  for (const label of labels) {
    const previous = ranges[ranges.length - 1];
    if (previous && label === previous.last + 1) previous.last = label;
    else ranges.push({ first: label, last: label });
  }

  // Two adjacent labels read better as "0 and 1" than as the range "0–1".
  const items = ranges.flatMap(({ first, last }) => {
    if (first === last) return [{ text: String(first), size: 1 }];
    if (last === first + 1) return [{ text: String(first), size: 1 }, { text: String(last), size: 1 }];
    return [{ text: `${first}–${last}`, size: last - first + 1 }];
  });
  const listed = items.slice(0, MAX_LISTED_RANGES).map((item) => item.text);
  const hidden = items.slice(MAX_LISTED_RANGES).reduce((sum, item) => sum + item.size, 0);
  if (hidden > 0) return `${listed.join(', ')} and ${formatCount(hidden)} more label${hidden === 1 ? '' : 's'}`;
  if (listed.length === 1) return listed[0];
  return `${listed.slice(0, -1).join(', ')} and ${listed[listed.length - 1]}`;
}

/** Describes labels as "label 7" for one label, or "labels 10–56" or "labels 0–2 and 7" for more. */
export function describeLabels(labels: readonly number[]): string {
  return `${labels.length === 1 ? 'label' : 'labels'} ${formatLabelRanges(labels)}`;
}

interface LargestLabel {
  source: LabelSource;
  label: number;
  index: number;
}

/** Returns the larger of two labels, or the first on a tie, so that a training record is named before a held-out one. */
function largestOf(first: LargestLabel | null, second: LargestLabel | null): LargestLabel | null {
  if (!first || !second) return first ?? second;
  return second.label > first.label ? second : first;
}

/** Finds the first image with the largest label of a file. Returns null for a file without labels. */
function findLargestLabel(source: LabelSource): LargestLabel | null {
  let index = -1;
  source.labels.forEach((label, i) => {
    if (index < 0 || label > source.labels[index]) index = i;
  });
  return index < 0 ? null : { source, label: source.labels[index], index };
}

/** Lists the labels below classCount that occur in `labels`, ascending. */
function labelsPresent(labels: Uint32Array, classCount: number): number[] {
  const seen = new Uint8Array(classCount);
  for (const label of labels) if (label < classCount) seen[label] = 1;
  const present: number[] = [];
  seen.forEach((flag, label) => {
    if (flag) present.push(label);
  });
  return present;
}

/** Lists the labels below classCount that are not in `present`, ascending. */
function complement(present: readonly number[], classCount: number): number[] {
  const seen = new Uint8Array(classCount);
  for (const label of present) seen[label] = 1;
  const missing: number[] = [];
  seen.forEach((flag, label) => {
    if (!flag) missing.push(label);
  });
  return missing;
}
