import { useMemo } from 'react';
import { deriveRunForm, useConfigStore, type DerivedRunForm } from '../store/config';
import { useRunStore } from '../store/run';

/** Returns the RunConfig derived from the form and its problems, recomputed when the form changes. */
export function useRunForm(): DerivedRunForm {
  const form = useConfigStore();
  return useMemo(() => deriveRunForm(form), [form]);
}

/** Returns whether a run is in progress, during which the form is read-only. */
export function useRunActive(): boolean {
  return useRunStore((state) => state.phase === 'starting' || state.phase === 'running' || state.phase === 'stopping');
}
