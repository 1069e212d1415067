import { useMemo, useRef, useState } from 'react';
import { MAX_LINK_PAYLOAD_LENGTH } from '../share';
import { shareLinkOf } from '../store/link';
import { useDisplayedComparison } from './useRunForm';

/** Builds the share link of the comparison on screen and shows it with a Copy button. */
export function SharePanel({ onClose }: { onClose: () => void }) {
  const comparison = useDisplayedComparison();
  const inputRef = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const link = useMemo((): { url: string } | { error: string } => {
    try {
      return { url: shareLinkOf(window.location.href) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
    // The link is rebuilt whenever the comparison changes, so a running run's latest points are in it.
  }, [comparison]);

  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('copied');
    } catch {
      // Clipboard access needs a secure context and permission; selecting the text lets the person copy it by hand.
      inputRef.current?.select();
      setCopied('failed');
    }
  };

  const running = comparison.runs.some((run) => run.results?.summary.status === 'running');
  const upload = comparison.dataset.kind === 'upload';

  return (
    <div className="share-panel" data-testid="share-panel">
      {'error' in link ? (
        <p className="field-problems" role="alert" data-testid="share-error">
          {link.error}
        </p>
      ) : (
        <>
          <div className="share-row">
            <input ref={inputRef} type="text" readOnly value={link.url} onFocus={(event) => event.target.select()} aria-label="Share link" data-testid="share-url" />
            <button type="button" className="primary" onClick={() => void copy(link.url)} data-testid="share-copy">
              Copy
            </button>
            <button type="button" onClick={onClose} data-testid="share-close">
              Close
            </button>
          </div>
          <p className="note" data-testid="share-note">
            {link.url.length.toLocaleString('en-US')} characters (at most {MAX_LINK_PAYLOAD_LENGTH.toLocaleString('en-US')} of data). The link carries the configs, the seed and the
            results, downsampled to at most 200 points per series and rounded to 6 digits.
            {upload && ' The uploaded dataset is not in the link: whoever opens it picks the file, which is checked against its SHA-256.'}
            {running && ' The running run is shared as interrupted, with what it has recorded so far.'}
            {copied === 'copied' && ' Copied.'}
            {copied === 'failed' && ' The browser did not allow copying; the link is selected, so copy it with the keyboard.'}
          </p>
        </>
      )}
    </div>
  );
}
