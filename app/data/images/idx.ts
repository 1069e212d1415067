/**
 * MNIST-format IDX files: an images file (magic 0x00000803: unsigned bytes, 3 dimensions
 * count × rows × columns) and a labels file (magic 0x00000801: unsigned bytes, 1 dimension).
 * All header integers are big-endian uint32. Files may be gzip-compressed; the gzip magic decides.
 * Record indices in messages count from 0, as MNIST loaders do.
 */
import { asBytes, formatCount, gunzipIfNeeded, hex32, ImageDatasetError, type NamedBytes } from './errors';
import { MAX_CLASSES, numberedClasses, type RawImageSet } from './image-dataset';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

const IMAGES_HEADER_BYTES = 16;
const LABELS_HEADER_BYTES = 8;
/** Invalid labels listed in one message; the rest are counted. */
const MAX_LISTED_LABELS = 5;

/** Grayscale images from an IDX images file, row-major, one byte per pixel. */
export interface IdxImages {
  name: string;
  count: number;
  height: number;
  width: number;
  pixels: Uint8Array;
}

export interface IdxLabels {
  name: string;
  count: number;
  labels: Uint32Array;
}

/** Returns which IDX file the decompressed bytes are, by magic number, or null for neither. */
export function idxKind(bytes: Uint8Array): 'images' | 'labels' | null {
  if (bytes.length < 4) return null;
  const magic = readUint32(bytes, 0);
  if (magic === IDX_IMAGES_MAGIC) return 'images';
  if (magic === IDX_LABELS_MAGIC) return 'labels';
  return null;
}

/** Parses an IDX images file (raw or gzip). Throws ImageDatasetError naming the file and the problem. */
export function parseIdxImages(fileName: string, data: Uint8Array | ArrayBuffer): IdxImages {
  const bytes = gunzipIfNeeded(fileName, asBytes(data));
  requireMagic(fileName, bytes, IDX_IMAGES_MAGIC, IMAGES_HEADER_BYTES);

  const count = readUint32(bytes, 4);
  const height = readUint32(bytes, 8);
  const width = readUint32(bytes, 12);
  if (count === 0) throw new ImageDatasetError(fileName, 'the header declares 0 images. Pick a file that contains images.');
  if (height === 0 || width === 0) {
    throw new ImageDatasetError(fileName, `the header declares images of ${height} rows × ${width} columns; both must be at least 1.`);
  }

  const imageBytes = height * width;
  const expected = IMAGES_HEADER_BYTES + count * imageBytes;
  if (bytes.length < expected) {
    const complete = Math.floor((bytes.length - IMAGES_HEADER_BYTES) / imageBytes);
    throw new ImageDatasetError(
      fileName,
      `the file is truncated: the header declares ${formatCount(count)} images of ${height}×${width} pixels (${formatCount(expected)} bytes with the header), but the file has ${formatCount(bytes.length)} bytes, so image ${formatCount(complete)} and later are missing. Download the file again.`,
      `image ${complete}`,
    );
  }
  if (bytes.length > expected) {
    throw new ImageDatasetError(
      fileName,
      `the file has ${formatCount(bytes.length)} bytes but the header declares ${formatCount(count)} images of ${height}×${width} pixels (${formatCount(expected)} bytes with the header); ${formatCount(bytes.length - expected)} extra bytes follow the last image. The header or the file is corrupt.`,
    );
  }

  return { name: fileName, count, height, width, pixels: bytes.subarray(IMAGES_HEADER_BYTES, expected) };
}

/** Parses an IDX labels file (raw or gzip). Throws ImageDatasetError naming the file and the problem. */
export function parseIdxLabels(fileName: string, data: Uint8Array | ArrayBuffer): IdxLabels {
  const bytes = gunzipIfNeeded(fileName, asBytes(data));
  requireMagic(fileName, bytes, IDX_LABELS_MAGIC, LABELS_HEADER_BYTES);

  const count = readUint32(bytes, 4);
  if (count === 0) throw new ImageDatasetError(fileName, 'the header declares 0 labels. Pick a file that contains labels.');
  const expected = LABELS_HEADER_BYTES + count;
  if (bytes.length < expected) {
    const complete = bytes.length - LABELS_HEADER_BYTES;
    throw new ImageDatasetError(
      fileName,
      `the file is truncated: the header declares ${formatCount(count)} labels (${formatCount(expected)} bytes with the header), but the file has ${formatCount(bytes.length)} bytes, so label ${formatCount(complete)} and later are missing. Download the file again.`,
      `label ${complete}`,
    );
  }
  if (bytes.length > expected) {
    throw new ImageDatasetError(
      fileName,
      `the file has ${formatCount(bytes.length)} bytes but the header declares ${formatCount(count)} labels (${formatCount(expected)} bytes with the header); ${formatCount(bytes.length - expected)} extra bytes follow the last label. The header or the file is corrupt.`,
    );
  }

  return { name: fileName, count, labels: Uint32Array.from(bytes.subarray(LABELS_HEADER_BYTES, expected)) };
}

/**
 * Pairs parsed images with their labels. `classes` names the classes; without it the classes are
 * "0" … "max label". A label ≥ classes.length is rejected with its index.
 */
export function combineIdx(images: IdxImages, labels: IdxLabels, classes?: readonly string[]): RawImageSet {
  if (images.count !== labels.count) {
    throw new ImageDatasetError(
      `${images.name} and ${labels.name}`,
      `${formatCount(images.count)} images but ${formatCount(labels.count)} labels, so the files do not belong together. Pick the labels file that came with these images.`,
    );
  }
  const classNames = classes ? [...classes] : numberedClasses(maxLabel(labels.labels) + 1);
  requireLabelsBelow(labels, classNames.length);
  return {
    name: images.name,
    width: images.width,
    height: images.height,
    channels: 1,
    classes: classNames,
    count: images.count,
    pixels: images.pixels,
    labels: labels.labels,
  };
}

/** Parses an IDX images file and its labels file into one image set. */
export function parseIdxPair(images: NamedBytes, labels: NamedBytes, classes?: readonly string[]): RawImageSet {
  return combineIdx(parseIdxImages(images.name, images.bytes), parseIdxLabels(labels.name, labels.bytes), classes);
}

/** Returns the largest label, or −1 for none. */
export function maxLabel(labels: Uint32Array): number {
  let max = -1;
  for (const label of labels) if (label > max) max = label;
  return max;
}

/** Throws ImageDatasetError listing the first labels that are ≥ classCount, by index. */
export function requireLabelsBelow(labels: IdxLabels, classCount: number): void {
  if (classCount > MAX_CLASSES) {
    throw new ImageDatasetError(labels.name, `the labels name ${formatCount(classCount)} classes; at most ${MAX_CLASSES} are supported.`);
  }
  const invalid: number[] = [];
  let invalidCount = 0;
  labels.labels.forEach((label, index) => {
    if (label < classCount) return;
    invalidCount++;
    if (invalid.length < MAX_LISTED_LABELS) invalid.push(index);
  });
  if (invalidCount === 0) return;

  const listed = invalid.map((index) => `label ${labels.labels[index]} at index ${index}`).join(', ');
  const more = invalidCount > invalid.length ? ` and ${formatCount(invalidCount - invalid.length)} more` : '';
  throw new ImageDatasetError(
    labels.name,
    `${formatCount(invalidCount)} label(s) out of range (${listed}${more}); expected labels from 0 to ${classCount - 1} for ${classCount} classes.`,
    `label ${invalid[0]}`,
  );
}

function requireMagic(fileName: string, bytes: Uint8Array, expected: number, headerBytes: number): void {
  const role = expected === IDX_IMAGES_MAGIC ? 'images' : 'labels';
  if (bytes.length < 4) {
    throw new ImageDatasetError(fileName, `the file has ${bytes.length} byte(s), too short for an IDX ${role} header (${headerBytes} bytes). Pick an IDX ${role} file.`);
  }
  const found = readUint32(bytes, 0);
  if (found !== expected) {
    const hint = found === IDX_IMAGES_MAGIC || found === IDX_LABELS_MAGIC ? `Pick the ${role} file here.` : `Pick an MNIST-format IDX ${role} file (such as ${role === 'images' ? 'train-images-idx3-ubyte.gz' : 'train-labels-idx1-ubyte.gz'}) here.`;
    throw new ImageDatasetError(fileName, `expected magic number ${hex32(expected)} (IDX ${role}), found ${hex32(found)} (${describeMagic(bytes)}). ${hint}`);
  }
  if (bytes.length < headerBytes) {
    throw new ImageDatasetError(fileName, `the file is truncated: it has ${bytes.length} bytes, fewer than the ${headerBytes}-byte IDX ${role} header. Download the file again.`);
  }
}

const IDX_DATA_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** Names what a file's first bytes look like, for the wrong-magic message. */
function describeMagic(bytes: Uint8Array): string {
  const magic = readUint32(bytes, 0);
  if (magic === IDX_IMAGES_MAGIC) return 'IDX images';
  if (magic === IDX_LABELS_MAGIC) return 'IDX labels';
  if (bytes[0] === 0 && bytes[1] === 0 && IDX_DATA_TYPES[bytes[2]] !== undefined) {
    return `IDX ${IDX_DATA_TYPES[bytes[2]]} data with ${bytes[3]} dimension(s), which is not supported`;
  }
  if (magic === 0x89504e47) return 'a PNG image';
  if (magic === 0x504b0304) return 'a zip archive';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'a JPEG image';
  return 'not an IDX file';
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}
