/** The RunConfig model and dataset sources that a comparison's model and dataset stand for. */
import type { DatasetSource, RunConfig } from '../run/types';
import type { ComparisonDataset, ComparisonModel } from './types';

/** Returns the `model` field every run's config carries: the comparison's model without file references. */
export function modelSourceOf(model: ComparisonModel): RunConfig['model'] {
  switch (model.kind) {
    case 'embedded':
      return { kind: 'embedded', id: model.id };
    case 'files':
      return { kind: 'files', name: model.name };
    case 'hub':
      return { kind: 'hub', repo: model.repo, revision: model.revision };
    case 'builtin':
      return { kind: 'builtin', architecture: model.architecture };
  }
}

/** Returns the `dataset` field every run's config carries: the comparison's dataset without file references. */
export function datasetSourceOf(dataset: ComparisonDataset): DatasetSource {
  return dataset.kind === 'embedded' ? { kind: 'embedded', id: dataset.id } : { kind: 'upload', name: dataset.name, size: dataset.size };
}

/** Compares two plain JSON values, ignoring the order of object keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  const aKeys = Object.keys(a).filter((key) => (a as Record<string, unknown>)[key] !== undefined);
  const bKeys = Object.keys(b).filter((key) => (b as Record<string, unknown>)[key] !== undefined);
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every((key) => sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
