import { useMemo } from 'react';
import type { Task } from '../run/types';
import type { Comparison, ComparisonRun } from '../share';
import { displayedComparison, displayedSelection, isRunning, useComparisonStore } from '../store/comparison';
import { deriveRunForm, useConfigStore, type DerivedRunForm } from '../store/config';
import { deriveVisionRunForm, useVisionConfigStore } from '../store/vision-config';
import { useWebGpuStore } from '../store/webgpu';

/** Returns the RunConfig derived from the chosen task's form and its problems, recomputed when the form changes. */
export function useRunForm(): DerivedRunForm {
  const form = useConfigStore();
  const visionForm = useVisionConfigStore();
  return useMemo(() => (form.task === 'vision' ? deriveVisionRunForm(visionForm) : deriveRunForm(form)), [form, visionForm]);
}

/** Returns whether a run executes or waits in the queue. */
export function useRunActive(): boolean {
  return useComparisonStore(isRunning);
}

/** Returns whether the form is read-only: while runs execute, while a link's comparison is shown, and before the saved comparisons are restored. */
export function useFormLocked(): boolean {
  return useComparisonStore((state) => isRunning(state) || state.shared !== null || !state.ready);
}

/** Returns the task of the comparison on screen. */
export function useDisplayedTask(): Task {
  return useComparisonStore((state) => displayedComparison(state).task);
}

export function useDisplayedComparison(): Comparison {
  return useComparisonStore(displayedComparison);
}

/** Returns the run the form shows. */
export function useSelectedRun(): ComparisonRun {
  const comparison = useComparisonStore(displayedComparison);
  const selectedId = useComparisonStore(displayedSelection);
  return comparison.runs.find((run) => run.id === selectedId) ?? comparison.runs[0];
}

/**
 * Returns why runs cannot start now, or null when they can: storage still restoring, no WebGPU, a
 * link's comparison on screen, runs executing, problems in the form, files still being read or
 * hashed, or form edits held back.
 */
export function useRunBlockedReason(): string | null {
  const { config, otherProblems, fieldProblems, pending } = useRunForm();
  const webgpu = useWebGpuStore();
  const ready = useComparisonStore((state) => state.ready);
  const shared = useComparisonStore((state) => state.shared !== null);
  const running = useRunActive();
  const hashing = useComparisonStore((state) => state.hashing);
  const pendingChange = useComparisonStore((state) => state.pendingChange);
  const selected = useSelectedRun();

  const problemCount = otherProblems.length + Object.values(fieldProblems).reduce((sum, list) => sum + list.length, 0);
  if (webgpu.status === 'unavailable') return 'WebGPU is not available in this browser.';
  if (webgpu.status === 'checking') return 'Checking for WebGPU…';
  if (!ready) return 'Restoring the saved comparisons…';
  if (shared) return 'This comparison comes from a link: press Run again, or Keep it, first.';
  if (running) return 'A run is in progress.';
  if (problemCount === 0 && pending.length > 0) return pending.join(' ');
  if (!config) return `Fix the ${problemCount === 1 ? 'problem' : `${problemCount} problems`} in the form first.`;
  if (hashing) return hashing;
  if (pendingChange) return `Apply or revert the changes to ${selected.label} first.`;
  return null;
}
