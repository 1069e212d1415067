/**
 * `window.__playground`: a read-only summary of the current run for browser tests and for people
 * inspecting a run from the devtools console. Each read returns a fresh frozen snapshot:
 *
 *   steps      step events received in this run (after batching, so it may trail the worker briefly)
 *   evals      eval events received
 *   phase      'idle' | 'starting' | 'running' | 'stopping' | 'finished'
 *   errors     error messages not yet dismissed
 *   lastEvent  the last RunEvent applied to the store, or null
 */
import { useRunStore, type RunPhase } from './run';
import type { RunEvent } from '../run/types';

export interface PlaygroundSummary {
  readonly steps: number;
  readonly evals: number;
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
      return Object.freeze({
        steps: state.stepEvents,
        evals: state.evals.length,
        phase: state.phase,
        errors: Object.freeze(state.errors.map((notice) => notice.message)),
        lastEvent: state.lastEvent,
      });
    },
  });
}
