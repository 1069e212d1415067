/**
 * The embedded image dataset: a fixed subset of Fashion-MNIST (MIT licence), written by
 * scripts/make_fashion_subset.mjs as gzip IDX files. Paths are relative to the site root, which
 * is public/ in the repository; public/datasets/fashion-mnist/README.md gives the subset rule and
 * the file hashes.
 */
import { asBytes } from './errors';
import { combineIdx, parseIdxImages, parseIdxLabels } from './idx';
import { normalizeSplit, type ImageSplit } from './image-dataset';

export const FASHION_MNIST_ID = 'fashion-mnist';
export const FASHION_MNIST_DIR = 'datasets/fashion-mnist/';

/** Class names in label order, as the Fashion-MNIST README lists them. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Relative paths of the four files. */
export const FASHION_MNIST_PATHS = {
  trainImages: `${FASHION_MNIST_DIR}train-images-idx3-ubyte.gz`,
  trainLabels: `${FASHION_MNIST_DIR}train-labels-idx1-ubyte.gz`,
  testImages: `${FASHION_MNIST_DIR}t10k-images-idx3-ubyte.gz`,
  testLabels: `${FASHION_MNIST_DIR}t10k-labels-idx1-ubyte.gz`,
} as const;

/** Image counts of the committed subset: the first 10,000 training and first 2,000 test images. */
export const FASHION_MNIST_COUNTS = { train: 10_000, test: 2_000 } as const;

/**
 * Reader of a file under the site root: fetch against the page's base URL in the browser, a file read
 * under public/ in Node. Either a Uint8Array or an ArrayBuffer may be returned.
 */
export type FetchBytes = (relativePath: string) => Promise<Uint8Array | ArrayBuffer>;

/**
 * Loads the embedded Fashion-MNIST subset: the training files become the training set and the
 * test files the held-out set, both normalised with the training set's mean and deviation.
 * The files may arrive gzip-compressed or already decompressed (a server that sends them with
 * Content-Encoding: gzip makes fetch decompress them).
 */
export async function loadFashionMnist(fetchBytes: FetchBytes): Promise<ImageSplit> {
  const paths = FASHION_MNIST_PATHS;
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    [paths.trainImages, paths.trainLabels, paths.testImages, paths.testLabels].map(async (path) => asBytes(await fetchBytes(path))),
  );

  const train = combineIdx(parseIdxImages(paths.trainImages, trainImages), parseIdxLabels(paths.trainLabels, trainLabels), FASHION_MNIST_CLASSES);
  const held = combineIdx(parseIdxImages(paths.testImages, testImages), parseIdxLabels(paths.testLabels, testLabels), FASHION_MNIST_CLASSES);
  train.name = `${FASHION_MNIST_ID} (train)`;
  held.name = `${FASHION_MNIST_ID} (test)`;
  return normalizeSplit(train, held, `the dataset's own test split: ${train.count} training and ${held.count} held-out images.`);
}

/** Loads an embedded image dataset by id. Only "fashion-mnist" exists. */
export async function loadEmbeddedImageDataset(id: string, fetchBytes: FetchBytes): Promise<ImageSplit> {
  if (id !== FASHION_MNIST_ID) {
    throw new Error(`Unknown embedded image dataset "${id}". The embedded image dataset is "${FASHION_MNIST_ID}".`);
  }
  return loadFashionMnist(fetchBytes);
}
