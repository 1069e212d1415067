/**
 * `window.__playground`: a read-only summary of the current run for browser tests and for people
 * inspecting a run from the devtools console. Each read returns a fresh frozen snapshot:
 *
 *   task                 'language-model' | 'vision' for the run whose results are shown, null before the first run
 *   steps                step events received in this run (after batching, so it may trail the worker briefly)
 *   evals                eval events received
 *   accuracy             vision runs: one { step, accuracy } per evaluation, accuracy in [0, 1]
 *   memoryBytes          bytes per memory category at the latest step, null before the run has started
 *   optimizerStateBytes  optimizer-state + preconditioner + quantization-scales bytes at the latest step
 *   phase                'idle' | 'starting' | 'running' | 'stopping' | 'finished'
 *   errors               error messages not yet dismissed
 *   lastEvent            the last RunEvent applied to the store, or null
 */
import type { MemoryBytes } from '../../kernels/gpu/pool';
import { optimizerStateBytes, useRunStore, type RunPhase } from './run';
import type { RunEvent, Task } from '../run/types';

export interface AccuracyPoint {
  readonly step: number;
  readonly accuracy: number;
}

export interface PlaygroundSummary {
  readonly task: Task | null;
  readonly steps: number;
  readonly evals: number;
  readonly accuracy: readonly AccuracyPoint[];
  readonly memoryBytes: Readonly<MemoryBytes> | null;
  readonly optimizerStateBytes: number | null;
  readonly phase: RunPhase;
  readonly errors: readonly string[];
  readonly lastEvent: RunEvent | null;
}

declare global {
  interface Window {
    readonly __playground?: PlaygroundSummary;
  }
}

export function exposePlaygroundSummary(target: Window): void {
  Object.defineProperty(target, '__playground', {
    configurable: true,
    enumerable: false,
    get(): PlaygroundSummary {
      const state = useRunStore.getState();
      const latest = state.memory.length ? state.memory[state.memory.length - 1].bytes : null;
      const accuracy = state.evals.flatMap((point) => (point.accuracy === undefined ? [] : [Object.freeze({ step: point.step, accuracy: point.accuracy })]));
      return Object.freeze({
        task: state.task,
        steps: state.stepEvents,
        evals: state.evals.length,
        accuracy: Object.freeze(accuracy),
        memoryBytes: latest ? Object.freeze({ ...latest }) : null,
        optimizerStateBytes: latest ? optimizerStateBytes(latest) : null,
        phase: state.phase,
        errors: Object.freeze(state.errors.map((notice) => notice.message)),
        lastEvent: state.lastEvent,
      });
    },
  });
}
