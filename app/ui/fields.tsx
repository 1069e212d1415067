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

interface NumberInputProps {
  label: string;
  /** Tooltip text: the quantity the field sets and its unit. */
  help: string;
  text: string;
  onChange: (text: string) => void;
  problems: readonly string[] | undefined;
  disabled: boolean;
  /** Test ids of the input and of its problem list. */
  testId: string;
  errorTestId: string;
  /** A visible note under the field, for a limit that applies now (a check that waits for a download, say). */
  hint?: string;
}

/** Renders a numeric field as a text input, so values like "3e-4" stay as written. */
export function NumberInput({ label, help, text, onChange, problems, disabled, testId, errorTestId, hint }: NumberInputProps) {
  const id = useId();
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
        aria-invalid={problems?.length ? true : undefined}
        data-testid={testId}
        onChange={(event) => onChange(event.target.value)}
      />
      <FieldProblems testId={errorTestId} problems={problems} />
      {hint && (
        <p className="note field-hint" data-testid={`${testId}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

interface NumberFieldProps {
  field: NumericField;
  label: string;
  /** Tooltip text: the quantity the field sets and its unit. */
  help: string;
  problems: Record<string, string[]>;
  disabled: boolean;
  hint?: string;
}

/** Renders a numeric field of the language-model RunConfig. */
export function NumberField({ field, label, help, problems, disabled, hint }: NumberFieldProps) {
  const text = useConfigStore((state) => state.drafts[field]);
  return (
    <NumberInput
      label={label}
      help={help}
      text={text}
      onChange={(value) => setDraft(field, value)}
      problems={problems[fieldPath(field)]}
      disabled={disabled}
      testId={`field-${field}`}
      errorTestId={`field-error-${field}`}
      hint={hint}
    />
  );
}

interface SegmentedOption<T extends string> {
  value: T;
  label: string;
  /** Tooltip of the option. */
  title?: string;
}

interface SegmentedProps<T extends string> {
  /** Accessible name of the group and the name of its radio inputs. */
  name: string;
  options: readonly SegmentedOption<T>[];
  value: T;
  onChange: (value: T) => void;
  disabled: boolean;
  /** Test ids are `${testIdPrefix}-${value}`. */
  testIdPrefix: string;
}

/** Renders a row of mutually exclusive options as one segmented control of radio inputs. */
export function Segmented<T extends string>({ name, options, value, onChange, disabled, testIdPrefix }: SegmentedProps<T>) {
  return (
    <div className="segmented" role="radiogroup" aria-label={name}>
      {options.map((option) => (
        <label key={option.value} className={value === option.value ? 'selected' : ''} title={option.title}>
          <input
            type="radio"
            name={name}
            disabled={disabled}
            checked={value === option.value}
            onChange={() => onChange(option.value)}
            data-testid={`${testIdPrefix}-${option.value}`}
          />
          {option.label}
        </label>
      ))}
    </div>
  );
}
