/**
 * Live state of the run executing now (or the last one): phase, progress, the latest memory
 * snapshot, samples, and the log and errors of the current batch of runs. Each run's series,
 * summary, samples and capped log are also recorded in its results in the comparison store
 * (comparison.ts), which the Samples and Log panels show when no run is live. This store adds what
 * a comparison does not record: the batch's whole log with arrival times, page messages outside a
 * run, and the errors not yet dismissed. Events arrive in batches (see app/run/client.ts), so one
 * store update and one redraw cover many steps.
 */
import { create } from 'zustand';
import type { MemoryBytes, MemoryCategory } from '../../kernels/gpu/pool';
import type { RunEvent, Task } from '../run/types';

export type RunPhase = 'idle' | 'starting' | 'running' | 'stopping' | 'finished';

export interface Sample {
  step: number;
  prompt: string;
  text: string;
}

export interface LogLine {
  id: number;
  level: 'info' | 'warn' | 'error';
  message: string;
  /** Label of the run that logged the line; null for page messages outside a run. */
  runLabel: string | null;
  /** Page clock time when the line arrived, in ms since the epoch. */
  receivedAt: number;
}

export interface ErrorNotice {
  id: number;
  message: string;
  /** Label of the run that failed; null for page messages outside a run. */
  runLabel: string | null;
}

export interface RunState {
  phase: RunPhase;
  /** Task, id and label of the run this state describes; null before the first run. */
  task: Task | null;
  runId: string | null;
  runLabel: string | null;
  adapterName: string | null;
  parameterCount: number | null;
  /** Training and held-out set sizes, in `sizeUnit`. */
  trainSize: number | null;
  evalSize: number | null;
  sizeUnit: 'tokens' | 'images' | null;
  /** Steps requested for the run. */
  totalSteps: number;
  /** Last step reported. */
  step: number;
  /** Page clock time when the run was started, in ms since the epoch. */
  requestedAt: number | null;
  /** Page clock time when the run finished, in ms since the epoch. */
  finishedAt: number | null;
  /** Run time reported by the last event that carried one. */
  elapsedMs: number;
  /** Bytes per memory category at the latest step (or at load), null before the run has started. */
  latestMemory: MemoryBytes | null;
  samples: { before: Sample | null; after: Sample | null };
  logs: LogLine[];
  /** Log lines dropped from the front because the panel keeps at most MAX_LOG_LINES. */
  droppedLogLines: number;
  /** Errors not yet dismissed. */
  errors: ErrorNotice[];
  finish: Extract<RunEvent, { type: 'finished' }> | null;
  lastEvent: RunEvent | null;
  /** Step and eval events received in this run. */
  stepEvents: number;
  evalEvents: number;
}

export const MAX_LOG_LINES = 2000;

/** Returns whether `phase` is starting, running or stopping, the phases in which the panels show the live run. */
export function isLivePhase(phase: RunPhase): boolean {
  return phase === 'starting' || phase === 'running' || phase === 'stopping';
}

/** Memory categories that together make up the optimizer state: first-order state, Shampoo's preconditioner and its quantization scales. */
export const OPTIMIZER_STATE_CATEGORIES = ['optimizer-state', 'preconditioner', 'quantization-scales'] as const satisfies readonly MemoryCategory[];

/** Returns the optimizer-state bytes of a memory snapshot (the same sum the CLI writes as optimizerStateBytes). */
export function optimizerStateBytes(bytes: Partial<MemoryBytes>): number {
  return OPTIMIZER_STATE_CATEGORIES.reduce((sum, category) => sum + (bytes[category] ?? 0), 0);
}

let nextId = 1;

function emptyRun(): Omit<RunState, 'phase' | 'errors' | 'logs' | 'droppedLogLines' | 'task' | 'runId' | 'runLabel'> {
  return {
    adapterName: null,
    parameterCount: null,
    trainSize: null,
    evalSize: null,
    sizeUnit: null,
    totalSteps: 0,
    step: 0,
    requestedAt: null,
    finishedAt: null,
    elapsedMs: 0,
    latestMemory: null,
    samples: { before: null, after: null },
    finish: null,
    lastEvent: null,
    stepEvents: 0,
    evalEvents: 0,
  };
}

export const useRunStore = create<RunState>()(() => ({ phase: 'idle', task: null, runId: null, runLabel: null, errors: [], logs: [], droppedLogLines: 0, ...emptyRun() }));

/** Clears the log and errors of the previous batch of runs; called when Run starts a new batch. */
export function beginBatch(): void {
  useRunStore.setState({ logs: [], droppedLogLines: 0, errors: [] });
}

/** Clears the previous run's live state and marks `runId` as starting; the batch's log stays. */
export function beginRun(run: { task: Task; runId: string; label: string; totalSteps: number }): void {
  useRunStore.setState({ ...emptyRun(), phase: 'starting', task: run.task, runId: run.runId, runLabel: run.label, totalSteps: run.totalSteps, requestedAt: Date.now() });
}

export function markStopping(): void {
  useRunStore.setState((state) => (state.phase === 'running' || state.phase === 'starting' ? { phase: 'stopping' } : {}));
}

export function dismissError(id: number): void {
  useRunStore.setState((state) => ({ errors: state.errors.filter((notice) => notice.id !== id) }));
}

/**
 * Records an error raised on the page side (the worker failed to load, a file could not be read).
 * When `endsRun` is set, the run is marked finished because no `finished` event will follow.
 */
export function reportPageError(message: string, endsRun: boolean): void {
  const receivedAt = Date.now();
  useRunStore.setState((state) => {
    const ended = endsRun && state.phase !== 'idle' && state.phase !== 'finished';
    const runLabel = ended ? state.runLabel : null;
    const logs = appendLogs(state, [{ id: nextId++, level: 'error', message, runLabel, receivedAt }]);
    return {
      ...logs,
      errors: [...state.errors, { id: nextId++, message, runLabel }],
      ...(ended ? { phase: 'finished' as const, finishedAt: receivedAt, finish: { type: 'finished' as const, reason: 'error' as const, step: state.step, elapsedMs: state.elapsedMs } } : {}),
    };
  });
}

function appendLogs(state: Pick<RunState, 'logs' | 'droppedLogLines'>, lines: LogLine[]): Pick<RunState, 'logs' | 'droppedLogLines'> {
  if (lines.length === 0) return { logs: state.logs, droppedLogLines: state.droppedLogLines };
  const logs = state.logs.concat(lines);
  const excess = Math.max(0, logs.length - MAX_LOG_LINES);
  return { logs: excess ? logs.slice(excess) : logs, droppedLogLines: state.droppedLogLines + excess };
}

/** Applies a batch of RunEvents of the current run in arrival order with one store update. */
export function applyRunEvents(events: readonly RunEvent[]): void {
  if (events.length === 0) return;
  const state = useRunStore.getState();
  const receivedAt = Date.now();
  const runLabel = state.runLabel;

  const next: Partial<RunState> = {};
  const logsAdded: LogLine[] = [];
  const errorsAdded: ErrorNotice[] = [];
  let samples = state.samples;
  let phase = state.phase;
  let step = state.step;
  let elapsedMs = state.elapsedMs;
  let stepEvents = state.stepEvents;
  let evalEvents = state.evalEvents;
  let latestMemory = state.latestMemory;

  for (const event of events) {
    switch (event.type) {
      case 'started':
        if (phase === 'starting') phase = 'running';
        next.adapterName = event.adapter;
        next.parameterCount = event.parameterCount;
        next.trainSize = event.trainSize;
        next.evalSize = event.evalSize;
        next.sizeUnit = event.sizeUnit;
        latestMemory = event.memoryBytes;
        break;
      case 'step':
        if (phase === 'starting') phase = 'running';
        step = event.step;
        elapsedMs = event.elapsedMs;
        stepEvents += 1;
        latestMemory = event.memoryBytes;
        break;
      case 'eval':
        elapsedMs = Math.max(elapsedMs, event.elapsedMs);
        evalEvents += 1;
        break;
      case 'sample':
        samples = { ...samples, [event.when]: { step: event.step, prompt: event.prompt, text: event.text } };
        break;
      case 'log':
        logsAdded.push({ id: nextId++, level: event.level, message: event.message, runLabel, receivedAt });
        break;
      case 'error':
        logsAdded.push({ id: nextId++, level: 'error', message: event.message, runLabel, receivedAt });
        errorsAdded.push({ id: nextId++, message: event.message, runLabel });
        break;
      case 'finished':
        phase = 'finished';
        next.finishedAt = receivedAt;
        step = Math.max(step, event.step);
        elapsedMs = event.elapsedMs;
        next.finish = event;
        break;
    }
  }

  useRunStore.setState({
    ...next,
    ...appendLogs(state, logsAdded),
    phase,
    step,
    elapsedMs,
    stepEvents,
    evalEvents,
    samples,
    latestMemory,
    errors: errorsAdded.length ? state.errors.concat(errorsAdded) : state.errors,
    lastEvent: events[events.length - 1],
  });
}
