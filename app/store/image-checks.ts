/**
 * The check that runs when image dataset files are picked. The files are read and parsed with the
 * worker's parsers, so a format error (wrong magic number, count mismatch, unreadable image) shows
 * with its file and record before Run. The worker parses the files again at run time.
 */
import { loadImageUpload, recognizeImageUpload, summarizeClasses, type ImageShape, type NamedBytes } from '../data/images';
import { IMAGE_UPLOAD_EVAL_FRACTION } from '../run/vision-resources';
import type { FileCheck } from './file-checks';

/** Summary of an image upload that parsed: format, image shape (which the network is built for), classes and split sizes. */
export interface ImageUploadSummary {
  format: 'idx' | 'zip' | 'csv';
  shape: ImageShape;
  classCount: number;
  /** Labels with no held-out image in the check's split (a test file may lack classes). */
  missingFromHeldOut: number[];
  trainCount: number;
  evalCount: number;
}

/**
 * Seed of the held-out split made for the check. The worker splits with the run's seed, which picks
 * other images but the same number per class, so the counts shown here hold for every seed.
 */
const CHECK_SPLIT_SEED = 1;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads picked files as bytes, in the form the worker receives them. */
export async function readImageFiles(files: readonly File[]): Promise<NamedBytes[]> {
  return Promise.all(files.map(async (file) => ({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })));
}

/** Parses picked image dataset files with the worker's parsers. Never rejects. */
export async function checkImageFiles(files: readonly File[]): Promise<FileCheck<ImageUploadSummary>> {
  let named: NamedBytes[];
  try {
    named = await readImageFiles(files);
  } catch (error) {
    const names = files.map((file) => file.name).join(', ');
    return { status: 'invalid', message: `${names}: reading the files failed (${errorMessage(error)}). Pick the files again.` };
  }
  return checkImageBytes(named);
}

/** Parses image dataset files already read into memory. Never throws. */
export function checkImageBytes(files: readonly NamedBytes[]): FileCheck<ImageUploadSummary> {
  try {
    const upload = recognizeImageUpload(files);
    const split = loadImageUpload(upload, { evalFraction: IMAGE_UPLOAD_EVAL_FRACTION, seed: CHECK_SPLIT_SEED });
    const { train } = split;
    return {
      status: 'valid',
      value: {
        format: upload.format,
        shape: { width: train.width, height: train.height, channels: train.channels },
        classCount: train.classes.length,
        missingFromHeldOut: summarizeClasses(split).missingFromHeldOut,
        trainCount: train.count,
        evalCount: split.eval.count,
      },
    };
  } catch (error) {
    return { status: 'invalid', message: errorMessage(error) };
  }
}
