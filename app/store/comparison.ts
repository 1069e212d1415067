/**
 * The comparisons of the page: one per task, each a list of runs that share model, dataset and seed
 * and differ in optimizer and hyperparameters, with what every run recorded. The run form edits the
 * selected run of the task on screen. Runs execute one after another from `queue` (see
 * app/run/client.ts), and their events are recorded with app/share's recordRunEvent, so a run's
 * series and summary are the same as the CLI writes.
 *
 * A comparison opened from a share link is shown in `shared`, read-only and unsaved, until the
 * person keeps it (it then replaces the task's comparison) or closes it.
 *
 * Every change of a task's comparison bumps `revisions[task]`; app/store/autosave.ts writes the
 * comparison to IndexedDB when it moves.
 */
import { create } from 'zustand';
import type { RunConfig, RunEvent, Task } from '../run/types';
import { emptyRunResults, recordRunEvent, removeRun, setRunResults, interruptRunning, type Comparison, type ComparisonRun, type RunResults } from '../share';
import {
  addLabelledRun,
  configChanges,
  defaultComparison,
  duplicateRun,
  findRun,
  nextRunConfig,
  renameRun,
  replaceRunConfig,
  replaceSharedSettings,
  type ConfigChange,
  type SharedSettings,
} from './comparison-edit';
import type { LoadedRecord } from './persistence';
import { forgetRunWeights } from './weights';

export type XAxis = 'step' | 'time';

export interface TaskComparison {
  comparison: Comparison;
  /** The run whose settings the form shows. */
  selectedRunId: string;
  /** Page clock time when the person last switched to this task, in ms since the epoch. */
  activatedAt: number;
}

/** A comparison opened from a share link: shown, never saved, until kept or closed. */
export interface SharedView {
  comparison: Comparison;
  selectedRunId: string;
}

/** The config the run form derives for the selected run, and the shared settings it implies. */
export interface FormTarget {
  /** The selected run's config as the form derives it. */
  config: RunConfig;
  /** The shared settings the form derives (an upload with its files' SHA-256). */
  shared: SharedSettings;
}

/**
 * Form edits held back because applying them would clear recorded results. The person applies
 * them, adds them as a new run (per-run edits only), or reverts the form.
 */
export interface PendingChange {
  task: Task;
  runId: string;
  target: FormTarget;
  /** Changed fields of the selected run's config, shared ones included. */
  changes: ConfigChange[];
  /** Whether model, dataset or seed change, which applies to every run. */
  sharedChanged: boolean;
  /** Runs whose results applying would clear. */
  clearsResultsOf: string[];
}

export type NoticeKind = 'link-error' | 'restore' | 'storage';

/** A message about the page rather than a run: an unreadable link, a record that could not be restored, a failed save. */
export interface Notice {
  id: number;
  kind: NoticeKind;
  message: string;
}

export interface ComparisonState {
  /** False until the saved comparisons are restored; nothing runs, syncs or saves before. */
  ready: boolean;
  /** The task on screen. */
  task: Task;
  local: Record<Task, TaskComparison>;
  shared: SharedView | null;
  /** Per task, bumped on every change of its local comparison. */
  revisions: Record<Task, number>;
  /** Bumped whenever the form must reload the selected run's settings (another run, another comparison). */
  formLoads: number;
  /** Task whose runs are queued or running. */
  runTask: Task | null;
  /** Runs waiting to run, in order. */
  queue: string[];
  activeRunId: string | null;
  /** The run whose live state the status line shows: the active run, or the last one started. */
  lastRunId: string | null;
  pendingChange: PendingChange | null;
  /** Set while the SHA-256 of picked upload files is computed; Run waits for it. */
  hashing: string | null;
  xAxis: XAxis;
  notices: Notice[];
}

const TASKS: readonly Task[] = ['language-model', 'vision'];

function freshTaskComparison(task: Task, activatedAt = 0): TaskComparison {
  const comparison = defaultComparison(task);
  return { comparison, selectedRunId: comparison.runs[0].id, activatedAt };
}

function initialState(): ComparisonState {
  return {
    ready: false,
    task: 'language-model',
    local: { 'language-model': freshTaskComparison('language-model'), vision: freshTaskComparison('vision') },
    shared: null,
    revisions: { 'language-model': 0, vision: 0 },
    formLoads: 0,
    runTask: null,
    queue: [],
    activeRunId: null,
    lastRunId: null,
    pendingChange: null,
    hashing: null,
    xAxis: 'step',
    notices: [],
  };
}

export const useComparisonStore = create<ComparisonState>()(() => initialState());

/** Restores the initial state; for tests. */
export function resetComparisonStore(): void {
  useComparisonStore.setState(initialState(), true);
}

let nextNoticeId = 1;

/** Returns the comparison on screen: the shared one while a link is open, else the task's own. */
export function displayedComparison(state: ComparisonState): Comparison {
  return state.shared?.comparison ?? state.local[state.task].comparison;
}

export function displayedSelection(state: ComparisonState): string {
  return state.shared?.selectedRunId ?? state.local[state.task].selectedRunId;
}

/** Returns the selected run of the comparison on screen. The object is the store's own, so it stays the same between renders. */
export function displayedRun(state: ComparisonState): ComparisonRun | undefined {
  const selected = displayedSelection(state);
  return displayedComparison(state).runs.find((run) => run.id === selected);
}

/** Returns whether a run is active or queued. */
export function isRunning(state: Pick<ComparisonState, 'activeRunId' | 'queue'>): boolean {
  return state.activeRunId !== null || state.queue.length > 0;
}

/** Whether `run` has recorded anything that an edit would throw away. */
export function hasResults(run: ComparisonRun): boolean {
  return run.results !== undefined;
}

/** Replaces the local comparison of `task` (and optionally its selection) and bumps its revision. */
function updateLocal(state: ComparisonState, task: Task, patch: Partial<TaskComparison>): Partial<ComparisonState> {
  return {
    local: { ...state.local, [task]: { ...state.local[task], ...patch } },
    revisions: { ...state.revisions, [task]: state.revisions[task] + 1 },
  };
}

/** Throws when the local comparison cannot be edited: before restore, while a link is open, or while runs execute. */
function requireEditable(state: ComparisonState, action: string): void {
  if (!state.ready) throw new Error(`Cannot ${action} before the saved comparisons are restored.`);
  if (state.shared) throw new Error(`Cannot ${action} in a shared comparison; keep it first.`);
  if (isRunning(state)) throw new Error(`Cannot ${action} while runs execute; stop them first.`);
}

export function addNotice(kind: NoticeKind, message: string): void {
  useComparisonStore.setState((state) => ({ notices: [...state.notices, { id: nextNoticeId++, kind, message }] }));
}

export function dismissNotice(id: number): void {
  useComparisonStore.setState((state) => ({ notices: state.notices.filter((notice) => notice.id !== id) }));
}

export function setXAxis(xAxis: XAxis): void {
  useComparisonStore.setState({ xAxis });
}

/**
 * Applies the records read from storage: each valid record replaces its task's default
 * comparison, with runs recorded as running marked interrupted (nothing survives a reload). The
 * task last switched to comes on screen. Records that cannot be restored are reported as notices
 * and left out.
 */
export function restoreSaved(records: readonly LoadedRecord[]): void {
  const state = useComparisonStore.getState();
  const local = { ...state.local };
  const notices: Notice[] = [];
  let task = state.task;
  let latest = -Infinity;
  for (const loaded of records) {
    if (!loaded.ok) {
      notices.push({ id: nextNoticeId++, kind: 'restore', message: `${loaded.error}\nThe page starts this task with a new comparison; the next change replaces the saved one.` });
      continue;
    }
    const { record } = loaded;
    local[record.id] = { comparison: interruptRunning(record.comparison), selectedRunId: record.selectedRunId, activatedAt: record.activatedAt };
    if (record.activatedAt > latest) {
      latest = record.activatedAt;
      task = record.id;
    }
  }
  useComparisonStore.setState({ ready: true, local, task, notices: [...state.notices, ...notices], formLoads: state.formLoads + 1 });
}

/** Marks the store ready without saved records (storage unavailable); the defaults stay. */
export function markReady(): void {
  useComparisonStore.setState((state) => ({ ready: true, formLoads: state.formLoads + 1 }));
}

/** Shows the comparison of `task`. */
export function switchTask(task: Task, now = Date.now()): void {
  const state = useComparisonStore.getState();
  if (state.task === task && !state.shared) return;
  if (isRunning(state)) throw new Error('Cannot switch the task while runs execute; stop them first.');
  useComparisonStore.setState({ ...updateLocal(state, task, { activatedAt: now }), task, shared: null, pendingChange: null, formLoads: state.formLoads + 1 });
}

/** Selects the run whose settings the form shows; held-back form edits of the previous run are dropped. */
export function selectRun(runId: string): void {
  const state = useComparisonStore.getState();
  if (state.shared) {
    findRun(state.shared.comparison, runId);
    useComparisonStore.setState({ shared: { ...state.shared, selectedRunId: runId }, formLoads: state.formLoads + 1 });
    return;
  }
  findRun(state.local[state.task].comparison, runId);
  if (state.local[state.task].selectedRunId === runId) return;
  useComparisonStore.setState({ ...updateLocal(state, state.task, { selectedRunId: runId }), pendingChange: null, formLoads: state.formLoads + 1 });
}

/** Adds the run that nextRunConfig proposes and selects it; returns its id. */
export function addProposedRun(): string {
  const state = useComparisonStore.getState();
  requireEditable(state, 'add a run');
  const { comparison, selectedRunId } = state.local[state.task];
  const added = addLabelledRun(comparison, nextRunConfig(comparison, findRun(comparison, selectedRunId)));
  useComparisonStore.setState({ ...updateLocal(state, state.task, { comparison: added.comparison, selectedRunId: added.runId }), pendingChange: null, formLoads: state.formLoads + 1 });
  return added.runId;
}

/** Adds a copy of `runId` (settings only) after it and selects the copy for editing; returns its id. */
export function duplicateRunById(runId: string): string {
  const state = useComparisonStore.getState();
  requireEditable(state, 'duplicate a run');
  const added = duplicateRun(state.local[state.task].comparison, runId);
  useComparisonStore.setState({ ...updateLocal(state, state.task, { comparison: added.comparison, selectedRunId: added.runId }), pendingChange: null, formLoads: state.formLoads + 1 });
  return added.runId;
}

/** Removes `runId` with its results; the last run stays, since a comparison has at least one. */
export function removeRunById(runId: string): void {
  const state = useComparisonStore.getState();
  requireEditable(state, 'remove a run');
  const { comparison, selectedRunId } = state.local[state.task];
  const index = comparison.runs.findIndex((run) => run.id === runId);
  const next = removeRun(comparison, runId);
  const selected = selectedRunId === runId ? next.runs[Math.min(index, next.runs.length - 1)].id : selectedRunId;
  const reload = selected !== selectedRunId;
  forgetRunWeights(state.task, [runId]);
  useComparisonStore.setState({
    ...updateLocal(state, state.task, { comparison: next, selectedRunId: selected }),
    ...(reload ? { pendingChange: null, formLoads: state.formLoads + 1 } : {}),
    lastRunId: state.lastRunId === runId ? null : state.lastRunId,
  });
}

export function renameRunById(runId: string, label: string): void {
  const state = useComparisonStore.getState();
  requireEditable(state, 'rename a run');
  useComparisonStore.setState(updateLocal(state, state.task, { comparison: renameRun(state.local[state.task].comparison, runId, label) }));
}

function sameShared(a: SharedSettings, b: SharedSettings): boolean {
  if (a.seed !== b.seed || JSON.stringify(a.model) !== JSON.stringify(b.model)) return false;
  if (a.dataset.kind !== b.dataset.kind) return false;
  if (a.dataset.kind === 'embedded' || b.dataset.kind === 'embedded') return JSON.stringify(a.dataset) === JSON.stringify(b.dataset);
  // Uploads are the same dataset when they hold the same bytes, whatever the files are called.
  const digests = (files: readonly { sha256: string; size: number }[]) => files.map((file) => `${file.sha256}:${file.size}`).sort().join(',');
  return digests(a.dataset.files) === digests(b.dataset.files);
}

function sharedOf(comparison: Comparison): SharedSettings {
  return { model: comparison.model, dataset: comparison.dataset, seed: comparison.seed };
}

/**
 * Compares what the form derives with the selected run. A difference that clears no results is
 * applied at once; one that would clear results is held in `pendingChange`. A null target (the form
 * has problems or is still reading a file) changes nothing and drops a held change.
 */
export function proposeFormTarget(target: FormTarget | null): void {
  const state = useComparisonStore.getState();
  if (!state.ready || state.shared || isRunning(state)) return;
  if (target === null) {
    if (state.pendingChange) useComparisonStore.setState({ pendingChange: null });
    return;
  }

  const { comparison, selectedRunId } = state.local[state.task];
  const run = findRun(comparison, selectedRunId);
  if (target.config.task !== comparison.task) return;
  const sharedChanged = !sameShared(sharedOf(comparison), target.shared);
  // An upload that holds the same bytes keeps the comparison's name for it.
  const config = sharedChanged ? target.config : { ...target.config, dataset: run.config.dataset };
  const changes = configChanges(run.config, config);
  if (!sharedChanged && changes.length === 0) {
    if (state.pendingChange) useComparisonStore.setState({ pendingChange: null });
    return;
  }

  const clearsResultsOf = (sharedChanged ? comparison.runs : [run]).filter(hasResults).map((candidate) => candidate.id);
  const change: PendingChange = { task: state.task, runId: selectedRunId, target: { config, shared: target.shared }, changes, sharedChanged, clearsResultsOf };
  if (clearsResultsOf.length === 0) {
    applyChange(change);
    return;
  }
  if (state.pendingChange && JSON.stringify(state.pendingChange) === JSON.stringify(change)) return;
  useComparisonStore.setState({ pendingChange: change });
}

function applyChange(change: PendingChange): void {
  const state = useComparisonStore.getState();
  let comparison = state.local[change.task].comparison;
  if (change.sharedChanged) comparison = replaceSharedSettings(comparison, change.target.shared);
  const replaced = replaceRunConfig(comparison, change.runId, change.target.config);
  // The cleared results took the runs' trained weights with them.
  forgetRunWeights(change.task, change.sharedChanged ? undefined : [change.runId]);
  useComparisonStore.setState({ ...updateLocal(state, change.task, { comparison: replaced.comparison, selectedRunId: replaced.runId }), pendingChange: null });
}

/** Applies the held form edits, clearing the results they invalidate. */
export function applyPendingChange(): void {
  const state = useComparisonStore.getState();
  if (!state.pendingChange) return;
  requireEditable(state, 'apply the changes');
  applyChange(state.pendingChange);
}

/**
 * Adds the held per-run edits as a new run and selects it; the edited run keeps its settings and
 * results. Throws for a change of model, dataset or seed, which every run must share.
 */
export function addPendingAsNewRun(): string {
  const state = useComparisonStore.getState();
  const change = state.pendingChange;
  if (!change) throw new Error('There are no held changes to add as a run.');
  requireEditable(state, 'add a run');
  if (change.sharedChanged) throw new Error('A change of model, dataset or seed applies to every run, so it cannot become a separate run.');
  const added = addLabelledRun(state.local[change.task].comparison, change.target.config);
  useComparisonStore.setState({ ...updateLocal(state, change.task, { comparison: added.comparison, selectedRunId: added.runId }), pendingChange: null });
  return added.runId;
}

/** Drops the held edits; the form reloads the selected run's settings. */
export function discardPendingChange(): void {
  useComparisonStore.setState((state) => ({ pendingChange: null, formLoads: state.formLoads + 1 }));
}

/**
 * Runs the Run button queues: every run that has not completed, or all of them again when every
 * run has completed.
 */
export function runsToRun(comparison: Comparison): string[] {
  const unfinished = comparison.runs.filter((run) => run.results?.summary.status !== 'completed').map((run) => run.id);
  return unfinished.length ? unfinished : comparison.runs.map((run) => run.id);
}

/** Appends runs of the task on screen to the queue, skipping those already queued or active. */
export function queueRuns(runIds: readonly string[]): void {
  const state = useComparisonStore.getState();
  if (!state.ready) throw new Error('Cannot run before the saved comparisons are restored.');
  if (state.shared) throw new Error('Keep the shared comparison, or press Run again, before running it.');
  if (state.runTask !== null && state.runTask !== state.task) throw new Error('Runs of the other task are executing; stop them first.');
  const comparison = state.local[state.task].comparison;
  for (const runId of runIds) findRun(comparison, runId);
  const queue = [...state.queue, ...runIds.filter((runId) => runId !== state.activeRunId && !state.queue.includes(runId))];
  useComparisonStore.setState({ queue, runTask: state.task, pendingChange: null });
}

/** Removes a queued run that has not started. */
export function dequeueRun(runId: string): void {
  useComparisonStore.setState((state) => ({ queue: state.queue.filter((id) => id !== runId) }));
}

export function clearQueue(): void {
  useComparisonStore.setState((state) => ({ queue: [], runTask: state.activeRunId ? state.runTask : null }));
}

/** Takes the next queued run off the queue, or returns null (and ends the queue) when it is empty. */
export function takeNextQueued(): string | null {
  const state = useComparisonStore.getState();
  if (state.queue.length === 0) {
    if (!state.activeRunId) useComparisonStore.setState({ runTask: null });
    return null;
  }
  const [next, ...rest] = state.queue;
  useComparisonStore.setState({ queue: rest });
  return next;
}

function runTaskOf(state: ComparisonState): Task {
  if (state.runTask === null) throw new Error('No runs are queued.');
  return state.runTask;
}

/** Clears the results (and the weights) of `runId` to empty series with status 'running', and marks it active. */
export function beginRunRecording(runId: string): void {
  const state = useComparisonStore.getState();
  const task = runTaskOf(state);
  const comparison = setRunResults(state.local[task].comparison, runId, emptyRunResults(task));
  forgetRunWeights(task, [runId]);
  useComparisonStore.setState({ ...updateLocal(state, task, { comparison }), activeRunId: runId, lastRunId: runId });
}

/** Copies results so that recording into the copy leaves the previous state unchanged. */
function copyResults(results: RunResults): RunResults {
  const copySeries = (series: { steps: number[]; values: number[] }) => ({ steps: series.steps.slice(), values: series.values.slice() });
  const { series } = results;
  return {
    series: {
      trainLoss: copySeries(series.trainLoss),
      evalLoss: copySeries(series.evalLoss),
      elapsedMs: copySeries(series.elapsedMs),
      ...(series.accuracy ? { accuracy: copySeries(series.accuracy) } : {}),
    },
    summary: { ...results.summary, peakMemoryBytes: { ...results.summary.peakMemoryBytes } },
    ...(results.samples ? { samples: { ...results.samples } } : {}),
    ...(results.log ? { log: results.log.slice() } : {}),
    ...(results.droppedLogLines !== undefined ? { droppedLogLines: results.droppedLogLines } : {}),
  };
}

/** Records a batch of the active run's events into its results. */
export function recordRunEvents(runId: string, events: readonly RunEvent[]): void {
  if (events.length === 0) return;
  const state = useComparisonStore.getState();
  const task = runTaskOf(state);
  const comparison = state.local[task].comparison;
  const run = findRun(comparison, runId);
  const results = copyResults(run.results ?? emptyRunResults(task));
  for (const event of events) recordRunEvent(results, event);
  useComparisonStore.setState(updateLocal(state, task, { comparison: setRunResults(comparison, runId, results) }));
}

/** How a run ended, beyond its events. */
export interface RunEnding {
  /** The GPU device was lost during the run: the run is recorded as interrupted and can be restarted. */
  deviceLost?: boolean;
  /** An error raised on the page side, when no `finished` event will come (the worker failed to load, a file could not be read). */
  pageError?: string;
}

/** Ends the recording of the active run. */
export function finishRunRecording(runId: string, ending: RunEnding = {}): void {
  const state = useComparisonStore.getState();
  const task = runTaskOf(state);
  const comparison = state.local[task].comparison;
  const run = comparison.runs.find((candidate) => candidate.id === runId);
  let next = comparison;
  if (run) {
    const results = copyResults(run.results ?? emptyRunResults(task));
    if (ending.pageError !== undefined) {
      // Recorded as an error event: the status becomes 'error', and the message goes to the summary and the log.
      recordRunEvent(results, { type: 'error', message: ending.pageError });
    } else if (ending.deviceLost) {
      results.summary.status = 'interrupted';
    } else if (results.summary.status === 'running') {
      results.summary.status = 'interrupted';
    }
    next = setRunResults(comparison, runId, results);
  }
  useComparisonStore.setState({ ...updateLocal(state, task, { comparison: next }), activeRunId: null });
}

/**
 * Shows a comparison decoded from a share link instead of the task's own, without running or saving
 * anything. Throws while runs execute.
 */
export function openSharedComparison(comparison: Comparison): void {
  const state = useComparisonStore.getState();
  if (isRunning(state)) throw new Error('A comparison is running; stop it before opening a shared link.');
  useComparisonStore.setState({ shared: { comparison, selectedRunId: comparison.runs[0].id }, task: comparison.task, pendingChange: null, formLoads: state.formLoads + 1 });
}

/**
 * Makes the shared comparison the task's own, replacing the saved one. With `clearResults` (for
 * "Run again") every run starts without results.
 */
export function adoptSharedComparison(options: { clearResults: boolean }, now = Date.now()): void {
  const state = useComparisonStore.getState();
  if (!state.shared) throw new Error('No shared comparison is open.');
  if (isRunning(state)) throw new Error('A comparison is running; stop it before keeping the shared one.');
  let comparison = state.shared.comparison;
  if (options.clearResults) comparison = { ...comparison, runs: comparison.runs.map(({ results: _results, ...run }) => run) };
  const task = comparison.task;
  // The task's own runs are replaced, so their weights no longer belong to any run on screen.
  forgetRunWeights(task);
  useComparisonStore.setState({
    ...updateLocal(state, task, { comparison, selectedRunId: state.shared.selectedRunId, activatedAt: now }),
    task,
    shared: null,
    pendingChange: null,
    formLoads: state.formLoads + 1,
  });
}

/** Closes the shared comparison and shows the task's own again. */
export function closeSharedComparison(): void {
  useComparisonStore.setState((state) => (state.shared ? { shared: null, formLoads: state.formLoads + 1 } : {}));
}

export function setHashing(message: string | null): void {
  if (useComparisonStore.getState().hashing !== message) useComparisonStore.setState({ hashing: message });
}

/** Every task's local comparison, for the saver. */
export function localComparisons(state: ComparisonState): Array<[Task, TaskComparison]> {
  return TASKS.map((task) => [task, state.local[task]]);
}
