import { formatBytes } from './format';
import { useDisplayedComparison } from './useRunForm';

/**
 * Lists the uploaded files the comparison was made with (name, size, SHA-256). Uploads are not
 * saved, so after a reload or from a link the person picks them again. The page checks the picked
 * bytes against these references, and other bytes change the comparison's dataset.
 */
export function UploadReference({ testId }: { testId: string }) {
  const { dataset } = useDisplayedComparison();
  if (dataset.kind !== 'upload') return null;

  return (
    <div className="note" data-testid={testId}>
      The comparison’s dataset. Uploads are not saved, so after a reload pick the same {dataset.files.length === 1 ? 'file' : 'files'} again; {dataset.files.length === 1 ? 'it is' : 'they are'}{' '}
      checked by SHA-256:
      <ul className="file-list">
        {dataset.files.map((file) => (
          <li key={file.sha256 + file.name}>
            {file.name} ({formatBytes(file.size)}, SHA-256 <code title={file.sha256}>{file.sha256.slice(0, 12)}…</code>)
          </li>
        ))}
      </ul>
    </div>
  );
}
