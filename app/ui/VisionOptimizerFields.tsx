import type { Codebook } from '../run/types';
import {
  FIRST_ORDER_FIELDS,
  setCodebook,
  setQuantizedPart,
  setRectify,
  setShampooBase,
  setVisionOptimizer,
  useVisionConfigStore,
  type FirstOrderField,
  type FirstOrderName,
  type QuantizedPart,
  type VisionOptimizerName,
} from '../store/vision-config';
import { Segmented } from './fields';
import { VisionNumberField } from './VisionFields';

interface FieldsProps {
  problems: Record<string, string[]>;
  disabled: boolean;
}

const OPTIMIZERS: { value: VisionOptimizerName; label: string }[] = [
  { value: 'sgd', label: 'SGD' },
  { value: 'adamw', label: 'AdamW' },
  { value: 'shampoo32', label: 'Shampoo 32-bit' },
  { value: 'shampoo4', label: 'Shampoo 4-bit' },
];

const OPTIMIZER_NOTES: Record<VisionOptimizerName, string> = {
  sgd: 'SGD with momentum: m ← μ·m + g + λ·θ, θ ← θ − η·m.',
  adamw: 'AdamW: Adam moments with bias correction and decoupled weight decay.',
  shampoo32:
    'Preconditions each weight matrix G as L^(−1/4)·G·R^(−1/4) with fp32 factors L, R and roots, grafts the result to ‖G‖, and feeds it to the base optimizer. Biases use the base optimizer alone.',
  shampoo4:
    'Shampoo with the eigenvectors of L and R and their inverse roots stored as 4-bit block-wise codes with one fp32 absmax per 64 entries; eigenvalues and root diagonals stay fp32. Factor blocks under 4096 elements stay fp32.',
};

const BASES: { value: FirstOrderName; label: string }[] = [
  { value: 'sgd', label: 'SGD' },
  { value: 'adamw', label: 'AdamW' },
];

const CODEBOOKS: { value: Codebook; label: string; title: string }[] = [
  { value: 'linear-2', label: 'Linear-2', title: 'Squared linear map: 16 codes ±(−1 + 2j/15)², denser near 0' },
  { value: 'dynamic-tree', label: 'Dynamic tree', title: 'The 4-bit dynamic-tree map, for comparison' },
];

const QUANTIZED_PARTS: { value: QuantizedPart; label: string; title: string }[] = [
  { value: 'eigenvectors', label: 'Eigenvectors', title: 'Quantize the eigenvector matrices of L and R (the 4-bit Shampoo method)' },
  { value: 'factor', label: 'Factors (naive)', title: 'Quantize L and R themselves, to show why quantizing eigenvectors is better' },
];

const FIRST_ORDER_LABELS: Record<FirstOrderField, { label: string; help: Record<FirstOrderName, string> }> = {
  learningRate: { label: 'Learning rate η', help: { sgd: 'Step size η of θ ← θ − η·m.', adamw: 'Step size η of the Adam update.' } },
  momentum: { label: 'Momentum μ', help: { sgd: 'Momentum μ of m ← μ·m + g; 0 turns momentum off.', adamw: '' } },
  beta1: { label: 'β1', help: { sgd: '', adamw: 'Decay rate of the first-moment (mean) average.' } },
  beta2: { label: 'β2', help: { sgd: '', adamw: 'Decay rate of the second-moment (uncentred variance) average.' } },
  epsilon: { label: 'ε (Adam)', help: { sgd: '', adamw: 'Added to √v̂ in the denominator of the Adam update.' } },
  weightDecay: {
    label: 'Weight decay λ',
    help: { sgd: 'L2 weight decay added to the gradient (g + λ·θ); biases are skipped.', adamw: 'Decoupled weight decay θ ← θ·(1 − η·λ); biases are skipped.' },
  },
};

/** Renders the hyperparameters of SGD or AdamW, for a first-order run or as Shampoo's base. */
function FirstOrderFields({ name, problems, disabled }: FieldsProps & { name: FirstOrderName }) {
  return (
    <>
      {FIRST_ORDER_FIELDS[name].map((field) => (
        <VisionNumberField key={field} field={field} label={FIRST_ORDER_LABELS[field].label} help={FIRST_ORDER_LABELS[field].help[name]} problems={problems} disabled={disabled} />
      ))}
    </>
  );
}

/** Renders the optimizer picker with the chosen optimizer's hyperparameters and, for Shampoo, its base optimizer. */
export function VisionOptimizerFields({ problems, disabled }: FieldsProps) {
  const optimizerName = useVisionConfigStore((state) => state.optimizerName);
  const baseName = useVisionConfigStore((state) => state.baseName);
  const codebook = useVisionConfigStore((state) => state.codebook);
  const rectify = useVisionConfigStore((state) => state.rectify);
  const quantize = useVisionConfigStore((state) => state.quantize);
  const factorPeriod = useVisionConfigStore((state) => Number(state.drafts.factorPeriod));
  const rootPeriod = useVisionConfigStore((state) => Number(state.drafts.rootPeriod));
  const shampoo = optimizerName === 'shampoo32' || optimizerName === 'shampoo4';
  // Valid but wasteful, so a note rather than an error (the CLI prints the same warning).
  const rootBeforeFactor = shampoo && factorPeriod > 0 && rootPeriod > 0 && rootPeriod < factorPeriod;
  const fieldProps = { problems, disabled };

  return (
    <fieldset className="group" disabled={disabled}>
      <legend>Optimizer</legend>
      <Segmented name="Vision optimizer" options={OPTIMIZERS} value={optimizerName} onChange={setVisionOptimizer} disabled={disabled} testIdPrefix="vision-optimizer" />
      <p className="note">{OPTIMIZER_NOTES[optimizerName]}</p>

      {shampoo && (
        <div className="option-row">
          <span className="option-label">Base optimizer</span>
          <Segmented name="Shampoo base optimizer" options={BASES} value={baseName} onChange={setShampooBase} disabled={disabled} testIdPrefix="shampoo-base" />
        </div>
      )}
      <div className="field-grid">
        <FirstOrderFields name={shampoo ? baseName : (optimizerName as FirstOrderName)} {...fieldProps} />
      </div>

      {shampoo && (
        <>
          <h3 className="subgroup">Shampoo</h3>
          <div className="field-grid">
            <VisionNumberField field="factorPeriod" label="T1 (factor period)" help="Steps between updates of the factors L and R (4-bit: of their eigenvectors and eigenvalues)." {...fieldProps} />
            <VisionNumberField field="rootPeriod" label="T2 (root period)" help="Steps between updates of the inverse 4th roots. Until the first update the roots are the identity." {...fieldProps} />
            <VisionNumberField field="factorDecay" label="β (factor decay)" help="Factor moving average L ← β·L + (1 − β)·G·Gᵀ, likewise R." {...fieldProps} />
            <VisionNumberField field="shampooEpsilon" label="ε (ridge)" help="Relative ridge: roots of L + ε·λmax·I." {...fieldProps} />
            <VisionNumberField field="maxOrder" label="Max order" help="Matrix dimensions above this are split into blocks of at most this order, each with its own factors." {...fieldProps} />
          </div>
          {rootBeforeFactor && (
            <p className="note" data-testid="shampoo-period-note">
              T2 is shorter than T1, so a root update can recompute the roots from factors that have not changed since the previous root update. A T2 that is
              a multiple of T1 avoids this.
            </p>
          )}
        </>
      )}

      {optimizerName === 'shampoo4' && (
        <>
          <h3 className="subgroup">4-bit quantization</h3>
          <div className="field-grid">
            <div className="field" title="Bits per code; 4-bit Shampoo always uses 4.">
              <label htmlFor="vision-bits">Bits</label>
              <input id="vision-bits" type="text" value="4" readOnly disabled data-testid="vision-field-bits" />
            </div>
          </div>
          <div className="option-row">
            <span className="option-label">Codebook</span>
            <Segmented name="Codebook" options={CODEBOOKS} value={codebook} onChange={setCodebook} disabled={disabled} testIdPrefix="codebook" />
          </div>
          <div className="option-row">
            <span className="option-label">Quantized</span>
            <Segmented name="Quantized part" options={QUANTIZED_PARTS} value={quantize} onChange={setQuantizedPart} disabled={disabled} testIdPrefix="quantize" />
          </div>
          <label className="checkbox" title="Björck orthogonalization of the dequantized eigenvectors: one step before each factor update, four before each root update.">
            <input type="checkbox" checked={rectify} disabled={disabled || quantize === 'factor'} onChange={(event) => setRectify(event.target.checked)} data-testid="rectify" />
            Rectification (Björck)
          </label>
          {quantize === 'factor' && <p className="note">The naive variant stores no eigenvectors, so rectification does not apply.</p>}
        </>
      )}
    </fieldset>
  );
}
