import { setVisionDraft, useVisionConfigStore, visionFieldPath, type VisionField } from '../store/vision-config';
import { NumberInput } from './fields';

export interface VisionFieldProps {
  field: VisionField;
  label: string;
  /** Tooltip text: the quantity the field sets and its unit. */
  help: string;
  problems: Record<string, string[]>;
  disabled: boolean;
}

/** Renders a numeric field of the vision RunConfig with the problems validateRunConfig reports for its path. */
export function VisionNumberField({ field, label, help, problems, disabled }: VisionFieldProps) {
  const text = useVisionConfigStore((state) => state.drafts[field]);
  const optimizerName = useVisionConfigStore((state) => state.optimizerName);
  return (
    <NumberInput
      label={label}
      help={help}
      text={text}
      onChange={(value) => setVisionDraft(field, value)}
      problems={problems[visionFieldPath(field, optimizerName)]}
      disabled={disabled}
      testId={`vision-field-${field}`}
      errorTestId={`vision-field-error-${field}`}
    />
  );
}
