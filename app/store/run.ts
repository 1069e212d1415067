/**
 * State of the current run: progress, metric series, memory, samples, logs and errors, fed by the
 * worker's RunEvents. Events arrive in batches (see app/run/client.ts), so one store update and one
 * redraw cover many steps. Every point is kept; charts downsample only what they draw.
 */
import { create } from 'zustand';
import type { MemoryBytes, MemoryCategory } from '../../kernels/gpu/pool';
import type { RunEvent, Task } from '../run/types';

export type RunPhase = 'idle' | 'starting' | 'running' | 'stopping' | 'finished';

export interface LossPoint {
  step: number;
  /** Training loss: L+ at the positive perturbation for zeroth-order runs, the batch loss for vision runs. */
  loss: number;
  /** Zeroth-order runs only; 0 for vision runs. */
  projectedGrad: number;
  elapsedMs: number;
}

export interface EvalPoint {
  step: number;
  evalLoss: number;
  /** Vision runs only: held-out accuracy in [0, 1]. */
  accuracy?: number;
  elapsedMs: number;
}

export interface MemoryPoint {
  step: number;
  bytes: MemoryBytes;
}

export interface Sample {
  step: number;
  prompt: string;
  text: string;
}

export interface LogLine {
  id: number;
  level: 'info' | 'warn' | 'error';
  message: string;
  /** Page clock time when the line arrived, in ms since the epoch. */
  receivedAt: number;
}

export interface ErrorNotice {
  id: number;
  message: string;
}

export interface RunState {
  phase: RunPhase;
  /** Task of the run whose results the store holds; null before the first run. */
  task: Task | null;
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
  /** Page clock time when Run was pressed, in ms since the epoch. */
  requestedAt: number | null;
  /** Page clock time when the run finished, in ms since the epoch. */
  finishedAt: number | null;
  /** Run time reported by the last event that carried one. */
  elapsedMs: number;
  loss: LossPoint[];
  evals: EvalPoint[];
  memory: MemoryPoint[];
  samples: { before: Sample | null; after: Sample | null };
  logs: LogLine[];
  /** Log lines dropped from the front because the panel keeps at most MAX_LOG_LINES. */
  droppedLogLines: number;
  /** Errors not yet dismissed. */
  errors: ErrorNotice[];
  finish: Extract<RunEvent, { type: 'finished' }> | null;
  lastEvent: RunEvent | null;
  /** Step events received in this run. */
  stepEvents: number;
}

export const MAX_LOG_LINES = 2000;

/** Memory categories that together make up the optimizer state: first-order state, Shampoo's preconditioner and its quantization scales. */
export const OPTIMIZER_STATE_CATEGORIES = ['optimizer-state', 'preconditioner', 'quantization-scales'] as const satisfies readonly MemoryCategory[];

/** Returns the optimizer-state bytes of a memory snapshot (the same sum the CLI writes as optimizerStateBytes). */
export function optimizerStateBytes(bytes: MemoryBytes): number {
  return OPTIMIZER_STATE_CATEGORIES.reduce((sum, category) => sum + bytes[category], 0);
}

let nextId = 1;

function emptyRun(): Omit<RunState, 'phase' | 'errors' | 'task'> {
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
    loss: [],
    evals: [],
    memory: [],
    samples: { before: null, after: null },
    logs: [],
    droppedLogLines: 0,
    finish: null,
    lastEvent: null,
    stepEvents: 0,
  };
}

export const useRunStore = create<RunState>()(() => ({ phase: 'idle', task: null, errors: [], ...emptyRun() }));

/** Clears the previous run's results and marks a new run of `task` as starting. */
export function beginRun(totalSteps: number, task: Task): void {
  useRunStore.setState({ ...emptyRun(), phase: 'starting', task, errors: [], totalSteps, requestedAt: Date.now() });
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
    const logs = appendLogs(state, [{ id: nextId++, level: 'error', message, receivedAt }]);
    const ended = endsRun && state.phase !== 'idle' && state.phase !== 'finished';
    return {
      ...logs,
      errors: [...state.errors, { id: nextId++, message }],
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

/** Applies a batch of RunEvents in arrival order with one store update. */
export function applyRunEvents(events: readonly RunEvent[]): void {
  if (events.length === 0) return;
  const state = useRunStore.getState();
  const receivedAt = Date.now();

  const next: Partial<RunState> = {};
  const lossAdded: LossPoint[] = [];
  const evalsAdded: EvalPoint[] = [];
  const memoryAdded: MemoryPoint[] = [];
  const logsAdded: LogLine[] = [];
  const errorsAdded: ErrorNotice[] = [];
  let samples = state.samples;
  let phase = state.phase;
  let step = state.step;
  let elapsedMs = state.elapsedMs;
  let stepEvents = state.stepEvents;

  for (const event of events) {
    switch (event.type) {
      case 'started':
        if (phase === 'starting') phase = 'running';
        next.adapterName = event.adapter;
        next.parameterCount = event.parameterCount;
        next.trainSize = event.trainSize;
        next.evalSize = event.evalSize;
        next.sizeUnit = event.sizeUnit;
        memoryAdded.push({ step: 0, bytes: event.memoryBytes });
        break;
      case 'step':
        if (phase === 'starting') phase = 'running';
        step = event.step;
        elapsedMs = event.elapsedMs;
        stepEvents += 1;
        lossAdded.push({ step: event.step, loss: event.loss, projectedGrad: event.projectedGrad ?? 0, elapsedMs: event.elapsedMs });
        memoryAdded.push({ step: event.step, bytes: event.memoryBytes });
        break;
      case 'eval':
        elapsedMs = Math.max(elapsedMs, event.elapsedMs);
        evalsAdded.push({
          step: event.step,
          evalLoss: event.evalLoss,
          ...(event.accuracy === undefined ? {} : { accuracy: event.accuracy }),
          elapsedMs: event.elapsedMs,
        });
        break;
      case 'sample':
        samples = { ...samples, [event.when]: { step: event.step, prompt: event.prompt, text: event.text } };
        break;
      case 'log':
        logsAdded.push({ id: nextId++, level: event.level, message: event.message, receivedAt });
        break;
      case 'error':
        logsAdded.push({ id: nextId++, level: 'error', message: event.message, receivedAt });
        errorsAdded.push({ id: nextId++, message: event.message });
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
    samples,
    loss: lossAdded.length ? state.loss.concat(lossAdded) : state.loss,
    evals: evalsAdded.length ? state.evals.concat(evalsAdded) : state.evals,
    memory: memoryAdded.length ? state.memory.concat(memoryAdded) : state.memory,
    errors: errorsAdded.length ? state.errors.concat(errorsAdded) : state.errors,
    lastEvent: events[events.length - 1],
  });
}
