/**
 * Storage of comparisons across page loads, in IndexedDB. One object store, `comparisons`, holds
 * one record per task: that task's comparison with every run's config, metric series and results,
 * the run selected in the form, and when the person last worked on it. Uploaded files are never
 * stored; the comparison keeps each file's name, size and SHA-256, and the page asks for the file
 * again before a run needs it.
 *
 * Both adapters below implement ComparisonStorage: `openIndexedDbStorage` for the page, and
 * `memoryStorage` for tests and for browsers where IndexedDB is unavailable (private windows of
 * some browsers). Records are validated when read, so a record written by another version of the
 * page, or damaged, is reported and never applied.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { validateComparison, type Comparison } from '../share';
import type { Task } from '../run/types';

export const DATABASE_NAME = 'webgpu-playground';
/** IndexedDB schema version: bump it, with an upgrade step, when object stores or keys change. */
export const DATABASE_VERSION = 1;
export const COMPARISON_STORE = 'comparisons';
/** Layout version of a StoredComparison; bump it when a record field changes meaning. */
export const RECORD_VERSION = 1;

const TASKS: readonly Task[] = ['language-model', 'vision'];

/** The saved state of one task's comparison. */
export interface StoredComparison {
  /** The record key: one record per task. */
  id: Task;
  recordVersion: typeof RECORD_VERSION;
  comparison: Comparison;
  /** The run whose settings the form shows. */
  selectedRunId: string;
  /** Page clock time of the save, in ms since the epoch. */
  savedAt: number;
  /** Page clock time when the person last switched to this task; the page opens on the latest. */
  activatedAt: number;
}

/** A record as read back: valid, or the reason it cannot be restored. */
export type LoadedRecord = { ok: true; record: StoredComparison } | { ok: false; id: string; error: string };

export interface ComparisonStorage {
  /** 'indexeddb' keeps records across page loads; 'memory' loses them with the page. */
  readonly kind: 'indexeddb' | 'memory';
  /** Reads and validates every record. */
  loadAll(): Promise<LoadedRecord[]>;
  /** Writes `record`, replacing the record of the same task. */
  save(record: StoredComparison): Promise<void>;
  remove(id: Task): Promise<void>;
  close(): void;
}

/** Checks that `value`, read from storage, is a StoredComparison this page can restore. */
export function checkStoredRecord(value: unknown): LoadedRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, id: '?', error: 'The saved record is not an object.' };
  }
  const record = value as Partial<StoredComparison>;
  const id = typeof record.id === 'string' ? record.id : '?';
  const fail = (error: string): LoadedRecord => ({ ok: false, id, error });

  if (!TASKS.includes(record.id as Task)) return fail(`The saved record has the unknown task id ${JSON.stringify(record.id)}.`);
  if (record.recordVersion !== RECORD_VERSION) {
    return fail(`The saved ${id} comparison has record version ${JSON.stringify(record.recordVersion)}, but this page reads version ${RECORD_VERSION}; it was saved by another version of the page.`);
  }
  for (const field of ['savedAt', 'activatedAt'] as const) {
    if (typeof record[field] !== 'number' || !Number.isFinite(record[field])) return fail(`The saved ${id} comparison has no valid ${field} time.`);
  }
  const problems = validateComparison(record.comparison);
  if (problems.length) return fail(`The saved ${id} comparison is invalid:\n- ${problems.join('\n- ')}`);
  const comparison = record.comparison as Comparison;
  if (comparison.task !== record.id) return fail(`The saved ${id} comparison holds a ${comparison.task} comparison.`);
  if (!comparison.runs.some((run) => run.id === record.selectedRunId)) {
    return fail(`The saved ${id} comparison selects the run ${JSON.stringify(record.selectedRunId)}, which it does not contain.`);
  }
  return { ok: true, record: record as StoredComparison };
}

interface PlaygroundDatabase extends DBSchema {
  comparisons: { key: Task; value: StoredComparison };
}

/**
 * Opens (and on first use creates) the IndexedDB database. Rejects when IndexedDB is missing or
 * refuses to open; the caller then falls back to memoryStorage and says so.
 */
export async function openIndexedDbStorage(name = DATABASE_NAME): Promise<ComparisonStorage> {
  if (typeof indexedDB === 'undefined') throw new Error('this browser provides no IndexedDB');

  let database: IDBPDatabase<PlaygroundDatabase> | null = null;
  database = await openDB<PlaygroundDatabase>(name, DATABASE_VERSION, {
    upgrade(db, oldVersion) {
      // Version 1 created the comparisons store; later versions add their steps after this one.
      if (oldVersion < 1) db.createObjectStore(COMPARISON_STORE, { keyPath: 'id' });
    },
    blocked() {
      console.warn(`Opening the ${name} database waits for another tab of this page that has an older version of it open; close that tab.`);
    },
    blocking() {
      // A tab with a newer page wants to upgrade the database: close it here, so the upgrade can run.
      database?.close();
      database = null;
    },
  });

  const open = (): IDBPDatabase<PlaygroundDatabase> => {
    if (!database) throw new Error('the database was closed because another tab upgraded it; reload this page');
    return database;
  };

  return {
    kind: 'indexeddb',
    async loadAll() {
      const values: unknown[] = await open().getAll(COMPARISON_STORE);
      return values.map(checkStoredRecord);
    },
    async save(record) {
      await open().put(COMPARISON_STORE, record);
    },
    async remove(id) {
      await open().delete(COMPARISON_STORE, id);
    },
    close() {
      database?.close();
      database = null;
    },
  };
}

/** Keeps records in a Map, as structured clones, so a saved record never shares objects with the page. */
export function memoryStorage(): ComparisonStorage {
  const records = new Map<Task, StoredComparison>();
  return {
    kind: 'memory',
    async loadAll() {
      return [...records.values()].map((record) => checkStoredRecord(structuredClone(record)));
    },
    async save(record) {
      records.set(record.id, structuredClone(record));
    },
    async remove(id) {
      records.delete(id);
    },
    close() {},
  };
}
