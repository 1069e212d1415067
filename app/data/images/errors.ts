/** Errors and byte helpers shared by the image dataset parsers. */
import { gunzipSync } from 'fflate';

/**
 * Invalid image dataset input. The message starts with the file name, then names the record (an
 * image, label, line or path inside a zip) and what was expected. `file` and `record` repeat those
 * facts for code that needs them separately.
 */
export class ImageDatasetError extends Error {
  override name = 'ImageDatasetError';

  constructor(
    readonly file: string,
    message: string,
    readonly record?: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** A file's name and contents, as picked in the browser or read from disk. */
export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

/** Returns `bytes` as a Uint8Array view without copying. */
export function asBytes(data: Uint8Array | ArrayBuffer): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

/** True when the data starts with the gzip magic bytes 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip data, or returns the bytes unchanged when they do not start with the gzip magic. */
export function gunzipIfNeeded(fileName: string, bytes: Uint8Array): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ImageDatasetError(fileName, `the gzip data is invalid or truncated (${reason}). Download the file again or pick the uncompressed file.`);
  }
}

/** Formats a 32-bit value as 0x0000080… for messages. */
export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

/** Formats a count with thousands separators for messages. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}
