import { switchTask, useComparisonStore } from '../store/comparison';
import { hubContextUnknown, setFreezeEmbeddings, setOptimizer, setSamplePrompt, useConfigStore } from '../store/config';
import type { Task } from '../run/types';
import { DatasetPicker } from './DatasetPicker';
import { FieldProblems, NumberField, Segmented } from './fields';
import { ModelPicker } from './ModelPicker';
import { RunEditorHeader } from './RunEditor';
import { useDisplayedTask, useFormLocked, useRunActive, useRunForm } from './useRunForm';
import { VisionConfigForm } from './VisionConfigForm';

const TASKS: { value: Task; label: string; title: string }[] = [
  { value: 'language-model', label: 'Language model', title: 'Fine-tune a GPT-2 with the zeroth-order optimizers SubZero and MeZO' },
  { value: 'vision', label: 'Vision', title: 'Train an image classifier with SGD, AdamW or 32-bit and 4-bit Shampoo' },
];

/** Renders the switch between the language-model and the vision task; each task keeps its own comparison. */
function TaskSwitch() {
  const task = useDisplayedTask();
  const running = useRunActive();
  const ready = useComparisonStore((state) => state.ready);
  return (
    <div className="task-switch">
      <Segmented name="Task" options={TASKS} value={task} onChange={(value) => switchTask(value)} disabled={running || !ready} testIdPrefix="task" />
    </div>
  );
}

/** Renders the task switch, the header of the run being edited, and the task's run form. */
export function ConfigPanel() {
  const task = useDisplayedTask();
  return (
    <div className="config-panel">
      <TaskSwitch />
      <RunEditorHeader />
      {task === 'vision' ? <VisionConfigForm /> : <LanguageModelForm />}
    </div>
  );
}

/** Renders the language-model run form: model, dataset, optimizer with its hyperparameters, and run settings. */
function LanguageModelForm() {
  const { fieldProblems } = useRunForm();
  const disabled = useFormLocked();
  const optimizerName = useConfigStore((state) => state.optimizerName);
  const samplePrompt = useConfigStore((state) => state.samplePrompt);
  const freezeEmbeddings = useConfigStore((state) => state.freezeEmbeddings);
  const sequenceUnchecked = useConfigStore(hubContextUnknown);
  const fieldProps = { problems: fieldProblems, disabled };

  return (
    <form className="config" onSubmit={(event) => event.preventDefault()} data-testid="config-panel">
      <ModelPicker {...fieldProps} />
      <DatasetPicker {...fieldProps} />

      <fieldset className="group" disabled={disabled}>
        <legend>Optimizer</legend>
        <div className="segmented" role="radiogroup" aria-label="Optimizer">
          <label className={optimizerName === 'subzero' ? 'selected' : ''}>
            <input type="radio" name="optimizer" checked={optimizerName === 'subzero'} onChange={() => setOptimizer('subzero')} data-testid="optimizer-subzero" />
            SubZero
          </label>
          <label className={optimizerName === 'mezo' ? 'selected' : ''}>
            <input type="radio" name="optimizer" checked={optimizerName === 'mezo'} onChange={() => setOptimizer('mezo')} data-testid="optimizer-mezo" />
            MeZO
          </label>
        </div>
        <p className="note">
          {optimizerName === 'subzero'
            ? 'Perturbs each weight matrix inside a random rank-r subspace that is refreshed every T steps.'
            : 'Perturbs every parameter with Gaussian noise that is regenerated from a seed instead of stored.'}
        </p>
        <div className="field-grid">
          <NumberField field="learningRate" label="Learning rate η" help="Step size of the update θ ← θ − η·g·z." {...fieldProps} />
          <NumberField field="perturbationScale" label="Perturbation ε" help="Scale ε of the perturbation θ ± ε·z used to estimate the gradient." {...fieldProps} />
          <NumberField field="weightDecay" label="Weight decay λ" help="Weight decay per step; biases and norm weights are skipped." {...fieldProps} />
          {optimizerName === 'subzero' && (
            <>
              <NumberField field="rank" label="Rank r" help="Rank of the random subspace per weight matrix (1 to 64)." {...fieldProps} />
              <NumberField field="subspacePeriod" label="Subspace period T" help="Steps between refreshes of the random subspace bases U and V." {...fieldProps} />
            </>
          )}
        </div>
        <label className="checkbox" title="Token and position embeddings are neither perturbed nor updated. They carry most of the loss curvature of small models, so freezing them lets a larger learning rate pay off.">
          <input type="checkbox" checked={freezeEmbeddings} onChange={(event) => setFreezeEmbeddings(event.target.checked)} data-testid="freeze-embeddings" />
          Freeze embeddings (wte, wpe)
        </label>
      </fieldset>

      <fieldset className="group" disabled={disabled}>
        <legend>Run</legend>
        <div className="field-grid">
          <NumberField field="batchSize" label="Batch size" help="Sequences per step." {...fieldProps} />
          <NumberField
            field="sequenceLength"
            label="Sequence length"
            help="Tokens per sequence, at most the model's context length."
            hint={sequenceUnchecked ? "Checked against the Hub model's context once a run downloads it." : undefined}
            {...fieldProps}
          />
          <NumberField field="steps" label="Steps" help="Optimizer steps to run." {...fieldProps} />
          <NumberField field="seed" label="Seed" help="Seed of the perturbations and batch order; the same seed replays the run." {...fieldProps} />
          <NumberField field="evalEvery" label="Eval every" help="Steps between held-out evaluations; 0 turns them off." {...fieldProps} />
          <NumberField field="evalBatches" label="Eval batches" help="Held-out batches averaged per evaluation." {...fieldProps} />
          <NumberField field="sampleTokens" label="Sample tokens" help="Tokens generated for the text sample before and after fine-tuning; 0 turns sampling off." {...fieldProps} />
        </div>
        <div className="field">
          <label htmlFor="sample-prompt">Sample prompt</label>
          <input id="sample-prompt" type="text" value={samplePrompt} onChange={(event) => setSamplePrompt(event.target.value)} data-testid="field-samplePrompt" />
          <FieldProblems testId="field-error-samplePrompt" problems={fieldProblems.samplePrompt} />
        </div>
      </fieldset>
    </form>
  );
}
