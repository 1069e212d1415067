/**
 * The comparison storage: the IndexedDB adapter on fake-indexeddb, and the in-memory adapter, held
 * to one contract; and the validation of records read back.
 */
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, DEFAULT_MEZO } from '../../app/run/config';
import { buildComparison } from '../../app/share';
import {
  checkStoredRecord,
  COMPARISON_STORE,
  DATABASE_VERSION,
  memoryStorage,
  openIndexedDbStorage,
  RECORD_VERSION,
  type ComparisonStorage,
  type StoredComparison,
} from '../../app/store/persistence';
import { languageModelComparison, visionComparison } from './share-fixtures';

let databaseCount = 0;

/** Returns a fresh database name per test, so tests never read each other's records. */
function databaseName(): string {
  databaseCount += 1;
  return `comparison-storage-test-${databaseCount}`;
}

/** Returns the error of a failed check or load, or undefined when it succeeded. */
function errorOf(result: { ok: true } | { ok: false; error: string } | undefined): string | undefined {
  return result && !result.ok ? result.error : undefined;
}

function lmRecord(overrides: Partial<StoredComparison> = {}): StoredComparison {
  const comparison = languageModelComparison();
  return { id: 'language-model', recordVersion: RECORD_VERSION, comparison, selectedRunId: comparison.runs[1].id, savedAt: 1000, activatedAt: 900, ...overrides };
}

function visionRecord(): StoredComparison {
  const comparison = visionComparison();
  return { id: 'vision', recordVersion: RECORD_VERSION, comparison, selectedRunId: comparison.runs[0].id, savedAt: 2000, activatedAt: 1900 };
}

const adapters: Array<[string, () => Promise<ComparisonStorage>]> = [
  ['indexeddb', () => openIndexedDbStorage(databaseName())],
  ['memory', async () => memoryStorage()],
];

describe.each(adapters)('%s storage', (kind, open) => {
  it('starts empty', async () => {
    const storage = await open();
    expect(storage.kind).toBe(kind);
    expect(await storage.loadAll()).toEqual([]);
  });

  it('returns saved records unchanged', async () => {
    const storage = await open();
    const lm = lmRecord();
    const vision = visionRecord();
    await storage.save(lm);
    await storage.save(vision);
    const loaded = await storage.loadAll();
    expect(loaded).toHaveLength(2);
    const byId = new Map(loaded.map((entry) => [entry.ok ? entry.record.id : entry.id, entry]));
    expect(byId.get('language-model')).toEqual({ ok: true, record: lm });
    expect(byId.get('vision')).toEqual({ ok: true, record: vision });
  });

  it('stores a copy, not the object', async () => {
    const storage = await open();
    const record = lmRecord();
    await storage.save(record);
    record.comparison.runs[0].label = 'changed after saving';
    const [loaded] = await storage.loadAll();
    expect(loaded.ok && loaded.record.comparison.runs[0].label).toBe(languageModelComparison().runs[0].label);
  });

  it('replaces the record of the same task', async () => {
    const storage = await open();
    await storage.save(lmRecord());
    const single = buildComparison([{ ...DEFAULT_CONFIG, optimizer: DEFAULT_MEZO }]);
    await storage.save(lmRecord({ comparison: single, selectedRunId: single.runs[0].id, savedAt: 5000 }));
    const loaded = await storage.loadAll();
    expect(loaded).toHaveLength(1);
    expect(loaded[0].ok && loaded[0].record.comparison.runs.map((run) => run.id)).toEqual(['mezo']);
    expect(loaded[0].ok && loaded[0].record.savedAt).toBe(5000);
  });

  it('removes a record', async () => {
    const storage = await open();
    await storage.save(lmRecord());
    await storage.save(visionRecord());
    await storage.remove('language-model');
    const loaded = await storage.loadAll();
    expect(loaded.map((entry) => entry.ok && entry.record.id)).toEqual(['vision']);
  });
});

describe('indexeddb storage', () => {
  it('keeps records across connections', async () => {
    const name = databaseName();
    const first = await openIndexedDbStorage(name);
    await first.save(lmRecord());
    first.close();

    const second = await openIndexedDbStorage(name);
    const loaded = await second.loadAll();
    expect(loaded).toEqual([{ ok: true, record: lmRecord() }]);
  });

  it('creates the comparisons store keyed by task', async () => {
    const name = databaseName();
    (await openIndexedDbStorage(name)).close();
    const raw = await openDB(name);
    expect(raw.version).toBe(DATABASE_VERSION);
    expect([...raw.objectStoreNames]).toEqual([COMPARISON_STORE]);
    expect(raw.transaction(COMPARISON_STORE).store.keyPath).toBe('id');
    raw.close();
  });

  it('reports damaged records without applying them', async () => {
    const name = databaseName();
    const storage = await openIndexedDbStorage(name);
    await storage.save(visionRecord());
    const raw = await openDB(name);
    const broken = lmRecord();
    (broken.comparison.runs[0].config as { batchSize: number }).batchSize = -3;
    await raw.put(COMPARISON_STORE, broken);
    raw.close();

    const loaded = await storage.loadAll();
    const lm = loaded.find((entry) => !entry.ok);
    expect(lm).toMatchObject({ ok: false, id: 'language-model' });
    expect(errorOf(lm)).toContain('runs.0.config.batchSize must be >= 1 (got -3)');
    expect(loaded.filter((entry) => entry.ok)).toHaveLength(1);
  });
});

describe('stored record check', () => {
  it('accepts a valid record', () => {
    expect(checkStoredRecord(lmRecord())).toEqual({ ok: true, record: lmRecord() });
  });

  it('rejects another record version', () => {
    const result = checkStoredRecord({ ...lmRecord(), recordVersion: 2 });
    expect(result.ok).toBe(false);
    expect(errorOf(result)).toContain('record version 2, but this page reads version 1');
  });

  it('rejects a record that is not an object', () => {
    expect(checkStoredRecord('text')).toEqual({ ok: false, id: '?', error: 'The saved record is not an object.' });
    expect(checkStoredRecord(null).ok).toBe(false);
  });

  it('rejects an unknown task id', () => {
    const result = checkStoredRecord({ ...lmRecord(), id: 'audio' });
    expect(errorOf(result)).toContain('unknown task id "audio"');
  });

  it('rejects a comparison of the other task', () => {
    const result = checkStoredRecord({ ...visionRecord(), id: 'language-model' });
    expect(errorOf(result)).toContain('holds a vision comparison');
  });

  it('rejects a selection outside the comparison', () => {
    const result = checkStoredRecord(lmRecord({ selectedRunId: 'adamw' }));
    expect(errorOf(result)).toContain('selects the run "adamw", which it does not contain');
  });

  it('rejects a missing time', () => {
    const { savedAt: _savedAt, ...withoutTime } = lmRecord();
    const result = checkStoredRecord(withoutTime);
    expect(errorOf(result)).toContain('no valid savedAt time');
  });

  it('rejects an invalid comparison with its problems', () => {
    const record = lmRecord();
    record.comparison.runs[1].results!.series.trainLoss.values[0] = -1;
    const result = checkStoredRecord(record);
    expect(result.ok).toBe(false);
    expect(errorOf(result)).toContain('runs.1.results.series.trainLoss.values.0 must be >= 0');
  });
});
