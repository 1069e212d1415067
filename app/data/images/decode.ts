/**
 * PNG and JPEG decoding (fast-png, jpeg-js: pure JavaScript, so it runs in a Web Worker and in Node)
 * and conversion to a fixed size and channel count.
 *
 * Conversion rules:
 * - Alpha is composited over black: each colour sample is multiplied by alpha / max.
 * - Grayscale from colour is the BT.601 luma 0.299 R + 0.587 G + 0.114 B of the stored (gamma-encoded)
 *   values; RGB from grayscale repeats the gray value in all three channels.
 * - 16-bit samples are divided by 257, and 1-, 2- and 4-bit samples are scaled to 0–255.
 * - The image is stretched to the target size, so its aspect ratio is not kept. Each axis shrinks by
 *   area averaging (each target pixel is the mean of the source area it covers, with fractional
 *   pixels weighted by overlap) and grows by bilinear interpolation between pixel centres.
 * - Colour profiles, PNG gamma chunks and transparency keys of non-palette PNGs are ignored.
 */
import { decode as decodeJpeg } from 'jpeg-js';
import { convertIndexedToRgb, decode as decodePng } from 'fast-png';

/** Largest decoded image accepted, in pixels (25 megapixels, about 100 MB as RGBA bytes). */
export const MAX_IMAGE_PIXELS = 25_000_000;

/** Decoded image with float samples in 0–255, interleaved, `channels` per pixel. */
export interface DecodedImage {
  width: number;
  height: number;
  /** 1 (gray) or 3 (RGB), after alpha compositing. */
  channels: 1 | 3;
  samples: Float32Array;
}

export type ImageFormat = 'png' | 'jpeg';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Detects PNG or JPEG from the first bytes, or returns null for anything else. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((value, index) => bytes[index] === value)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/**
 * Decodes a PNG or JPEG (detected from its bytes, not its name). Throws a plain Error with the
 * reason; callers add the file and path.
 */
export function decodeImage(bytes: Uint8Array): DecodedImage {
  const format = detectImageFormat(bytes);
  if (format === 'png') return decodePngImage(bytes);
  if (format === 'jpeg') return decodeJpegImage(bytes);
  throw new Error('the data is neither a PNG nor a JPEG image (its first bytes match neither signature)');
}

function decodePngImage(bytes: Uint8Array): DecodedImage {
  // The IHDR chunk always comes first: width and height are big-endian uint32 at bytes 16 and 20.
  if (bytes.length >= 24) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    requireSize(view.getUint32(16), view.getUint32(20));
  }

  let png: ReturnType<typeof decodePng>;
  try {
    png = decodePng(bytes, { checkCrc: true });
  } catch (error) {
    throw new Error(`PNG decoding failed (${error instanceof Error ? error.message : String(error)})`);
  }

  let samples: ArrayLike<number>;
  let channels: number;
  let maxValue: number;
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    samples = rgb;
    channels = png.palette[0]?.length ?? 3;
    maxValue = 255;
  } else if (png.depth < 8) {
    samples = unpackBits(png.data as Uint8Array, png.width, png.height, png.channels, png.depth);
    channels = png.channels;
    maxValue = 2 ** png.depth - 1;
  } else {
    samples = png.data;
    channels = png.channels;
    maxValue = png.depth === 16 ? 65535 : 255;
  }
  return toGrayOrRgb(png.width, png.height, samples, channels, maxValue);
}

function decodeJpegImage(bytes: Uint8Array): DecodedImage {
  let jpeg: { width: number; height: number; data: Uint8Array };
  try {
    jpeg = decodeJpeg(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
      maxMemoryUsageInMB: 512,
    });
  } catch (error) {
    throw new Error(`JPEG decoding failed (${error instanceof Error ? error.message : String(error)})`);
  }
  // jpeg-js writes 3 channels per pixel when formatAsRGBA is false, also for grayscale JPEGs.
  return toGrayOrRgb(jpeg.width, jpeg.height, jpeg.data, 3, 255);
}

function requireSize(width: number, height: number): void {
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new Error(`the image is ${width}×${height} pixels, more than the ${MAX_IMAGE_PIXELS / 1e6} megapixels accepted; shrink it first`);
  }
}

/** Unpacks 1-, 2- or 4-bit samples; each row starts on a byte boundary. */
function unpackBits(data: Uint8Array, width: number, height: number, channels: number, depth: number): Uint8Array {
  const perRow = width * channels;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const mask = (1 << depth) - 1;
  const out = new Uint8Array(perRow * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < perRow; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)];
      out[y * perRow + x] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** Composites alpha over black and keeps 1 gray or 3 colour channels, as floats in 0–255. */
function toGrayOrRgb(width: number, height: number, samples: ArrayLike<number>, channels: number, maxValue: number): DecodedImage {
  const pixels = width * height;
  const colour = channels >= 3;
  const hasAlpha = channels === 2 || channels === 4;
  const outChannels = colour ? 3 : 1;
  const out = new Float32Array(pixels * outChannels);
  const scale = 255 / maxValue;

  for (let p = 0; p < pixels; p++) {
    const base = p * channels;
    const alpha = hasAlpha ? samples[base + channels - 1] / maxValue : 1;
    const factor = scale * alpha;
    for (let c = 0; c < outChannels; c++) out[p * outChannels + c] = samples[base + c] * factor;
  }
  return { width, height, channels: outChannels, samples: out };
}

/** Converts decoded samples to `channels` (1 = BT.601 luma, 3 = RGB). */
export function convertChannels(image: DecodedImage, channels: 1 | 3): DecodedImage {
  if (image.channels === channels) return image;
  const pixels = image.width * image.height;
  const out = new Float32Array(pixels * channels);
  if (channels === 1) {
    for (let p = 0; p < pixels; p++) {
      out[p] = 0.299 * image.samples[3 * p] + 0.587 * image.samples[3 * p + 1] + 0.114 * image.samples[3 * p + 2];
    }
  } else {
    for (let p = 0; p < pixels; p++) out.fill(image.samples[p], 3 * p, 3 * p + 3);
  }
  return { width: image.width, height: image.height, channels, samples: out };
}

/** Source taps and weights of each target pixel along one axis. */
interface AxisTaps {
  start: Int32Array;
  count: Int32Array;
  indices: Int32Array;
  weights: Float32Array;
}

/** Area-averaging weights when shrinking (or keeping) an axis, bilinear weights when growing it. */
export function axisTaps(sourceSize: number, targetSize: number): AxisTaps {
  const indices: number[] = [];
  const weights: number[] = [];
  const start = new Int32Array(targetSize);
  const count = new Int32Array(targetSize);
  const ratio = sourceSize / targetSize;

  for (let t = 0; t < targetSize; t++) {
    start[t] = indices.length;
    if (targetSize <= sourceSize) {
      const from = t * ratio;
      const to = (t + 1) * ratio;
      for (let s = Math.floor(from); s < Math.min(sourceSize, Math.ceil(to)); s++) {
        const overlap = Math.min(to, s + 1) - Math.max(from, s);
        if (overlap <= 0) continue;
        indices.push(s);
        weights.push(overlap / ratio);
      }
    } else {
      const centre = Math.min(sourceSize - 1, Math.max(0, (t + 0.5) * ratio - 0.5));
      const left = Math.floor(centre);
      const fraction = centre - left;
      indices.push(left);
      weights.push(1 - fraction);
      if (fraction > 0) {
        indices.push(left + 1);
        weights.push(fraction);
      }
    }
    count[t] = indices.length - start[t];
  }
  return { start, count, indices: Int32Array.from(indices), weights: Float32Array.from(weights) };
}

/** Resizes interleaved samples separably: rows first, then columns. */
export function resizeImage(image: DecodedImage, width: number, height: number): DecodedImage {
  if (image.width === width && image.height === height) return image;
  const channels = image.channels;
  const horizontal = axisTaps(image.width, width);
  const vertical = axisTaps(image.height, height);

  const rows = new Float32Array(image.height * width * channels);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = horizontal.start[x]; k < horizontal.start[x] + horizontal.count[x]; k++) {
          sum += horizontal.weights[k] * image.samples[(y * image.width + horizontal.indices[k]) * channels + c];
        }
        rows[(y * width + x) * channels + c] = sum;
      }
    }
  }

  const out = new Float32Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let k = vertical.start[y]; k < vertical.start[y] + vertical.count[y]; k++) {
      const weight = vertical.weights[k];
      const sourceRow = vertical.indices[k] * width * channels;
      for (let i = 0; i < width * channels; i++) out[y * width * channels + i] += weight * rows[sourceRow + i];
    }
  }
  return { width, height, channels, samples: out };
}

/** Decodes an image and converts it to `channels` at width × height, as rounded bytes written into `target`. */
export function decodeToShape(bytes: Uint8Array, width: number, height: number, channels: 1 | 3, target: Uint8Array): void {
  const resized = resizeImage(convertChannels(decodeImage(bytes), channels), width, height);
  for (let i = 0; i < target.length; i++) target[i] = Math.min(255, Math.max(0, Math.round(resized.samples[i])));
}
