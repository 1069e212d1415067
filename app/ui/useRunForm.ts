import { useMemo } from 'react';
import { deriveRunForm, useConfigStore, type DerivedRunForm } from '../store/config';
import { useRunStore } from '../store/run';
import type { Task } from '../run/types';
import { deriveVisionRunForm, useVisionConfigStore } from '../store/vision-config';

/** Returns the RunConfig derived from the chosen task's form and its problems, recomputed when the form changes. */
export function useRunForm(): DerivedRunForm {
  const form = useConfigStore();
  const visionForm = useVisionConfigStore();
  return useMemo(() => (form.task === 'vision' ? deriveVisionRunForm(visionForm) : deriveRunForm(form)), [form, visionForm]);
}

/** Returns whether a run is in progress, during which the form is read-only. */
export function useRunActive(): boolean {
  return useRunStore((state) => state.phase === 'starting' || state.phase === 'running' || state.phase === 'stopping');
}

/**
 * Returns the task whose panels the page shows: that of the run whose results are on screen, or
 * the form's task before the first run. Switching the form after a run keeps that run's charts.
 */
export function useDisplayedTask(): Task {
  const runTask = useRunStore((state) => state.task);
  const formTask = useConfigStore((state) => state.task);
  return runTask ?? formTask;
}
