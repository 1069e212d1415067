import { useMemo } from 'react';
import type { VisionArchitecture } from '../run/types';
import { setArchitecture, useVisionConfigStore, visionModelSpec } from '../store/vision-config';
import { FieldProblems, Segmented } from './fields';

interface PickerProps {
  problems: Record<string, string[]>;
  disabled: boolean;
}

const ARCHITECTURES: { value: VisionArchitecture; label: string; title: string }[] = [
  { value: 'mlp', label: 'MLP', title: 'Flatten, one hidden layer of 128 with ReLU, linear classifier' },
  { value: 'cnn', label: 'CNN', title: 'Two blocks of 3×3 convolution, ReLU and 2×2 max pooling, then a linear classifier' },
];

/** Formats a per-image shape: [H, W, C] as "28×28×16", a feature vector as "784". */
function formatShape(shape: readonly number[]): string {
  return shape.join('×');
}

/** Renders the choice of network with its layers and parameters for the chosen dataset's image shape. */
export function VisionModelPicker({ problems, disabled }: PickerProps) {
  const architecture = useVisionConfigStore((state) => state.architecture);
  const datasetChoice = useVisionConfigStore((state) => state.datasetChoice);
  const imageCheck = useVisionConfigStore((state) => state.imageCheck);
  const model = useMemo(() => visionModelSpec({ architecture, datasetChoice, imageCheck }), [architecture, datasetChoice, imageCheck]);

  return (
    <fieldset className="group" disabled={disabled}>
      <legend>Model</legend>
      <Segmented name="Network" options={ARCHITECTURES} value={architecture} onChange={setArchitecture} disabled={disabled} testIdPrefix="vision-model" />
      {model.status === 'valid' && (
        <>
          <ol className="layer-list" data-testid="vision-layers">
            {model.spec.layers.map((layer, index) => (
              <li key={index}>
                {layer.text} <span className="muted">→ {formatShape(layer.outputShape)}</span>
              </li>
            ))}
          </ol>
          <p className="note" data-testid="vision-parameter-count" data-count={model.spec.parameterCount}>
            {model.spec.parameterCount.toLocaleString('en-US')} parameters for {model.spec.input.height}×{model.spec.input.width}×{model.spec.input.channels} images and{' '}
            {model.spec.classCount} classes
          </p>
          <details className="parameter-list">
            <summary>Parameter tensors</summary>
            <table>
              <tbody>
                {model.spec.parameters.map((parameter) => (
                  <tr key={parameter.name}>
                    <td>
                      <code>{parameter.name}</code>
                    </td>
                    <td className="number">{formatShape(parameter.shape)}</td>
                    <td className="muted">
                      {parameter.matrix ? `preconditioned as ${parameter.matrix.rows}×${parameter.matrix.cols}` : 'base optimizer only'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
      {model.status === 'unknown' && <p className="note">{model.reason}</p>}
      <FieldProblems testId="vision-field-error-model" problems={problems.model} />
    </fieldset>
  );
}
