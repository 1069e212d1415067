/**
 * Image datasets for the vision task: the embedded Fashion-MNIST subset and uploaded IDX, zip
 * and CSV files. No DOM or Node APIs are used, so this runs in a Web Worker and in Node.
 */
export { ImageDatasetError, gunzipIfNeeded, isGzip, type NamedBytes } from './errors';
export {
  MAX_CLASSES,
  channelStatistics,
  describeShape,
  labelHistogram,
  normalizeImages,
  normalizeSplit,
  numberedClasses,
  selectImages,
  splitAndNormalize,
  splitImageSet,
  type ImageDataset,
  type ImageShape,
  type ImageSplit,
  type RawImageSet,
} from './image-dataset';
export {
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  combineIdx,
  idxKind,
  parseIdxImages,
  parseIdxLabels,
  parseIdxPair,
  type IdxImages,
  type IdxLabels,
} from './idx';
export { MAX_IMAGE_PIXELS, decodeImage, detectImageFormat, type DecodedImage } from './decode';
export { parseImageZip, type ImageTargetShape, type ImageZipResult } from './image-zip';
export { parseImageCsv, type CsvImageSet, type ImageCsvOptions } from './image-csv';
export {
  describeClassCount,
  describeImageSplit,
  describeLabels,
  formatLabelRanges,
  requireTrainingLabels,
  summarizeClasses,
  type ClassSummary,
  type LabelSource,
} from './classes';
export { DEFAULT_ZIP_SHAPE, describeUpload, loadImageUpload, recognizeImageUpload, type ImageUpload, type ImageUploadOptions } from './upload';
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_COUNTS,
  FASHION_MNIST_DIR,
  FASHION_MNIST_ID,
  FASHION_MNIST_PATHS,
  loadEmbeddedImageDataset,
  loadFashionMnist,
  type FetchBytes,
} from './embedded';
