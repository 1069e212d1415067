/**
 * `window.__playground`: a read-only summary of the page for browser tests and for people inspecting
 * it from the devtools console. Each read returns a fresh frozen snapshot.
 *
 * The current run (executing, or the last one started):
 *   task                 'language-model' | 'vision' of that run, null before the first run
 *   runId                its id in the comparison, null before the first run
 *   steps                step events received (after batching, so it may trail the worker briefly)
 *   evals                eval events received
 *   accuracy             vision runs: one { step, accuracy } per evaluation, accuracy in [0, 1]
 *   memoryBytes          bytes per memory category at the latest step, null before the run has started
 *   optimizerStateBytes  optimizer-state + preconditioner + quantization-scales bytes at the latest step
 *   phase                'idle' | 'starting' | 'running' | 'stopping' | 'finished'
 *   errors               run error messages not yet dismissed
 *   lastEvent            the last RunEvent applied, or null
 * The comparison on screen:
 *   ready                the saved comparisons have been restored (or storage failed)
 *   running              a run executes or waits in the queue
 *   activeRunId, queue   the executing run and the waiting ones
 *   source               'local' (the task's own, saved) or 'link' (opened from a share link, unsaved)
 *   selectedRunId        the run the form edits
 *   comparison           the Comparison as JSON (configs, series, summaries)
 *   charts               the points each chart draws (see chart-data.ts), on the current x axis
 *   pendingChange        held form edits: { runId, paths, clearsResultsOf }, or null
 *   notices              page messages: { kind: 'link-error' | 'restore' | 'storage', message }
 *   storage              { status, kind, saved }: saved is true when storage holds every change
 */
import type { MemoryBytes } from '../../kernels/gpu/pool';
import type { RunEvent, Task } from '../run/types';
import type { Comparison } from '../share';
import { useStorageStore, type StorageState } from './autosave';
import { chartData, type ChartData } from './chart-data';
import { displayedComparison, displayedSelection, isRunning, useComparisonStore, type NoticeKind } from './comparison';
import { optimizerStateBytes, useRunStore, type RunPhase } from './run';

export interface AccuracyPoint {
  readonly step: number;
  readonly accuracy: number;
}

export interface PlaygroundSummary {
  readonly task: Task | null;
  readonly runId: string | null;
  readonly steps: number;
  readonly evals: number;
  readonly accuracy: readonly AccuracyPoint[];
  readonly memoryBytes: Readonly<MemoryBytes> | null;
  readonly optimizerStateBytes: number | null;
  readonly phase: RunPhase;
  readonly errors: readonly string[];
  readonly lastEvent: RunEvent | null;
  readonly ready: boolean;
  readonly running: boolean;
  readonly activeRunId: string | null;
  readonly queue: readonly string[];
  readonly source: 'local' | 'link';
  readonly selectedRunId: string;
  readonly comparison: Comparison;
  readonly charts: ChartData;
  readonly pendingChange: { readonly runId: string; readonly paths: readonly string[]; readonly clearsResultsOf: readonly string[] } | null;
  readonly notices: readonly { readonly kind: NoticeKind; readonly message: string }[];
  readonly storage: { readonly status: StorageState['status']; readonly kind: StorageState['kind']; readonly saved: boolean };
}

declare global {
  interface Window {
    readonly __playground?: PlaygroundSummary;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Builds the snapshot that `window.__playground` returns. */
export function playgroundSummary(): PlaygroundSummary {
  const live = useRunStore.getState();
  const state = useComparisonStore.getState();
  const storage = useStorageStore.getState();
  const comparison = displayedComparison(state);

  const runComparison = state.local[live.task ?? state.task].comparison;
  const currentRun = live.runId ? runComparison.runs.find((run) => run.id === live.runId) : undefined;
  const accuracySeries = currentRun?.results?.series.accuracy;
  const accuracy = accuracySeries ? accuracySeries.steps.map((step, index) => ({ step, accuracy: accuracySeries.values[index] })) : [];
  const memory = live.latestMemory;
  const saved = (['language-model', 'vision'] as const).every((task) => storage.savedRevisions[task] === state.revisions[task]);

  return deepFreeze({
    task: live.task,
    runId: live.runId,
    steps: live.stepEvents,
    evals: live.evalEvents,
    accuracy,
    memoryBytes: memory ? { ...memory } : null,
    optimizerStateBytes: memory ? optimizerStateBytes(memory) : null,
    phase: live.phase,
    errors: live.errors.map((notice) => notice.message),
    lastEvent: live.lastEvent ? structuredClone(live.lastEvent) : null,
    ready: state.ready,
    running: isRunning(state),
    activeRunId: state.activeRunId,
    queue: [...state.queue],
    source: state.shared ? 'link' : 'local',
    selectedRunId: displayedSelection(state),
    comparison: structuredClone(comparison),
    charts: structuredClone(chartData(comparison, state.xAxis)),
    pendingChange: state.pendingChange
      ? { runId: state.pendingChange.runId, paths: state.pendingChange.changes.map((change) => change.path), clearsResultsOf: [...state.pendingChange.clearsResultsOf] }
      : null,
    notices: state.notices.map((notice) => ({ kind: notice.kind, message: notice.message })),
    storage: { status: storage.status, kind: storage.kind, saved },
  });
}

export function exposePlaygroundSummary(target: Window): void {
  Object.defineProperty(target, '__playground', {
    configurable: true,
    enumerable: false,
    get: playgroundSummary,
  });
}
