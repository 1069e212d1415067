import { useId } from 'react';
import { fieldPath, setDraft, useConfigStore, type NumericField } from '../store/config';

interface FieldProblemsProps {
  testId: string;
  problems: readonly string[] | undefined;
}

/** Validation messages under a field; each names the field and the value it rejects. */
export function FieldProblems({ testId, problems }: FieldProblemsProps) {
  if (!problems?.length) return null;
  return (
    <ul className="field-problems" data-testid={testId} role="alert">
      {problems.map((problem) => (
        <li key={problem}>{problem}</li>
      ))}
    </ul>
  );
}

interface NumberFieldProps {
  field: NumericField;
  label: string;
  /** Tooltip text: the quantity the field sets and its unit. */
  help: string;
  problems: Record<string, string[]>;
  disabled: boolean;
}

/** Renders a numeric RunConfig field as a text input, so values like "3e-4" stay as written. */
export function NumberField({ field, label, help, problems, disabled }: NumberFieldProps) {
  const id = useId();
  const text = useConfigStore((state) => state.drafts[field]);
  const fieldProblems = problems[fieldPath(field)];

  return (
    <div className="field" title={help}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        inputMode="decimal"
        spellCheck={false}
        autoComplete="off"
        value={text}
        disabled={disabled}
        aria-invalid={fieldProblems ? true : undefined}
        data-testid={`field-${field}`}
        onChange={(event) => setDraft(field, event.target.value)}
      />
      <FieldProblems testId={`field-error-${field}`} problems={fieldProblems} />
    </div>
  );
}
