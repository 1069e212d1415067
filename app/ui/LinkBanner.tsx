import { useState } from 'react';
import { runQueued } from '../run/client';
import type { FileCheck } from '../share';
import { adoptSharedComparison, closeSharedComparison, useComparisonStore } from '../store/comparison';
import { adoptForRunAgain, checkRunAgainFiles, needsPrompt, runAgainNeeds } from '../store/run-again';
import { useWebGpuStore } from '../store/webgpu';
import { formatBytes } from './format';

/** Removes the link's data from the address bar, so that a reload shows the saved comparison. */
function clearLinkHash(): void {
  if (window.location.hash) history.replaceState(null, '', window.location.pathname + window.location.search);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Shown while a comparison from a share link is on screen: what it is, and Run again, Keep (make it
 * this task's comparison without running) and Close (back to the saved one). Everything from the link
 * is rendered as text.
 */
export function LinkBanner() {
  const shared = useComparisonStore((state) => state.shared);
  const webgpu = useWebGpuStore((state) => state.status);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!shared) return null;

  const { comparison } = shared;
  const needs = runAgainNeeds(comparison);
  const withResults = comparison.runs.filter((run) => run.results).length;
  let runAgainBlocked: string | null = null;
  if (webgpu === 'checking') runAgainBlocked = 'Checking for WebGPU…';
  if (webgpu === 'unavailable') runAgainBlocked = 'WebGPU is not available in this browser.';

  const runAgain = (datasetFiles: readonly File[], modelFiles: readonly File[]) => {
    try {
      const runIds = adoptForRunAgain(datasetFiles, modelFiles);
      clearLinkHash();
      setAsking(false);
      runQueued(runIds);
    } catch (caught) {
      setError(errorText(caught));
    }
  };

  return (
    <div className="banner banner-link" role="region" aria-label="Shared comparison" data-testid="link-banner">
      <div className="link-summary">
        <strong>Shared comparison</strong>
        {comparison.title !== undefined && <span data-testid="link-title"> “{comparison.title}”</span>}
        <span className="muted">
          {' '}
          · {comparison.runs.length} {comparison.runs.length === 1 ? 'run' : 'runs'}, {withResults} with results · seed {comparison.seed} · nothing has run on this
          page. Run again replaces your saved {comparison.task === 'vision' ? 'vision' : 'language-model'} comparison.
        </span>
      </div>
      <div className="link-actions">
        <button
          type="button"
          className="primary"
          disabled={runAgainBlocked !== null}
          title={runAgainBlocked ?? 'Run every run of this comparison on your GPU, from step 0'}
          onClick={() => (needsPrompt(needs) ? setAsking(true) : runAgain([], []))}
          data-testid="run-again-button"
        >
          Run again
        </button>
        <button
          type="button"
          title="Make this comparison your saved one for its task, with its results, without running anything"
          onClick={() => {
            adoptSharedComparison({ clearResults: false });
            clearLinkHash();
          }}
          data-testid="keep-shared-button"
        >
          Keep
        </button>
        <button
          type="button"
          title="Close the shared comparison and show your saved one"
          onClick={() => {
            closeSharedComparison();
            clearLinkHash();
          }}
          data-testid="close-shared-button"
        >
          Close
        </button>
      </div>
      {asking && <FilePrompt needs={needs} onCancel={() => setAsking(false)} onVerified={runAgain} />}
      {error !== null && (
        <p className="field-problems" role="alert" data-testid="run-again-error">
          {error}
        </p>
      )}
    </div>
  );
}

interface FilePromptProps {
  needs: ReturnType<typeof runAgainNeeds>;
  onCancel: () => void;
  onVerified: (datasetFiles: readonly File[], modelFiles: readonly File[]) => void;
}

/**
 * Asks for the files a shared comparison references and checks them (size and SHA-256), and for
 * consent to a Hub download, before running.
 */
function FilePrompt({ needs, onCancel, onVerified }: FilePromptProps) {
  const [datasetFiles, setDatasetFiles] = useState<File[]>([]);
  const [modelFiles, setModelFiles] = useState<File[]>([]);
  const [downloadAgreed, setDownloadAgreed] = useState(false);
  const [check, setCheck] = useState<FileCheck | null>(null);
  const [checking, setChecking] = useState(false);

  const verify = async () => {
    setChecking(true);
    try {
      const result = await checkRunAgainFiles(needs, datasetFiles, modelFiles, downloadAgreed);
      setCheck(result);
      if (result.ok) onVerified(datasetFiles, modelFiles);
    } catch (error) {
      setCheck({ ok: false, problems: [`Reading the picked files failed: ${errorText(error)}`], warnings: [] });
    } finally {
      setChecking(false);
    }
  };

  return (
    <div className="file-prompt" data-testid="file-prompt">
      {needs.dataset && (
        <div className="field">
          <p>
            The dataset was uploaded, so the link carries only its name, size and SHA-256. Pick the same {needs.dataset.files.length === 1 ? 'file' : 'files'}:
          </p>
          <ul className="file-list" data-testid="file-prompt-references">
            {needs.dataset.files.map((file) => (
              <li key={file.sha256 + file.name}>
                {file.name} ({formatBytes(file.size)}, SHA-256 <code title={file.sha256}>{file.sha256.slice(0, 12)}…</code>)
              </li>
            ))}
          </ul>
          <input
            type="file"
            multiple={needs.dataset.files.length > 1}
            onChange={(event) => {
              setDatasetFiles(event.target.files ? [...event.target.files] : []);
              setCheck(null);
            }}
            data-testid="file-prompt-dataset-input"
          />
        </div>
      )}
      {needs.model && (
        <div className="field">
          <p>
            The model was picked from disk ({needs.model.name}). Pick its <code>config.json</code>, <code>.safetensors</code> and <code>tokenizer.json</code>:
          </p>
          <input
            type="file"
            multiple
            accept=".json,.safetensors"
            onChange={(event) => {
              setModelFiles(event.target.files ? [...event.target.files] : []);
              setCheck(null);
            }}
            data-testid="file-prompt-model-input"
          />
        </div>
      )}
      {needs.download && (
        <label className="checkbox" data-testid="file-prompt-download">
          <input
            type="checkbox"
            checked={downloadAgreed}
            onChange={(event) => {
              setDownloadAgreed(event.target.checked);
              setCheck(null);
            }}
            data-testid="file-prompt-download-confirm"
          />
          <span>
            Download the model <code>{needs.download.repo}</code> at revision <code>{needs.download.revision}</code> (config.json, tokenizer.json, model.safetensors) from{' '}
            <span className="url">{needs.download.pageUrl}</span>
          </span>
        </label>
      )}
      <div className="link-actions">
        <button type="button" className="primary" disabled={checking} onClick={() => void verify()} data-testid="file-prompt-check">
          {checking ? 'Checking…' : 'Check and run'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {check && check.problems.length > 0 && (
        <ul className="field-problems" role="alert" data-testid="file-prompt-problems">
          {check.problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      {check && check.warnings.length > 0 && (
        <ul className="note" data-testid="file-prompt-warnings">
          {check.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
