import { runQueued } from '../run/client';
import { confirmDownload, useDownloadRequestStore } from '../store/run-again';

/**
 * Asks before runs download their model from the Hugging Face Hub: Run and Restart wait here until
 * the person agrees (once per model and revision in this page) or cancels.
 */
export function DownloadRequest() {
  const request = useDownloadRequestStore((state) => state.request);
  if (!request) return null;
  const { download, runIds } = request;
  const close = () => useDownloadRequestStore.setState({ request: null });

  return (
    <div className="banner banner-warning" role="alertdialog" aria-label="Download a model" data-testid="download-request">
      <div className="link-summary">
        <strong>Download a model from the Hugging Face Hub?</strong>
        <p>
          The runs use <code>{download.repo}</code> at revision <code>{download.revision}</code>. Running them downloads its config.json, tokenizer.json and model.safetensors from{' '}
          <span className="url">{download.pageUrl}</span>; the browser keeps them in its cache for later runs.
        </p>
      </div>
      <div className="link-actions">
        <button
          type="button"
          className="primary"
          onClick={() => {
            confirmDownload(download);
            close();
            runQueued(runIds);
          }}
          data-testid="download-request-confirm"
        >
          Download and run
        </button>
        <button type="button" onClick={close} data-testid="download-request-cancel">
          Cancel
        </button>
      </div>
    </div>
  );
}
