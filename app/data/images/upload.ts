/**
 * Uploaded image datasets: recognising which files were picked and turning them into a
 * normalised training and held-out split. Some uploads bring their own split: IDX training and
 * test files, a zip with train/ and test/ folders, or a training and a test CSV. Those keep it,
 * and any other upload holds out a seeded, class-stratified share. Without class names, IDX and
 * CSV labels must run from 0 with a training image for every label (see classes.ts).
 */
import { requireTrainingLabels, type LabelSource } from './classes';
import { formatCount, gunzipIfNeeded, ImageDatasetError, type NamedBytes } from './errors';
import { combineIdx, idxKind, maxLabel, parseIdxImages, parseIdxLabels, type IdxLabels } from './idx';
import { parseImageCsv, type CsvImageSet } from './image-csv';
import { normalizeSplit, numberedClasses, splitAndNormalize, type ImageShape, type ImageSplit, type RawImageSet } from './image-dataset';
import { parseImageZip, type ImageTargetShape } from './image-zip';

export type ImageUpload =
  | { format: 'idx'; images: NamedBytes; labels: NamedBytes; testImages?: NamedBytes; testLabels?: NamedBytes }
  | { format: 'zip'; file: NamedBytes }
  | { format: 'csv'; file: NamedBytes; testFile?: NamedBytes };

export interface ImageUploadOptions {
  /** Share of each class held out when the upload has no split of its own, in (0, 1). */
  evalFraction: number;
  /** Seed of the held-out shuffle. */
  seed: number;
  /** Size and channels that zip images are converted to. Default: DEFAULT_ZIP_SHAPE. */
  zipShape?: ImageTargetShape;
  /** Image shape of CSV rows. Default: a square grayscale image. */
  csvShape?: ImageShape;
  /**
   * Class names for IDX and CSV labels. Default: "0" … the largest label, and then every label
   * from 0 to the largest needs a training image.
   */
  classes?: readonly string[];
}

/** Zip images become 28×28 grayscale by default, the input shape of the embedded dataset. */
export const DEFAULT_ZIP_SHAPE: ImageTargetShape = { width: 28, height: 28, channels: 1 };

/** Parses an upload and returns its normalised training and held-out sets. */
export function loadImageUpload(upload: ImageUpload, options: ImageUploadOptions): ImageSplit {
  if (upload.format === 'idx') return loadIdxUpload(upload, options);

  if (upload.format === 'zip') {
    const { train, test } = parseImageZip(upload.file.name, upload.file.bytes, options.zipShape ?? DEFAULT_ZIP_SHAPE);
    if (test) return normalizeSplit(train, test, `the zip's own ${train.count} training and ${test.count} held-out images.`);
    return splitAndNormalize(train, options.evalFraction, options.seed);
  }

  const train = parseImageCsv(upload.file.name, upload.file.bytes, { shape: options.csvShape, classes: options.classes });
  if (!upload.testFile) {
    if (!options.classes) requireTrainingLabels(csvLabelSource(train));
    return splitAndNormalize(train, options.evalFraction, options.seed);
  }
  const test = parseImageCsv(upload.testFile.name, upload.testFile.bytes, { shape: options.csvShape ?? train, classes: options.classes });
  if (!options.classes) requireTrainingLabels(csvLabelSource(train), csvLabelSource(test));
  const [trainSet, testSet] = withSharedClasses(train, test, options.classes);
  return normalizeSplit(trainSet, testSet, `the files' own split: ${trainSet.count} training and ${testSet.count} held-out images.`);
}

function loadIdxUpload(upload: Extract<ImageUpload, { format: 'idx' }>, options: ImageUploadOptions): ImageSplit {
  const images = parseIdxImages(upload.images.name, upload.images.bytes);
  const labels = parseIdxLabels(upload.labels.name, upload.labels.bytes);
  if (!upload.testImages !== !upload.testLabels) {
    const missing = upload.testImages ? 'test labels' : 'test images';
    throw new ImageDatasetError(upload.testImages?.name ?? upload.testLabels?.name ?? 'test files', `the ${missing} file is missing. Pick both test files, or neither.`);
  }
  if (!upload.testImages || !upload.testLabels) {
    const set = combineIdx(images, labels, options.classes);
    if (!options.classes) requireTrainingLabels(idxLabelSource(labels));
    return splitAndNormalize(set, options.evalFraction, options.seed);
  }

  const testImages = parseIdxImages(upload.testImages.name, upload.testImages.bytes);
  const testLabels = parseIdxLabels(upload.testLabels.name, upload.testLabels.bytes);
  const classes = options.classes ?? numberedClasses(Math.max(maxLabel(labels.labels), maxLabel(testLabels.labels)) + 1);
  const train = combineIdx(images, labels, classes);
  const test = combineIdx(testImages, testLabels, classes);
  if (!options.classes) requireTrainingLabels(idxLabelSource(labels), idxLabelSource(testLabels));
  return normalizeSplit(train, test, `the files' own split: ${train.count} training and ${test.count} held-out images.`);
}

function csvLabelSource(set: CsvImageSet): LabelSource {
  return { file: set.name, labels: set.labels, lines: set.lines };
}

function idxLabelSource(labels: IdxLabels): LabelSource {
  return { file: labels.name, labels: labels.labels };
}

/** Gives a training and a test CSV the same numbered classes when no names were given. */
function withSharedClasses(train: RawImageSet, test: RawImageSet, classes: readonly string[] | undefined): [RawImageSet, RawImageSet] {
  if (classes) return [train, test];
  const shared = numberedClasses(Math.max(train.classes.length, test.classes.length));
  return [{ ...train, classes: shared }, { ...test, classes: shared }];
}

/**
 * Detects the format of a set of picked files: one .zip, one or two .csv files, or two or four IDX
 * files. Of two CSV files, the one whose name contains "test", "t10k", "val" or "eval" is the
 * held-out set. IDX images and labels are recognised by magic number, and test files by the same
 * names. Gzip files are decompressed here, and the returned bytes are the decompressed ones.
 */
export function recognizeImageUpload(files: readonly NamedBytes[]): ImageUpload {
  const names = files.map((file) => file.name).join(', ') || '(no files)';
  if (files.length === 0) throw new ImageDatasetError(names, 'no files were picked. Pick a .zip, a .csv, or IDX images and labels files.');

  const zips = files.filter((file) => isZipFile(file));
  if (zips.length > 0) {
    if (files.length > 1) throw new ImageDatasetError(names, 'a zip dataset is one file. Pick the .zip alone.');
    return { format: 'zip', file: files[0] };
  }

  const csvs = files.filter((file) => file.name.toLowerCase().endsWith('.csv'));
  if (csvs.length > 0) {
    if (csvs.length !== files.length || files.length > 2) {
      throw new ImageDatasetError(names, 'expected one CSV file, or a training and a test CSV file, and nothing else.');
    }
    if (files.length === 1) return { format: 'csv', file: files[0] };
    const [train, test] = orderByTestName(names, files);
    return { format: 'csv', file: train, testFile: test };
  }

  return recognizeIdx(names, files);
}

function recognizeIdx(names: string, files: readonly NamedBytes[]): ImageUpload {
  const decompressed = files.map((file) => ({ name: file.name, bytes: gunzipIfNeeded(file.name, file.bytes) }));
  const unknown = decompressed.filter((file) => idxKind(file.bytes) === null);
  if (unknown.length > 0) {
    throw new ImageDatasetError(
      unknown[0].name,
      'the file is not a zip, a CSV or an IDX images or labels file (its magic number is neither 0x00000803 nor 0x00000801). Pick a .zip of class folders, a .csv, or IDX files.',
    );
  }
  const images = decompressed.filter((file) => idxKind(file.bytes) === 'images');
  const labels = decompressed.filter((file) => idxKind(file.bytes) === 'labels');
  if (images.length !== labels.length || (images.length !== 1 && images.length !== 2)) {
    throw new ImageDatasetError(
      names,
      `${images.length} IDX images file(s) and ${labels.length} labels file(s) were picked; expected one images and one labels file, optionally with a test images and a test labels file.`,
    );
  }
  if (images.length === 1) return { format: 'idx', images: images[0], labels: labels[0] };

  const [trainImages, testImages] = orderByTestName(names, images);
  const [trainLabels, testLabels] = orderByTestName(names, labels);
  return { format: 'idx', images: trainImages, labels: trainLabels, testImages, testLabels };
}

const TEST_NAME = /t10k|test|val|eval/i;

/** Orders two files as [training, test] by name; exactly one name must look like a test file. */
function orderByTestName(names: string, pair: readonly NamedBytes[]): [NamedBytes, NamedBytes] {
  const tests = pair.filter((file) => TEST_NAME.test(file.name));
  if (tests.length !== 1) {
    throw new ImageDatasetError(
      names,
      `cannot tell the training file from the test file among ${pair.map((file) => file.name).join(' and ')}: exactly one name must contain "test", "t10k", "val" or "eval". Rename the files.`,
    );
  }
  const test = tests[0];
  const train = pair.find((file) => file !== test) as NamedBytes;
  return [train, test];
}

function isZipFile(file: NamedBytes): boolean {
  const bytes = file.bytes;
  const signature = bytes.length >= 2 && bytes[0] === 0x50 && bytes[1] === 0x4b;
  return signature || file.name.toLowerCase().endsWith('.zip');
}

/** Describes an upload's files for logs, such as "train.csv (12,345 bytes)". */
export function describeUpload(upload: ImageUpload): string {
  const files = upload.format === 'idx' ? [upload.images, upload.labels, upload.testImages, upload.testLabels] : upload.format === 'zip' ? [upload.file] : [upload.file, upload.testFile];
  return files
    .filter((file): file is NamedBytes => file !== undefined)
    .map((file) => `${file.name} (${formatCount(file.bytes.length)} bytes)`)
    .join(', ');
}
