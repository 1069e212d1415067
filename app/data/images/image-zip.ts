/**
 * A .zip of class folders of PNG and JPEG images:
 *
 *   cat/001.png, cat/002.jpg, dog/001.png, …          one class per top-level folder
 *   train/cat/…, train/dog/…, test/cat/…, test/dog/…   the same, with the archive's own split
 *
 * A single folder that wraps everything (my-data/cat/…) is skipped. The class of an image is the
 * first folder below that root (or below train/ and test/), so subfolders inside a class folder
 * belong to that class. Class names are sorted by UTF-16 code units, and so are the images of a
 * class. Hidden files and folders (name starting with ".") and __MACOSX/ are ignored, and so are
 * files whose extension is not an image extension (README.txt, labels.csv, …).
 * Images are decoded and converted to the requested shape as decode.ts describes.
 */
import { unzipSync } from 'fflate';
import { decodeToShape, detectImageFormat } from './decode';
import { asBytes, formatCount, ImageDatasetError } from './errors';
import type { RawImageSet } from './image-dataset';

/** Target shape for zip images; every image is converted to it. */
export interface ImageTargetShape {
  width: number;
  height: number;
  channels: 1 | 3;
}

export interface ImageZipResult {
  train: RawImageSet;
  /** The images under test/ (or val/, eval/, …) when the zip has its own split, else null. */
  test: RawImageSet | null;
}

const SUPPORTED_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
/** Image extensions that are recognised so they can be rejected by name instead of ignored. */
const UNSUPPORTED_IMAGE_EXTENSIONS = ['.gif', '.bmp', '.webp', '.tif', '.tiff', '.heic', '.heif', '.avif', '.svg'];
const TRAIN_FOLDERS = ['train', 'training'];
const HELD_OUT_FOLDERS = ['test', 'testing', 'val', 'valid', 'validation', 'eval'];
/** Largest side accepted for the target shape. */
const MAX_TARGET_SIDE = 1024;

interface ZipImage {
  /** Path inside the zip, as stored. */
  path: string;
  /** Path components below the root. */
  parts: string[];
}

/**
 * Parses a zip of class folders into image sets of the target shape. Throws ImageDatasetError
 * naming the zip and the path inside it for an unreadable image, an image outside class folders,
 * an empty class folder, a zip with no images, or fewer than 2 classes.
 */
export function parseImageZip(fileName: string, data: Uint8Array | ArrayBuffer, shape: ImageTargetShape): ImageZipResult {
  requireTargetShape(shape);
  const { files, names } = unzipEntries(fileName, asBytes(data));

  const images: ZipImage[] = [];
  const folders = new Set<string>();
  for (const path of names) {
    const parts = splitPath(path);
    if (parts.length === 0 || isIgnored(parts)) continue;
    const isFolder = path.endsWith('/') || path.endsWith('\\');
    const folderDepth = isFolder ? parts.length + 1 : parts.length;
    for (let depth = 1; depth < folderDepth; depth++) folders.add(parts.slice(0, depth).join('/'));
    if (isFolder) continue;

    const extension = extensionOf(parts[parts.length - 1]);
    if (UNSUPPORTED_IMAGE_EXTENSIONS.includes(extension)) {
      throw new ImageDatasetError(fileName, `${path}: ${extension} images are not supported; expected PNG or JPEG. Convert or remove this file.`, path);
    }
    if (SUPPORTED_EXTENSIONS.includes(extension)) images.push({ path, parts });
  }
  if (images.length === 0) {
    throw new ImageDatasetError(fileName, 'the zip contains no PNG or JPEG images. Expected one folder per class, such as cat/001.png and dog/001.png.');
  }

  const root = commonRoot(images);
  const below = images.map((image) => ({ ...image, parts: image.parts.slice(root.length) }));
  const rootPrefix = root.length > 0 ? `${root.join('/')}/` : '';
  const split = detectSplit(fileName, below);

  if (split === null) {
    const classes = classNames(fileName, below, rootPrefix);
    requireNonEmptyClasses(fileName, classes, folders, rootPrefix);
    return { train: decodeSet(fileName, fileName, below, classes, shape, files), test: null };
  }

  const trainImages = below.filter((image) => image.parts[0] === split.train).map((image) => ({ ...image, parts: image.parts.slice(1) }));
  const testImages = below.filter((image) => image.parts[0] === split.test).map((image) => ({ ...image, parts: image.parts.slice(1) }));
  const classes = classNames(fileName, trainImages, `${rootPrefix}${split.train}/`);
  requireNonEmptyClasses(fileName, classes, folders, `${rootPrefix}${split.train}/`);
  const testClasses = classNames(fileName, testImages, `${rootPrefix}${split.test}/`, 1);
  requireNonEmptyClasses(fileName, testClasses, folders, `${rootPrefix}${split.test}/`);
  const missing = testClasses.filter((name) => !classes.includes(name));
  if (missing.length > 0) {
    throw new ImageDatasetError(
      fileName,
      `${rootPrefix}${split.test}/ has class folder(s) ${missing.map((name) => `"${name}"`).join(', ')} that ${rootPrefix}${split.train}/ lacks. Every held-out class needs training images.`,
      `${rootPrefix}${split.test}/${missing[0]}/`,
    );
  }
  return {
    train: decodeSet(fileName, `${fileName} (${split.train}/)`, trainImages, classes, shape, files),
    test: decodeSet(fileName, `${fileName} (${split.test}/)`, testImages, classes, shape, files),
  };
}

function requireTargetShape(shape: ImageTargetShape): void {
  const side = (value: number) => Number.isInteger(value) && value >= 1 && value <= MAX_TARGET_SIDE;
  if (!side(shape.width) || !side(shape.height) || (shape.channels !== 1 && shape.channels !== 3)) {
    throw new Error(`parseImageZip: the target shape must be 1 to ${MAX_TARGET_SIDE} pixels per side with 1 or 3 channels, got ${shape.width}×${shape.height}×${shape.channels}.`);
  }
}

/**
 * Decompresses the PNG and JPEG entries and lists every entry name, folders and skipped files
 * included, so that folders without images can be found.
 */
function unzipEntries(fileName: string, bytes: Uint8Array): { files: Record<string, Uint8Array>; names: string[] } {
  const isZip = bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 0x03 || bytes[2] === 0x05);
  if (!isZip) {
    throw new ImageDatasetError(fileName, 'the file is not a zip archive (it does not start with the zip signature "PK"). Pick a .zip of class folders.');
  }

  const names: string[] = [];
  let current = '';
  try {
    const files = unzipSync(bytes, {
      filter: (entry) => {
        names.push(entry.name);
        const wanted = SUPPORTED_EXTENSIONS.includes(extensionOf(entry.name)) && !isIgnored(splitPath(entry.name));
        if (!wanted) return false;
        if (entry.compression !== 0 && entry.compression !== 8) {
          throw new ImageDatasetError(fileName, `${entry.name}: the entry uses zip compression method ${entry.compression}; only stored (0) and deflate (8) are supported. Create the zip again with deflate.`, entry.name);
        }
        // fflate decompresses each accepted entry right after this call, so a failure belongs to this entry.
        // NOTE: a damaged central-directory record of the next entry fails before this filter runs, so
        // the message then names the previous image. fflate does not check zip CRCs; PNG CRCs are checked.
        current = entry.name;
        return true;
      },
    });
    return { files, names };
  } catch (error) {
    if (error instanceof ImageDatasetError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    const where = current ? ` while decompressing ${current}` : '';
    throw new ImageDatasetError(fileName, `the zip archive is invalid or truncated${where} (${reason}). Create the zip again.`, current || undefined);
  }
}

function isIgnored(parts: string[]): boolean {
  return parts.some((part) => part.startsWith('.') || part === '__MACOSX');
}

function splitPath(path: string): string[] {
  return path
    .replace(/\\/g, '/')
    .split('/')
    .filter((part) => part !== '' && part !== '.');
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
}

/** Folders shared by all images that still leave a class folder below them. */
function commonRoot(images: ZipImage[]): string[] {
  const root: string[] = [];
  for (;;) {
    const depth = root.length;
    const first = images[0].parts[depth];
    const allShare = images.every((image) => image.parts.length >= depth + 3 && image.parts[depth] === first);
    if (!allShare) return root;
    root.push(first);
  }
}

function isSplitFolder(name: string): boolean {
  const lower = name.toLowerCase();
  return TRAIN_FOLDERS.includes(lower) || HELD_OUT_FOLDERS.includes(lower);
}

/**
 * Returns the training and held-out folder names when every image sits below a split folder and
 * both kinds are present. Returns null when the top-level folders are classes.
 */
function detectSplit(fileName: string, images: ZipImage[]): { train: string; test: string } | null {
  const tops = new Set(images.map((image) => image.parts[0]));
  if (![...tops].every((name) => isSplitFolder(name)) || images.some((image) => image.parts.length < 3)) return null;

  const trainNames = [...tops].filter((name) => TRAIN_FOLDERS.includes(name.toLowerCase()));
  const heldNames = [...tops].filter((name) => HELD_OUT_FOLDERS.includes(name.toLowerCase()));
  if (trainNames.length === 0) {
    throw new ImageDatasetError(fileName, `the zip has held-out folder(s) ${heldNames.map((name) => `${name}/`).join(', ')} but no train/ folder. Add train/ with one folder per class.`);
  }
  if (trainNames.length > 1 || heldNames.length > 1) {
    throw new ImageDatasetError(fileName, `the zip has several split folders (${[...tops].sort().map((name) => `${name}/`).join(', ')}); expected one train/ and at most one held-out folder such as test/.`);
  }
  if (heldNames.length === 0) return null;
  return { train: trainNames[0], test: heldNames[0] };
}

/** Sorted class names; every image must sit inside a class folder. */
function classNames(fileName: string, images: ZipImage[], prefix: string, minimum = 2): string[] {
  const names = new Set<string>();
  for (const image of images) {
    if (image.parts.length < 2) {
      throw new ImageDatasetError(
        fileName,
        `${image.path}: the image is not inside a class folder. Put each image in a folder named after its class, such as ${prefix}cat/${image.parts[0]}.`,
        image.path,
      );
    }
    names.add(image.parts[0]);
  }
  const sorted = [...names].sort();
  if (sorted.length < minimum) {
    throw new ImageDatasetError(fileName, `${prefix || 'the zip'} has ${sorted.length} class folder (${sorted.join(', ')}); a classifier needs at least ${minimum}. Add a folder per class.`);
  }
  return sorted;
}

/** Rejects a folder directly below `prefix` without images, whether the zip lists it as an entry or it contains only other files. */
function requireNonEmptyClasses(fileName: string, classes: string[], folders: Set<string>, prefix: string): void {
  const base = prefix.replace(/\/$/, '');
  for (const folder of folders) {
    const relative = base === '' ? folder : folder.startsWith(`${base}/`) ? folder.slice(base.length + 1) : null;
    if (relative === null || relative.includes('/') || relative === '' || classes.includes(relative)) continue;
    throw new ImageDatasetError(fileName, `class folder ${prefix}${relative}/ contains no PNG or JPEG images. Add images to it or remove it.`, `${prefix}${relative}/`);
  }
}

function decodeSet(
  fileName: string,
  setName: string,
  images: ZipImage[],
  classes: string[],
  shape: ImageTargetShape,
  files: Record<string, Uint8Array>,
): RawImageSet {
  const ordered = [...images].sort((a, b) => compareCodeUnits(a.parts[0], b.parts[0]) || compareCodeUnits(a.path, b.path));
  const imageBytes = shape.width * shape.height * shape.channels;
  const pixels = new Uint8Array(ordered.length * imageBytes);
  const labels = new Uint32Array(ordered.length);

  ordered.forEach((image, index) => {
    const bytes = files[image.path];
    const format = detectImageFormat(bytes);
    try {
      decodeToShape(bytes, shape.width, shape.height, shape.channels, pixels.subarray(index * imageBytes, (index + 1) * imageBytes));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const size = bytes.length === 0 ? 'an empty file' : `${formatCount(bytes.length)} bytes${format ? `, ${format.toUpperCase()} signature` : ''}`;
      throw new ImageDatasetError(fileName, `${image.path}: the image is unreadable (${size}): ${reason}. Replace or remove this file.`, image.path);
    }
    labels[index] = classes.indexOf(image.parts[0]);
  });

  return { name: setName, ...shape, classes, count: ordered.length, pixels, labels };
}

/** Orders strings by UTF-16 code units, as Array.prototype.sort does, independent of locale. */
function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
