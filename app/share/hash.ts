/**
 * SHA-256 references of uploaded files. A comparison never embeds an uploaded dataset: it records
 * each file's name, size and SHA-256, and "Run again" checks the picked files against them.
 */
import type { ComparisonDataset, FileReference } from './types';

/** A file's name and contents. */
export interface NamedFile {
  name: string;
  bytes: Uint8Array | ArrayBuffer;
}

function subtleCrypto(): SubtleCrypto {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    // Browsers expose crypto.subtle only in secure contexts.
    throw new Error('SHA-256 needs crypto.subtle, which browsers provide only on https:// and localhost pages. Open the page through one of those.');
  }
  return subtle;
}

/** SHA-256 of `bytes` as 64 lowercase hex digits (Web Crypto, so the same in browsers and Node 20). */
export async function sha256Hex(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  // digest() rejects views of a SharedArrayBuffer, so such input is copied first.
  const input = view.buffer instanceof ArrayBuffer ? view : view.slice();
  const digest = new Uint8Array(await subtleCrypto().digest('SHA-256', input as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Computes the reference a comparison stores for `file`. */
export async function fileReference(file: NamedFile): Promise<FileReference> {
  return { name: file.name, size: file.bytes.byteLength, sha256: await sha256Hex(file.bytes) };
}

/** Maximum dataset name length that the run config schema accepts. */
const MAX_DATASET_NAME = 500;

/**
 * Builds the comparison dataset of uploaded files: their names joined with ", " (shortened to the
 * config's 500-character limit the way the vision form does), their total size, and one reference
 * per file.
 */
export async function uploadDatasetReference(files: readonly NamedFile[]): Promise<Extract<ComparisonDataset, { kind: 'upload' }>> {
  if (files.length === 0) throw new Error('An uploaded dataset needs at least one file.');
  const references = await Promise.all(files.map((file) => fileReference(file)));
  let name = references.map((file) => file.name).join(', ');
  if (name.length > MAX_DATASET_NAME) {
    const suffix = ` … (${files.length} files)`;
    name = name.slice(0, MAX_DATASET_NAME - suffix.length) + suffix;
  }
  return { kind: 'upload', name, size: references.reduce((sum, file) => sum + file.size, 0), files: references };
}

export interface FileCheck {
  /** True when every referenced file was given with the same size and SHA-256, and nothing else. */
  ok: boolean;
  /** Reasons the files do not match, one sentence each. */
  problems: string[];
  /** Matches that are still accepted, such as a single file under another name. */
  warnings: string[];
}

/**
 * Checks picked `files` against the `references` a comparison stores. Files are paired by name. A
 * single file and a single reference are paired whatever the names (with a warning), because a
 * renamed copy contains the same bytes.
 */
export async function checkFiles(files: readonly NamedFile[], references: readonly FileReference[]): Promise<FileCheck> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const pairs: Array<[NamedFile, FileReference]> = [];
  if (files.length === 1 && references.length === 1) {
    pairs.push([files[0], references[0]]);
    if (files[0].name !== references[0].name) warnings.push(`"${files[0].name}" is checked against "${references[0].name}" by its size and SHA-256, since the names differ.`);
  } else {
    const byName = new Map(files.map((file) => [file.name, file]));
    for (const reference of references) {
      const file = byName.get(reference.name);
      if (file) pairs.push([file, reference]);
      else problems.push(`The file "${reference.name}" (${reference.size} bytes) is missing; pick it too.`);
    }
    const referenced = new Set(references.map((reference) => reference.name));
    for (const file of files) {
      if (!referenced.has(file.name)) problems.push(`"${file.name}" is not one of the comparison's files (${references.map((r) => `"${r.name}"`).join(', ')}).`);
    }
  }
  for (const [file, reference] of pairs) {
    const size = file.bytes.byteLength;
    if (size !== reference.size) {
      problems.push(`"${file.name}" has ${size} bytes, but the comparison's "${reference.name}" has ${reference.size}; pick the file the comparison was made with.`);
      continue;
    }
    const digest = await sha256Hex(file.bytes);
    if (digest !== reference.sha256) {
      problems.push(`"${file.name}" has SHA-256 ${digest}, but the comparison's "${reference.name}" has ${reference.sha256}; pick the file the comparison was made with.`);
    }
  }
  return { ok: problems.length === 0, problems, warnings };
}
