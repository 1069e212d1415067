import { useState, type DragEvent } from 'react';
import { EMBEDDED_MODEL_ID } from '../run/config';
import { addModelFiles, clearModelFiles, setModelChoice, useConfigStore } from '../store/config';
import { FieldProblems } from './fields';
import { useDisplayedComparison } from './useRunForm';
import { formatMiB } from './format';

interface PickerProps {
  problems: Record<string, string[]>;
  disabled: boolean;
}

/**
 * Names the Hugging Face repository of a comparison whose model comes from the Hub (from a link or
 * a CLI file), which the choices above cannot show.
 */
function HubModelNote() {
  const { model } = useDisplayedComparison();
  if (model.kind !== 'hub') return null;
  // NOTE: the form has no Hub choice yet, so it shows the embedded model and checks the sequence length against that model's context.
  return (
    <p className="note" data-testid="model-hub">
      This comparison's runs use the Hugging Face repository <code>{model.repo}</code> at revision <code>{model.revision}</code>, downloaded when a run starts after you agree. The choices
      above cannot change it.
    </p>
  );
}

/** Renders the choice between the embedded model and the three Hugging Face files of a GPT-2 model picked from disk. */
export function ModelPicker({ problems, disabled }: PickerProps) {
  const choice = useConfigStore((state) => state.modelChoice);
  const files = useConfigStore((state) => state.modelFiles);
  const unmatched = useConfigStore((state) => state.unmatchedModelFiles);
  const embeddedContext = useConfigStore((state) => state.embeddedModelContext);
  const configCheck = useConfigStore((state) => state.modelConfigCheck);
  const context = choice === 'embedded' ? embeddedContext : configCheck;
  const [dragging, setDragging] = useState(false);

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    if (!disabled) addModelFiles(event.dataTransfer.files);
  };

  const expected = [
    { label: 'config.json', file: files.config },
    { label: 'model.safetensors', file: files.safetensors },
    { label: 'tokenizer.json', file: files.tokenizer },
  ];

  return (
    <fieldset className="group" disabled={disabled}>
      <legend>Model</legend>
      <label className="choice">
        <input type="radio" name="model" checked={choice === 'embedded'} onChange={() => setModelChoice('embedded')} data-testid="model-embedded" />
        Embedded <code>{EMBEDDED_MODEL_ID}</code>
      </label>
      <label className="choice">
        <input type="radio" name="model" checked={choice === 'files'} onChange={() => setModelChoice('files')} data-testid="model-files" />
        Files from disk
      </label>

      {choice === 'files' && (
        <div
          className={dragging ? 'dropzone dragging' : 'dropzone'}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          data-testid="model-dropzone"
        >
          <p>
            Drop or pick <code>config.json</code>, <code>model.safetensors</code> and <code>tokenizer.json</code> of a GPT-2 model.
          </p>
          <input type="file" multiple accept=".json,.safetensors" onChange={(event) => event.target.files && addModelFiles(event.target.files)} data-testid="model-files-input" />
          <ul className="file-list">
            {expected.map(({ label, file }) => (
              <li key={label} className={file ? 'present' : 'missing'}>
                {label}: {file ? `${file.name} (${formatMiB(file.size)})` : 'missing'}
              </li>
            ))}
          </ul>
          {unmatched.length > 0 && <p className="note">Ignored: {unmatched.join(', ')} (not one of the three expected names).</p>}
          <button type="button" className="link" onClick={clearModelFiles}>
            Clear picked files
          </button>
        </div>
      )}
      {context?.status === 'valid' && (
        <p className="note" data-testid="model-context">
          Context: {context.value.nPositions} tokens
        </p>
      )}
      {choice === 'embedded' && embeddedContext.status === 'invalid' && (
        <p className="note" data-testid="model-context">
          The context length is unknown because {embeddedContext.message}. The sequence length is checked when the run loads the model.
        </p>
      )}
      <HubModelNote />
      <FieldProblems testId="field-error-model" problems={problems.model} />
    </fieldset>
  );
}
