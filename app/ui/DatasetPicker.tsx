import { setDatasetChoice, setDatasetFile, useConfigStore } from '../store/config';
import { FieldProblems } from './fields';
import { formatMiB } from './format';
import { UploadReference } from './UploadReference';

interface PickerProps {
  problems: Record<string, string[]>;
  disabled: boolean;
}

/** Renders the choice between the embedded State of the Union text and an uploaded .txt, .jsonl or .csv file. */
export function DatasetPicker({ problems, disabled }: PickerProps) {
  const choice = useConfigStore((state) => state.datasetChoice);
  const file = useConfigStore((state) => state.datasetFile);
  const check = useConfigStore((state) => state.datasetCheck);

  return (
    <fieldset className="group" disabled={disabled}>
      <legend>Dataset</legend>
      <label className="choice">
        <input type="radio" name="dataset" checked={choice === 'embedded'} onChange={() => setDatasetChoice('embedded')} data-testid="dataset-embedded" />
        Embedded State of the Union addresses
      </label>
      <label className="choice">
        <input type="radio" name="dataset" checked={choice === 'upload'} onChange={() => setDatasetChoice('upload')} data-testid="dataset-upload" />
        Upload a file
      </label>

      {choice === 'upload' && (
        <div className="upload">
          <input type="file" accept=".txt,.jsonl,.csv" onChange={(event) => setDatasetFile(event.target.files?.[0] ?? null)} data-testid="dataset-file-input" />
          {file && (
            <p className="note" data-testid="dataset-file-name">
              {file.name} ({formatMiB(file.size)}){check?.status === 'reading' && ', checking…'}
              {check?.status === 'valid' && `, ${check.value.textCount} ${check.value.textCount === 1 ? 'text' : 'texts'}`}
            </p>
          )}
          <UploadReference testId="dataset-reference" />
          <p className="note">
            <code>.txt</code>: plain text. <code>.jsonl</code>: one JSON object per line with a <code>text</code> field. <code>.csv</code>: a header row with a <code>text</code> column.
          </p>
        </div>
      )}
      <FieldProblems testId="field-error-dataset" problems={problems.dataset} />
    </fieldset>
  );
}
