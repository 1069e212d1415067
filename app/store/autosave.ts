/**
 * Writes each task's comparison to storage when its revision moves. Edits are written after
 * EDIT_DELAY_MS, so typing in a field coalesces into one write. While a run records events, writes
 * happen at most once per RUN_SAVE_INTERVAL_MS, so a reload loses at most that much of it. `flush`
 * writes at once; the page calls it on pagehide, but a browser may end the page before an
 * IndexedDB write completes.
 *
 * Only the tab holding the storage lock runs this (tab-lock.ts). NOTE: in a browser without the Web
 * Locks API, two tabs each write their own comparisons, so the last write wins.
 */
import { create } from 'zustand';
import type { Task } from '../run/types';
import { addNotice, isRunning, localComparisons, useComparisonStore, type ComparisonState } from './comparison';
import { RECORD_VERSION, type ComparisonStorage, type StoredComparison } from './persistence';

export const EDIT_DELAY_MS = 150;
export const RUN_SAVE_INTERVAL_MS = 1000;

export type StorageStatus = 'connecting' | 'unavailable' | 'idle' | 'saving' | 'saved' | 'error';

export interface StorageState {
  status: StorageStatus;
  /** 'indexeddb' keeps comparisons across reloads; 'memory' does not. */
  kind: ComparisonStorage['kind'] | null;
  /** Revision of each task's comparison that storage holds. */
  savedRevisions: Record<Task, number>;
  /** Reason the last save or the connection failed. */
  message: string | null;
}

export const useStorageStore = create<StorageState>()(() => ({
  status: 'connecting',
  kind: null,
  savedRevisions: { 'language-model': 0, vision: 0 },
  message: null,
}));

export interface Autosave {
  /** Writes every comparison whose revision moved, and resolves when done. */
  flush(): Promise<void>;
  stop(): void;
}

function recordOf(task: Task, state: ComparisonState, now: number): StoredComparison {
  const local = state.local[task];
  return { id: task, recordVersion: RECORD_VERSION, comparison: local.comparison, selectedRunId: local.selectedRunId, savedAt: now, activatedAt: local.activatedAt };
}

/**
 * Starts saving the comparison store to `storage`. `savedRevisions` starts at the store's current
 * revisions, since those are what was just restored.
 */
export function startAutosave(storage: ComparisonStorage, clock: () => number = Date.now): Autosave {
  useStorageStore.setState({ status: 'idle', kind: storage.kind, savedRevisions: { ...useComparisonStore.getState().revisions }, message: null });

  let timer: ReturnType<typeof setTimeout> | null = null;
  let inFlight: Promise<void> | null = null;
  let lastSaveAt = -Infinity;
  let stopped = false;
  let lastError: string | null = null;

  const dirtyTasks = (): Task[] => {
    const state = useComparisonStore.getState();
    const saved = useStorageStore.getState().savedRevisions;
    if (!state.ready) return [];
    return localComparisons(state)
      .map(([task]) => task)
      .filter((task) => state.revisions[task] !== saved[task]);
  };

  const saveDirty = async (): Promise<void> => {
    const tasks = dirtyTasks();
    if (tasks.length === 0) return;
    const state = useComparisonStore.getState();
    const now = clock();
    lastSaveAt = now;
    useStorageStore.setState({ status: 'saving' });
    try {
      for (const task of tasks) {
        await storage.save(recordOf(task, state, now));
        useStorageStore.setState((storageState) => ({ savedRevisions: { ...storageState.savedRevisions, [task]: state.revisions[task] } }));
      }
      lastError = null;
      useStorageStore.setState({ status: 'saved', message: null });
    } catch (error) {
      const message = `Saving the comparison failed: ${error instanceof Error ? error.message : String(error)}. Results recorded since then are lost on reload; use Share, or export the metrics as CSV or JSON, to keep them.`;
      useStorageStore.setState({ status: 'error', message });
      if (message !== lastError) {
        lastError = message;
        console.error(message);
        addNotice('storage', message);
      }
    }
  };

  const run = (): Promise<void> => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (inFlight) return inFlight.then(run);
    inFlight = saveDirty().finally(() => {
      inFlight = null;
      if (!stopped && dirtyTasks().length) schedule();
    });
    return inFlight;
  };

  const schedule = (): void => {
    if (stopped || timer !== null || inFlight) return;
    if (dirtyTasks().length === 0) return;
    const state = useComparisonStore.getState();
    const delay = isRunning(state) ? Math.max(EDIT_DELAY_MS, lastSaveAt + RUN_SAVE_INTERVAL_MS - clock()) : EDIT_DELAY_MS;
    timer = setTimeout(() => void run(), delay);
  };

  const unsubscribe = useComparisonStore.subscribe((state, previous) => {
    if (state.revisions !== previous.revisions || state.ready !== previous.ready) schedule();
  });
  schedule();

  return {
    flush: run,
    stop() {
      stopped = true;
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

/** Records that comparisons are not saved, with the reason. */
export function markStorageUnavailable(reason: string): void {
  useStorageStore.setState({ status: 'unavailable', kind: 'memory', message: reason });
}
