/**
 * Keeps the run forms and the selected run in step.
 * - Comparison to form: when the store requests it (`formLoads` moves: another run selected, a
 *   comparison restored, opened from a link, kept or closed, a task switch, reverted edits), the
 *   selected run's config is loaded into the task's form. Picked upload files stay only when they
 *   were checked against the comparison's SHA-256 references.
 * - Form to comparison: after every form change, the config the form derives (with the SHA-256 of
 *   picked upload files) goes to proposeFormTarget, which applies it or holds it back.
 */
import type { RunConfig, Task } from '../run/types';
import type { ComparisonDataset, ComparisonModel } from '../share';
import { displayedComparison, displayedSelection, isRunning, proposeFormTarget, setHashing, useComparisonStore, type ComparisonState } from './comparison';
import { findRun } from './comparison-edit';
import { clearModelFiles, deriveRunForm, loadLanguageModelForm, setDatasetFile, setTask, useConfigStore, type DerivedRunForm } from './config';
import { referencesKey, referencesOf, rememberVerifiedUpload, verifiedUploadFor } from './file-hashes';
import { deriveVisionRunForm, loadVisionForm, setImageFiles, useVisionConfigStore } from './vision-config';

/** Returns the config derived from the form of `task`, with its problems. */
export function deriveForm(task: Task): DerivedRunForm {
  return task === 'vision' ? deriveVisionRunForm(useVisionConfigStore.getState()) : deriveRunForm(useConfigStore.getState());
}

/** Returns the upload files picked in the form of `task`. */
export function pickedUploadFiles(task: Task): File[] {
  if (task === 'vision') return useVisionConfigStore.getState().imageFiles;
  const file = useConfigStore.getState().datasetFile;
  return file ? [file] : [];
}

function sameFiles(a: readonly File[], b: readonly File[]): boolean {
  return a.length === b.length && a.every((file, index) => file === b[index]);
}

/** Loads the selected run of the comparison on screen into its task's form. */
export function loadSelectedRunIntoForm(state: ComparisonState): void {
  const comparison = displayedComparison(state);
  const run = findRun(comparison, displayedSelection(state));
  setTask(comparison.task);
  if (run.config.task === 'vision') loadVisionForm(run.config);
  else loadLanguageModelForm(run.config);

  // Keep picked upload files only when they are the ones checked for this comparison's dataset.
  if (comparison.dataset.kind === 'upload') {
    const files = verifiedUploadFor(comparison.dataset) ?? [];
    if (!sameFiles(pickedUploadFiles(comparison.task), files)) {
      if (comparison.task === 'vision') setImageFiles(files);
      else setDatasetFile(files[0] ?? null);
    }
  }
  if (comparison.model.kind === 'files' && useConfigStore.getState().modelFiles.safetensors?.name !== comparison.model.name) clearModelFiles();
}

/**
 * Returns the comparison model of the form's config. A model from disk is named by its
 * safetensors file; the SHA-256 references that a link may carry are not recomputed here.
 */
function formModel(config: RunConfig): ComparisonModel {
  const model = config.model;
  if (model.kind === 'files') return { kind: 'files', name: model.name };
  return structuredClone(model) as ComparisonModel;
}

let sequence = 0;

/**
 * Derives the form's config and proposes it. For an uploaded dataset the SHA-256 of the picked
 * files is computed first (once per file); a newer form change abandons an older computation.
 */
export async function syncFormNow(): Promise<void> {
  const state = useComparisonStore.getState();
  if (!state.ready || state.shared || isRunning(state)) return;
  const task = state.task;
  const token = ++sequence;
  const { config } = deriveForm(task);
  if (!config || config.task !== task) {
    setHashing(null);
    proposeFormTarget(null);
    return;
  }

  let dataset: ComparisonDataset;
  if (config.dataset.kind === 'upload') {
    const files = pickedUploadFiles(task);
    setHashing(`Computing the SHA-256 of ${files.map((file) => file.name).join(', ')}…`);
    let refs;
    try {
      refs = await referencesOf(files);
    } catch (error) {
      if (token === sequence) setHashing(null);
      console.error(`Reading the picked files for their SHA-256 failed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (token !== sequence) return;
    setHashing(null);
    dataset = { kind: 'upload', name: config.dataset.name, size: config.dataset.size, files: refs };
  } else {
    setHashing(null);
    dataset = { kind: 'embedded', id: config.dataset.id };
  }
  proposeFormTarget({ config, shared: { model: formModel(config), dataset, seed: config.seed } });

  // Files that match the comparison's dataset (now, or once the change above applied) are offered again after a form reload.
  const applied = useComparisonStore.getState().local[task].comparison.dataset;
  if (dataset.kind === 'upload' && applied.kind === 'upload' && referencesKey(applied.files) === referencesKey(dataset.files)) {
    rememberVerifiedUpload(dataset.files, pickedUploadFiles(task));
  }
}

/** Starts keeping forms and comparisons in step; returns the function that stops it. */
export function startFormSync(): () => void {
  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      void syncFormNow();
    });
  };

  const unsubscribers = [
    useConfigStore.subscribe(schedule),
    useVisionConfigStore.subscribe(schedule),
    useComparisonStore.subscribe((state, previous) => {
      if (state.formLoads !== previous.formLoads) {
        loadSelectedRunIntoForm(state);
        schedule();
      } else if (state.ready !== previous.ready || state.shared !== previous.shared || state.task !== previous.task || isRunning(state) !== isRunning(previous)) {
        schedule();
      }
    }),
  ];
  return () => unsubscribers.forEach((unsubscribe) => unsubscribe());
}
