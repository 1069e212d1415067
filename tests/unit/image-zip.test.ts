import { describe, expect, it } from 'vitest';
import { encode as encodePng } from 'fast-png';
import { axisTaps, convertChannels, decodeImage, resizeImage } from '../../app/data/images/decode';
import { parseImageZip } from '../../app/data/images/image-zip';
import { flatGrayPng, jpeg, palettePng, png, zip } from '../fixtures/images/build';
import { formatError } from '../fixtures/images/errors';

const GRAY_2X2 = { width: 2, height: 2, channels: 1 as const };

describe('image decoding', () => {
  it('decodes 8-bit grayscale PNG', () => {
    const image = decodeImage(png(2, 1, 1, [10, 250]));
    expect(image.channels).toBe(1);
    expect(Array.from(image.samples)).toEqual([10, 250]);
  });

  it('decodes 16-bit PNG by dividing by 257', () => {
    const image = decodeImage(png(2, 1, 1, [257 * 10, 65535], 16));
    expect(Array.from(image.samples)).toEqual([10, 255]);
  });

  it('decodes 1-bit grayscale PNG', () => {
    // 10 pixels per row pack into 2 bytes: 1011001110 then 6 padding bits.
    const bytes = encodePng({ width: 10, height: 1, channels: 1, depth: 1, data: Uint8Array.from([0b10110011, 0b10000000]) });
    const image = decodeImage(bytes);
    expect(Array.from(image.samples)).toEqual([255, 0, 255, 255, 0, 0, 255, 255, 255, 0]);
  });

  it('composites alpha over black', () => {
    const image = decodeImage(png(2, 1, 4, [200, 100, 50, 255, 200, 100, 50, 51]));
    expect(image.channels).toBe(3);
    expect(Array.from(image.samples).map((value) => Math.round(value))).toEqual([200, 100, 50, 40, 20, 10]);
  });

  it('composites gray with alpha over black', () => {
    const image = decodeImage(png(2, 1, 2, [200, 255, 200, 0]));
    expect(image.channels).toBe(1);
    expect(Array.from(image.samples)).toEqual([200, 0]);
  });

  it('decodes palette PNG with transparency', () => {
    const image = decodeImage(palettePng(3, 1, [[255, 0, 0], [0, 0, 255], [10, 20, 30]], [0, 1, 2], [255, 0]));
    expect(image.channels).toBe(3);
    expect(Array.from(image.samples)).toEqual([255, 0, 0, 0, 0, 0, 10, 20, 30]);
  });

  it('decodes JPEG within a few levels', () => {
    const rgb = new Array(8 * 8 * 3).fill(0).map((_, i) => [200, 60, 20][i % 3]);
    const image = decodeImage(jpeg(8, 8, rgb));
    expect(image.channels).toBe(3);
    for (let i = 0; i < rgb.length; i++) expect(Math.abs(image.samples[i] - rgb[i])).toBeLessThanOrEqual(4);
  });

  it('converts RGB to BT.601 luma', () => {
    const gray = convertChannels({ width: 1, height: 1, channels: 3, samples: Float32Array.from([100, 200, 50]) }, 1);
    expect(gray.samples[0]).toBeCloseTo(0.299 * 100 + 0.587 * 200 + 0.114 * 50, 4);
  });

  it('repeats gray into three channels', () => {
    const rgb = convertChannels({ width: 1, height: 1, channels: 1, samples: Float32Array.from([77]) }, 3);
    expect(Array.from(rgb.samples)).toEqual([77, 77, 77]);
  });

  it('rejects a PNG with a damaged chunk', () => {
    const bytes = png(4, 4, 1, new Array(16).fill(90));
    bytes[bytes.length - 20] ^= 0xff; // inside IDAT, so its CRC no longer matches
    expect(() => decodeImage(bytes)).toThrow(/PNG decoding failed \(.*CRC/i);
  });

  it('rejects bytes that are not an image', () => {
    expect(() => decodeImage(new TextEncoder().encode('hello'))).toThrow('neither a PNG nor a JPEG image');
  });
});

describe('image resizing', () => {
  it('averages areas when shrinking by a whole factor', () => {
    const samples = Float32Array.from([0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15]);
    const small = resizeImage({ width: 4, height: 4, channels: 1, samples }, 2, 2);
    expect(Array.from(small.samples)).toEqual([2.5, 10.5, 4.5, 12.5]);
  });

  it('weights fractional overlaps when shrinking 3 to 2', () => {
    const taps = axisTaps(3, 2);
    expect(Array.from(taps.indices)).toEqual([0, 1, 1, 2]);
    expect(Array.from(taps.weights).map((w) => Math.round(w * 1e6) / 1e6)).toEqual([0.666667, 0.333333, 0.333333, 0.666667]);
    const row = resizeImage({ width: 3, height: 1, channels: 1, samples: Float32Array.from([0, 30, 90]) }, 2, 1);
    expect(row.samples[0]).toBeCloseTo(10, 4);
    expect(row.samples[1]).toBeCloseTo(70, 4);
  });

  it('interpolates bilinearly when growing', () => {
    const row = resizeImage({ width: 2, height: 1, channels: 1, samples: Float32Array.from([0, 100]) }, 4, 1);
    expect(Array.from(row.samples)).toEqual([0, 25, 75, 100]);
  });

  it('keeps channels separate', () => {
    const samples = Float32Array.from([10, 20, 30, 50, 60, 70]);
    const resized = resizeImage({ width: 2, height: 1, channels: 3, samples }, 1, 1);
    expect(Array.from(resized.samples)).toEqual([30, 40, 50]);
  });
});

describe('image zip', () => {
  it('reads class folders in sorted order', () => {
    const archive = zip({
      'dog/b.png': flatGrayPng(2, 2, 200),
      'cat/a.png': flatGrayPng(2, 2, 10),
      'dog/a.png': flatGrayPng(2, 2, 100),
      'README.txt': new TextEncoder().encode('notes'),
    });
    const { train, test } = parseImageZip('pets.zip', archive, GRAY_2X2);
    expect(test).toBeNull();
    expect(train.classes).toEqual(['cat', 'dog']);
    expect(train.count).toBe(3);
    expect(Array.from(train.labels)).toEqual([0, 1, 1]);
    expect(Array.from(train.pixels)).toEqual([10, 10, 10, 10, 100, 100, 100, 100, 200, 200, 200, 200]);
    expect(train.name).toBe('pets.zip');
  });

  it('converts size and channels of mixed images', () => {
    const red = new Array(4 * 4 * 3).fill(0).map((_, i) => (i % 3 === 0 ? 255 : 0));
    const archive = zip({
      'a/red.png': png(4, 4, 3, red),
      'b/gray.jpg': jpeg(8, 8, new Array(8 * 8 * 3).fill(128)),
    });
    const gray = parseImageZip('mixed.zip', archive, GRAY_2X2).train;
    expect(Array.from(gray.pixels.subarray(0, 4))).toEqual([76, 76, 76, 76]); // round(0.299 · 255)
    for (const value of gray.pixels.subarray(4)) expect(Math.abs(value - 128)).toBeLessThanOrEqual(3);

    const rgb = parseImageZip('mixed.zip', archive, { width: 3, height: 5, channels: 3 }).train;
    expect(rgb.pixels.length).toBe(2 * 3 * 5 * 3);
    expect(Array.from(rgb.pixels.subarray(0, 3))).toEqual([255, 0, 0]);
  });

  it('skips a wrapping folder and hidden entries', () => {
    const archive = zip({
      'data/': null,
      'data/cat/': null,
      'data/cat/1.png': flatGrayPng(2, 2, 1),
      'data/dog/nested/2.png': flatGrayPng(2, 2, 2),
      'data/.DS_Store': new Uint8Array([1, 2, 3]),
      '__MACOSX/data/cat/._1.png': new Uint8Array([0, 5, 22]),
    });
    const { train } = parseImageZip('wrapped.zip', archive, GRAY_2X2);
    expect(train.classes).toEqual(['cat', 'dog']);
    expect(Array.from(train.labels)).toEqual([0, 1]);
  });

  it('keeps the train and test folders as the split', () => {
    const archive = zip({
      'set/train/cat/1.png': flatGrayPng(2, 2, 1),
      'set/train/dog/1.png': flatGrayPng(2, 2, 2),
      'set/train/dog/2.png': flatGrayPng(2, 2, 3),
      'set/test/dog/9.png': flatGrayPng(2, 2, 4),
    });
    const { train, test } = parseImageZip('split.zip', archive, GRAY_2X2);
    expect(train.count).toBe(3);
    expect(test?.count).toBe(1);
    expect(test?.classes).toEqual(['cat', 'dog']);
    expect(Array.from(test?.labels ?? [])).toEqual([1]);
    expect(test?.name).toBe('split.zip (test/)');
  });

  it('treats a lone train folder as the root', () => {
    const archive = zip({ 'train/cat/1.png': flatGrayPng(2, 2, 1), 'train/dog/1.png': flatGrayPng(2, 2, 2) });
    const { train, test } = parseImageZip('train-only.zip', archive, GRAY_2X2);
    expect(test).toBeNull();
    expect(train.classes).toEqual(['cat', 'dog']);
  });

  it('names an unreadable PNG by its path', () => {
    const broken = flatGrayPng(4, 4, 9).slice(0, 40);
    const archive = zip({ 'cat/ok.png': flatGrayPng(2, 2, 1), 'dog/broken.png': broken });
    const error = formatError(() => parseImageZip('pets.zip', archive, GRAY_2X2));
    expect(error.message).toMatch(/^pets\.zip: dog\/broken\.png: the image is unreadable \(40 bytes, PNG signature\): PNG decoding failed \(.+\)\. Replace or remove this file\.$/);
    expect(error.record).toBe('dog/broken.png');
  });

  it('names a file that is no image by its path', () => {
    const archive = zip({ 'cat/a.png': flatGrayPng(2, 2, 1), 'dog/a.jpg': new TextEncoder().encode('not a jpeg') });
    const error = formatError(() => parseImageZip('pets.zip', archive, GRAY_2X2));
    expect(error.message).toContain('pets.zip: dog/a.jpg: the image is unreadable (10 bytes): the data is neither a PNG nor a JPEG image');
  });

  it('rejects an empty class folder', () => {
    const archive = zip({ 'cat/a.png': flatGrayPng(2, 2, 1), 'dog/a.png': flatGrayPng(2, 2, 1), 'bird/': null });
    const error = formatError(() => parseImageZip('pets.zip', archive, GRAY_2X2));
    expect(error.message).toBe('pets.zip: class folder bird/ contains no PNG or JPEG images. Add images to it or remove it.');
    expect(error.record).toBe('bird/');
  });

  it('rejects a class folder with only other files', () => {
    const archive = zip({ 'cat/a.png': flatGrayPng(2, 2, 1), 'dog/a.png': flatGrayPng(2, 2, 1), 'fish/notes.txt': new Uint8Array([65]) });
    expect(formatError(() => parseImageZip('pets.zip', archive, GRAY_2X2)).message).toContain('class folder fish/ contains no PNG or JPEG images');
  });

  it('rejects a zip without images', () => {
    const error = formatError(() => parseImageZip('empty.zip', zip({ 'notes.txt': new Uint8Array([65]) }), GRAY_2X2));
    expect(error.message).toBe('empty.zip: the zip contains no PNG or JPEG images. Expected one folder per class, such as cat/001.png and dog/001.png.');
    expect(formatError(() => parseImageZip('none.zip', zip({}), GRAY_2X2)).message).toContain('the zip contains no PNG or JPEG images');
  });

  it('rejects an image outside class folders', () => {
    const archive = zip({ 'cat/a.png': flatGrayPng(2, 2, 1), 'loose.png': flatGrayPng(2, 2, 1) });
    const error = formatError(() => parseImageZip('pets.zip', archive, GRAY_2X2));
    expect(error.message).toContain('pets.zip: loose.png: the image is not inside a class folder');
  });

  it('rejects a single class', () => {
    const archive = zip({ 'cat/a.png': flatGrayPng(2, 2, 1), 'cat/b.png': flatGrayPng(2, 2, 1) });
    expect(formatError(() => parseImageZip('cats.zip', archive, GRAY_2X2)).message).toContain('has 1 class folder (cat); a classifier needs at least 2');
  });

  it('rejects a held-out class without training images', () => {
    const archive = zip({
      'train/cat/1.png': flatGrayPng(2, 2, 1),
      'train/dog/1.png': flatGrayPng(2, 2, 1),
      'test/fox/1.png': flatGrayPng(2, 2, 1),
    });
    expect(formatError(() => parseImageZip('split.zip', archive, GRAY_2X2)).message).toContain('test/ has class folder(s) "fox" that train/ lacks');
  });

  it('rejects unsupported image formats by path', () => {
    const archive = zip({ 'cat/a.png': flatGrayPng(2, 2, 1), 'dog/a.gif': new Uint8Array([71, 73, 70]) });
    expect(formatError(() => parseImageZip('pets.zip', archive, GRAY_2X2)).message).toBe(
      'pets.zip: dog/a.gif: .gif images are not supported; expected PNG or JPEG. Convert or remove this file.',
    );
  });

  it('rejects a file that is not a zip', () => {
    expect(formatError(() => parseImageZip('data.zip', new Uint8Array([1, 2, 3, 4]), GRAY_2X2)).message).toContain('data.zip: the file is not a zip archive');
  });

  it('rejects a truncated zip', () => {
    const archive = zip({ 'cat/a.png': flatGrayPng(2, 2, 1), 'dog/a.png': flatGrayPng(2, 2, 1) });
    expect(formatError(() => parseImageZip('cut.zip', archive.slice(0, archive.length - 30), GRAY_2X2)).message).toContain('cut.zip: the zip archive is invalid or truncated');
  });

  it('rejects an invalid target shape', () => {
    const archive = zip({ 'cat/a.png': flatGrayPng(2, 2, 1) });
    expect(() => parseImageZip('pets.zip', archive, { width: 0, height: 2, channels: 1 })).toThrow('the target shape must be 1 to 1024 pixels per side');
  });
});
