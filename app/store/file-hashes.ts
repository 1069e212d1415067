/**
 * SHA-256 references of picked files, computed once per File object, and the files already checked
 * against a comparison's upload references. Uploaded files live only in page memory: after a reload
 * or from a link, the person picks them again and they are checked here before a run reads them.
 */
import { fileReference, type ComparisonDataset, type FileReference } from '../share';

const references = new WeakMap<File, Promise<FileReference>>();

/** Reads `file` and returns its name, size and SHA-256; repeated calls reuse the first result. */
export function fileReferenceOf(file: File): Promise<FileReference> {
  let reference = references.get(file);
  if (!reference) {
    reference = file.arrayBuffer().then((bytes) => fileReference({ name: file.name, bytes }));
    // A failed read is not cached, so picking the file again retries.
    reference.catch(() => references.delete(file));
    references.set(file, reference);
  }
  return reference;
}

export function referencesOf(files: readonly File[]): Promise<FileReference[]> {
  return Promise.all(files.map(fileReferenceOf));
}

/** Identifies the bytes of a set of files, ignoring their names and order. */
export function referencesKey(files: readonly FileReference[]): string {
  return files
    .map((file) => `${file.sha256}:${file.size}`)
    .sort()
    .join(',');
}

const verified = new Map<string, File[]>();

/** Records `files` as the picked copies of the upload with `refs`, so the form can offer them again. */
export function rememberVerifiedUpload(refs: readonly FileReference[], files: readonly File[]): void {
  verified.set(referencesKey(refs), [...files]);
}

/** Returns the files picked and checked earlier in this page for `dataset`, or null. */
export function verifiedUploadFor(dataset: ComparisonDataset): File[] | null {
  if (dataset.kind !== 'upload') return null;
  return verified.get(referencesKey(dataset.files)) ?? null;
}

/** Forgets every checked upload; for tests. */
export function forgetVerifiedUploads(): void {
  verified.clear();
}
