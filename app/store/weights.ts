/**
 * Trained weights of the runs of this page, kept in memory only: the latest safetensors file of
 * each run, from the `weights` event that the worker sends at the end of a completed or stopped run.
 * They are not written to IndexedDB or put in share links, so a reload or a closed page loses them.
 * The comparison store drops a run's weights when its results are cleared or replaced
 * (comparison.ts calls forgetRunWeights), so a download always matches the results on screen.
 */
import { create } from 'zustand';
import type { Task } from '../run/types';

/** A run's trained weights as one safetensors file. */
export interface RunWeights {
  /** Step the weights were read back at. */
  step: number;
  /** File name proposed by the run loop, such as "mlp-sgd-step6.safetensors". */
  fileName: string;
  safetensors: Uint8Array;
}

export interface WeightsState {
  /** Weights per run, keyed by runWeightsKey. */
  byRun: Record<string, RunWeights>;
}

export const useWeightsStore = create<WeightsState>()(() => ({ byRun: {} }));

/** Key of a run's weights: runs of the two tasks live in separate comparisons, so the key names both. */
export function runWeightsKey(task: Task, runId: string): string {
  return `${task}/${runId}`;
}

/** Keeps `weights` as the latest of `runId`, replacing earlier ones. */
export function storeRunWeights(task: Task, runId: string, weights: RunWeights): void {
  useWeightsStore.setState((state) => ({ byRun: { ...state.byRun, [runWeightsKey(task, runId)]: weights } }));
}

/** Drops the weights of `runIds` of `task`, or of every run of the task when `runIds` is omitted. */
export function forgetRunWeights(task: Task, runIds?: readonly string[]): void {
  const byRun = useWeightsStore.getState().byRun;
  const prefix = runWeightsKey(task, '');
  const drop = runIds ? new Set(runIds.map((runId) => runWeightsKey(task, runId))) : null;
  const kept = Object.entries(byRun).filter(([key]) => (drop ? !drop.has(key) : !key.startsWith(prefix)));
  if (kept.length !== Object.keys(byRun).length) useWeightsStore.setState({ byRun: Object.fromEntries(kept) });
}

/** Returns the weights of `runId` of `task`, or undefined when this page holds none. */
export function runWeights(state: WeightsState, task: Task, runId: string): RunWeights | undefined {
  return state.byRun[runWeightsKey(task, runId)];
}
