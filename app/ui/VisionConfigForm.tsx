import { ImageDatasetPicker } from './ImageDatasetPicker';
import { useFormLocked, useRunForm } from './useRunForm';
import { VisionNumberField } from './VisionFields';
import { VisionModelPicker } from './VisionModelPicker';
import { VisionOptimizerFields } from './VisionOptimizerFields';

/** Renders the vision run form: network, image dataset, optimizer with its hyperparameters, and run settings. */
export function VisionConfigForm() {
  const { fieldProblems } = useRunForm();
  const disabled = useFormLocked();
  const fieldProps = { problems: fieldProblems, disabled };

  return (
    <form className="config" onSubmit={(event) => event.preventDefault()} data-testid="vision-config-panel">
      <VisionModelPicker {...fieldProps} />
      <ImageDatasetPicker {...fieldProps} />
      <VisionOptimizerFields {...fieldProps} />

      <fieldset className="group" disabled={disabled}>
        <legend>Run</legend>
        <div className="field-grid">
          <VisionNumberField field="batchSize" label="Batch size" help="Images per step." {...fieldProps} />
          <VisionNumberField field="steps" label="Steps" help="Optimizer steps to run." {...fieldProps} />
          <VisionNumberField field="seed" label="Seed" help="Seed of the weight initialisation, the batch order and an uploaded dataset's held-out split; the same seed replays the run." {...fieldProps} />
          <VisionNumberField field="evalEvery" label="Eval every" help="Steps between held-out evaluations; 0 turns them off." {...fieldProps} />
          <VisionNumberField field="evalExamples" label="Eval examples" help="Held-out images per evaluation, the same ones each time (the whole held-out set when larger)." {...fieldProps} />
        </div>
      </fieldset>
    </form>
  );
}
