import { describe, expect, it } from 'vitest';
import { combineIdx, parseIdxImages, parseIdxLabels, parseIdxPair } from '../../app/data/images/idx';
import { gzip, idxImages, idxLabels, rampPixels } from '../fixtures/images/build';
import { formatError } from '../fixtures/images/errors';

const IMAGES = 'train-images-idx3-ubyte';
const LABELS = 'train-labels-idx1-ubyte';

describe('IDX images', () => {
  it('parses a raw file', () => {
    const pixels = rampPixels(3, 2, 5);
    const images = parseIdxImages(IMAGES, idxImages(3, 2, 5, pixels));
    expect(images.count).toBe(3);
    expect(images.height).toBe(2);
    expect(images.width).toBe(5);
    expect(Array.from(images.pixels)).toEqual(Array.from(pixels));
  });

  it('parses a gzip file the same as the raw one', () => {
    const raw = idxImages(4, 3, 3, rampPixels(4, 3, 3));
    const fromGzip = parseIdxImages(`${IMAGES}.gz`, gzip(raw));
    const fromRaw = parseIdxImages(IMAGES, raw);
    expect(Array.from(fromGzip.pixels)).toEqual(Array.from(fromRaw.pixels));
    expect(fromGzip.count).toBe(4);
  });

  it('accepts an ArrayBuffer', () => {
    const raw = idxImages(1, 1, 2, [7, 9]);
    const images = parseIdxImages(IMAGES, raw.buffer.slice(0) as ArrayBuffer);
    expect(Array.from(images.pixels)).toEqual([7, 9]);
  });

  it('rejects a labels file by its magic', () => {
    const error = formatError(() => parseIdxImages(`${LABELS}.gz`, gzip(idxLabels(2, [0, 1]))));
    expect(error.message).toBe(
      `${LABELS}.gz: expected magic number 0x00000803 (IDX images), found 0x00000801 (IDX labels). Pick the images file here.`,
    );
    expect(error.file).toBe(`${LABELS}.gz`);
  });

  it('rejects a PNG given as images', () => {
    const error = formatError(() => parseIdxImages('photo.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0])));
    expect(error.message).toContain('photo.png: expected magic number 0x00000803 (IDX images), found 0x89504e47 (a PNG image)');
  });

  it('rejects an unsupported IDX data type', () => {
    const bytes = idxImages(1, 1, 1, [0]);
    bytes[2] = 0x0d; // float32
    const error = formatError(() => parseIdxImages(IMAGES, bytes));
    expect(error.message).toContain('found 0x00000d03 (IDX float32 data with 3 dimension(s), which is not supported)');
  });

  it('rejects a truncated file naming the first missing image', () => {
    const full = idxImages(10, 2, 2, rampPixels(10, 2, 2));
    const error = formatError(() => parseIdxImages(IMAGES, full.subarray(0, 16 + 4 * 7 + 3)));
    expect(error.message).toContain(`${IMAGES}: the file is truncated: the header declares 10 images of 2×2 pixels (56 bytes with the header), but the file has 47 bytes, so image 7 and later are missing.`);
    expect(error.record).toBe('image 7');
  });

  it('rejects a truncated header', () => {
    const error = formatError(() => parseIdxImages(IMAGES, idxImages(1, 1, 1, [0]).subarray(0, 10)));
    expect(error.message).toContain(`${IMAGES}: the file is truncated: it has 10 bytes, fewer than the 16-byte IDX images header.`);
  });

  it('rejects extra bytes after the last image', () => {
    const bytes = idxImages(2, 2, 2, rampPixels(3, 2, 2));
    const error = formatError(() => parseIdxImages(IMAGES, bytes));
    expect(error.message).toContain('4 extra bytes follow the last image');
  });

  it('rejects a truncated gzip stream', () => {
    const compressed = gzip(idxImages(20, 4, 4, rampPixels(20, 4, 4)));
    const error = formatError(() => parseIdxImages(`${IMAGES}.gz`, compressed.subarray(0, compressed.length - 6)));
    expect(error.message).toContain(`${IMAGES}.gz: the gzip data is invalid or truncated`);
  });

  it('rejects zero-sized images and empty files', () => {
    expect(formatError(() => parseIdxImages(IMAGES, idxImages(1, 0, 3, []))).message).toContain('images of 0 rows × 3 columns');
    expect(formatError(() => parseIdxImages(IMAGES, idxImages(0, 2, 2, []))).message).toContain('the header declares 0 images');
    expect(formatError(() => parseIdxImages(IMAGES, new Uint8Array(0))).message).toContain('the file has 0 byte(s), too short for an IDX images header');
  });
});

describe('IDX labels', () => {
  it('parses raw and gzip files', () => {
    const raw = idxLabels(5, [0, 3, 9, 1, 2]);
    expect(Array.from(parseIdxLabels(LABELS, raw).labels)).toEqual([0, 3, 9, 1, 2]);
    expect(Array.from(parseIdxLabels(`${LABELS}.gz`, gzip(raw)).labels)).toEqual([0, 3, 9, 1, 2]);
  });

  it('rejects an images file by its magic', () => {
    const error = formatError(() => parseIdxLabels(`${LABELS}.gz`, gzip(idxImages(1, 1, 1, [0]))));
    expect(error.message).toBe(
      `${LABELS}.gz: expected magic number 0x00000801 (IDX labels), found 0x00000803 (IDX images). Pick the labels file here.`,
    );
  });

  it('rejects a truncated file naming the first missing label', () => {
    const error = formatError(() => parseIdxLabels(LABELS, idxLabels(6, [1, 2, 3, 4])));
    expect(error.message).toContain(`${LABELS}: the file is truncated: the header declares 6 labels (14 bytes with the header), but the file has 12 bytes, so label 4 and later are missing.`);
    expect(error.record).toBe('label 4');
  });

  it('rejects a file that is not IDX', () => {
    const error = formatError(() => parseIdxLabels('labels.txt', new TextEncoder().encode('0,1,2,3,4,5')));
    expect(error.message).toContain('labels.txt: expected magic number 0x00000801 (IDX labels), found 0x302c312c (not an IDX file). Pick an MNIST-format IDX labels file');
  });
});

describe('IDX image and label pairs', () => {
  it('combines a matching pair into an image set', () => {
    const set = parseIdxPair(
      { name: IMAGES, bytes: idxImages(3, 2, 2, rampPixels(3, 2, 2)) },
      { name: LABELS, bytes: gzip(idxLabels(3, [2, 0, 1])) },
    );
    expect(set.count).toBe(3);
    expect(set.width).toBe(2);
    expect(set.height).toBe(2);
    expect(set.channels).toBe(1);
    expect(set.classes).toEqual(['0', '1', '2']);
    expect(Array.from(set.labels)).toEqual([2, 0, 1]);
    expect(set.pixels.length).toBe(12);
  });

  it('rejects a count mismatch naming both files', () => {
    const images = parseIdxImages('t10k-images-idx3-ubyte.gz', gzip(idxImages(10, 1, 1, rampPixels(10, 1, 1))));
    const labels = parseIdxLabels('t10k-labels-idx1-ubyte.gz', gzip(idxLabels(9, [0, 1, 2, 3, 4, 5, 6, 7, 8])));
    const error = formatError(() => combineIdx(images, labels));
    expect(error.message).toBe(
      't10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz: 10 images but 9 labels, so the files do not belong together. Pick the labels file that came with these images.',
    );
  });

  it('rejects labels at or above the class count by index', () => {
    const images = parseIdxImages(IMAGES, idxImages(8, 1, 1, rampPixels(8, 1, 1)));
    const labels = parseIdxLabels(LABELS, idxLabels(8, [0, 1, 10, 2, 12, 3, 4, 9]));
    const error = formatError(() => combineIdx(images, labels, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']));
    expect(error.message).toBe(`${LABELS}: 2 label(s) out of range (label 10 at index 2, label 12 at index 4); expected labels from 0 to 9 for 10 classes.`);
    expect(error.record).toBe('label 2');
  });

  it('counts out-of-range labels beyond the listed ones', () => {
    const images = parseIdxImages(IMAGES, idxImages(8, 1, 1, rampPixels(8, 1, 1)));
    const labels = parseIdxLabels(LABELS, idxLabels(8, [5, 5, 5, 5, 5, 5, 5, 0]));
    const error = formatError(() => combineIdx(images, labels, ['a', 'b']));
    expect(error.message).toContain('7 label(s) out of range (label 5 at index 0, label 5 at index 1, label 5 at index 2, label 5 at index 3, label 5 at index 4 and 2 more)');
  });
});
