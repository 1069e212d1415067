import { DEFAULT_ZIP_SHAPE, describeClassCount, describeLabels, FASHION_MNIST_CLASSES, FASHION_MNIST_COUNTS } from '../data/images';
import { IMAGE_UPLOAD_EVAL_FRACTION } from '../run/vision-resources';
import { setImageFiles, setVisionDatasetChoice, useVisionConfigStore } from '../store/vision-config';
import { FieldProblems } from './fields';
import { formatBytes } from './format';
import { UploadReference } from './UploadReference';

interface PickerProps {
  problems: Record<string, string[]>;
  disabled: boolean;
}

function describeChannels(channels: number): string {
  if (channels === 1) return 'grayscale';
  if (channels === 3) return 'RGB';
  return `${channels} channels`;
}

/** Renders the choice between the embedded Fashion-MNIST subset and uploaded image files, with the parse result of the upload. */
export function ImageDatasetPicker({ problems, disabled }: PickerProps) {
  const choice = useVisionConfigStore((state) => state.datasetChoice);
  const files = useVisionConfigStore((state) => state.imageFiles);
  const check = useVisionConfigStore((state) => state.imageCheck);

  return (
    <fieldset className="group" disabled={disabled}>
      <legend>Dataset</legend>
      <label className="choice">
        <input type="radio" name="vision-dataset" checked={choice === 'embedded'} onChange={() => setVisionDatasetChoice('embedded')} data-testid="vision-dataset-embedded" />
        Embedded Fashion-MNIST subset
      </label>
      {choice === 'embedded' && (
        <p className="note">
          {FASHION_MNIST_COUNTS.train.toLocaleString('en-US')} training and {FASHION_MNIST_COUNTS.test.toLocaleString('en-US')} held-out 28×28 grayscale images of clothing,{' '}
          {describeClassCount(FASHION_MNIST_CLASSES.length)}.
        </p>
      )}
      <label className="choice">
        <input type="radio" name="vision-dataset" checked={choice === 'upload'} onChange={() => setVisionDatasetChoice('upload')} data-testid="vision-dataset-upload" />
        Upload files
      </label>

      {choice === 'upload' && (
        <div className="upload">
          {/* No accept filter: IDX files usually have no extension. */}
          <input type="file" multiple onChange={(event) => setImageFiles(event.target.files ? [...event.target.files] : [])} data-testid="vision-dataset-input" />
          {files.length > 0 && (
            <ul className="file-list" data-testid="vision-dataset-files">
              {files.map((file) => (
                <li key={`${file.name}-${file.size}-${file.lastModified}`}>
                  {file.name} ({formatBytes(file.size)})
                </li>
              ))}
            </ul>
          )}
          <UploadReference testId="vision-dataset-reference" />
          {check?.status === 'reading' && <p className="note">Checking the files…</p>}
          {check?.status === 'valid' && (
            <p className="note" data-testid="vision-dataset-summary">
              {check.value.format.toUpperCase()}: {check.value.trainCount.toLocaleString('en-US')} training and {check.value.evalCount.toLocaleString('en-US')} held-out
              images, {check.value.shape.width}×{check.value.shape.height} {describeChannels(check.value.shape.channels)}, {describeClassCount(check.value.classCount)}
              {check.value.missingFromHeldOut.length > 0 && `; no held-out images of ${describeLabels(check.value.missingFromHeldOut)}`}
            </p>
          )}
          <p className="note">
            One <code>.zip</code> of class folders of PNG or JPEG images (converted to {DEFAULT_ZIP_SHAPE.width}×{DEFAULT_ZIP_SHAPE.height}{' '}
            {describeChannels(DEFAULT_ZIP_SHAPE.channels)}); one <code>.csv</code> with the label, then the pixels, on each row, or a training and a test{' '}
            <code>.csv</code>; or IDX images and labels files (raw or <code>.gz</code>), optionally with the test pair. Without a test split,{' '}
            {Math.round(IMAGE_UPLOAD_EVAL_FRACTION * 100)}% of each class is held out.
          </p>
        </div>
      )}
      <FieldProblems testId="vision-field-error-dataset" problems={problems.dataset} />
    </fieldset>
  );
}
