import { useId, useState, type DragEvent } from 'react';
import { HUB_DEFAULT_BASE } from '../model/hub';
import { EMBEDDED_MODEL_ID } from '../run/config';
import { addModelFiles, clearModelFiles, hubContextKey, parseHubText, setHubText, setModelChoice, useConfigStore, type ModelChoice } from '../store/config';
import type { FileCheck, ModelContext } from '../store/file-checks';
import { FieldProblems } from './fields';
import { formatMiB } from './format';

interface PickerProps {
  problems: Record<string, string[]>;
  disabled: boolean;
}

/**
 * Renders the Hub field: the repository as typed, parsed as the person types, with the parser's
 * message under it. `contextKnown` is whether a run has downloaded the model's config.json.
 */
function HubModelField({ problems, contextKnown }: { problems: readonly string[] | undefined; contextKnown: boolean }) {
  const id = useId();
  const text = useConfigStore((state) => state.hubText);
  const parsed = parseHubText(text);
  const reference = 'problem' in parsed ? null : parsed;

  return (
    <div className="field hub-model" data-testid="model-hub">
      <label htmlFor={id}>Repository: owner/name, owner/name@revision or a huggingface.co URL</label>
      <input
        id={id}
        type="text"
        spellCheck={false}
        autoComplete="off"
        placeholder="openai-community/gpt2"
        value={text}
        aria-invalid={problems?.length ? true : undefined}
        onChange={(event) => setHubText(event.target.value)}
        data-testid="model-hub-input"
      />
      <FieldProblems testId="field-error-model" problems={problems} />
      {reference && (
        <p className="note" data-testid="model-hub-reference">
          <code>{reference.repo}</code> at revision <code>{reference.revision}</code>: a GPT-2 with model.safetensors, downloaded from {HUB_DEFAULT_BASE} when a run starts,
          after you agree.
        </p>
      )}
      {reference && !contextKnown && (
        <p className="note" data-testid="model-context">
          The context length is unknown until a run downloads config.json, so the sequence length is not checked against it yet. A run whose sequence is longer than the
          model&apos;s context stops with an error when it loads the model.
        </p>
      )}
    </div>
  );
}

/**
 * Renders the choice of model: the embedded one, the three Hugging Face files of a GPT-2 model
 * picked from disk, or a GPT-2 repository on the Hugging Face Hub.
 */
export function ModelPicker({ problems, disabled }: PickerProps) {
  const choice = useConfigStore((state) => state.modelChoice);
  const files = useConfigStore((state) => state.modelFiles);
  const unmatched = useConfigStore((state) => state.unmatchedModelFiles);
  const embeddedContext = useConfigStore((state) => state.embeddedModelContext);
  const configCheck = useConfigStore((state) => state.modelConfigCheck);
  const hubText = useConfigStore((state) => state.hubText);
  const hubContexts = useConfigStore((state) => state.hubModelContexts);
  const context = contextOf(choice, embeddedContext, configCheck, hubText, hubContexts);
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
      <label className="choice">
        <input type="radio" name="model" checked={choice === 'hub'} onChange={() => setModelChoice('hub')} data-testid="model-hub-choice" />
        Hugging Face Hub
      </label>
      {choice === 'hub' && <HubModelField problems={problems.model} contextKnown={context?.status === 'valid'} />}

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
      {choice !== 'hub' && <FieldProblems testId="field-error-model" problems={problems.model} />}
    </fieldset>
  );
}

/** Returns the check of the chosen model's context: the embedded config, a picked config.json, or a Hub model's config once a run downloaded it. */
function contextOf(
  choice: ModelChoice,
  embedded: FileCheck<ModelContext>,
  picked: FileCheck<ModelContext> | null,
  hubText: string,
  hubContexts: Record<string, ModelContext>,
): FileCheck<ModelContext> | null {
  if (choice === 'embedded') return embedded;
  if (choice === 'files') return picked;
  const parsed = parseHubText(hubText);
  if ('problem' in parsed) return null;
  const known = hubContexts[hubContextKey(parsed.repo, parsed.revision)];
  return known ? { status: 'valid', value: known } : null;
}
