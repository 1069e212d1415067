import { useEffect, useState } from 'react';
import { COMPARISON_LIMITS } from '../share';
import { addPendingAsNewRun, applyPendingChange, discardPendingChange, renameRunById, useComparisonStore, type PendingChange } from '../store/comparison';
import type { ConfigChange } from '../store/comparison-edit';
import { useDisplayedComparison, useFormLocked, useSelectedRun } from './useRunForm';

/** Shows a JSON value from a config diff; strings without their quotes. */
function showJson(value: string | undefined): string {
  if (value === undefined) return '(none)';
  return value.startsWith('"') ? (JSON.parse(value) as string) : value;
}

function ChangeList({ changes }: { changes: readonly ConfigChange[] }) {
  return (
    <ul className="change-list" data-testid="pending-change-list">
      {changes.map((change) => (
        <li key={change.path}>
          <code>{change.path}</code> {showJson(change.from)} → {showJson(change.to)}
        </li>
      ))}
    </ul>
  );
}

/** Form edits held back because applying them clears results: what changes, and Apply, Add as a new run, Revert. */
function PendingChangeBar({ change }: { change: PendingChange }) {
  const comparison = useDisplayedComparison();
  const labels = change.clearsResultsOf.map((runId) => comparison.runs.find((run) => run.id === runId)?.label ?? runId);
  const canAdd = !change.sharedChanged && comparison.runs.length < COMPARISON_LIMITS.maxRuns;
  return (
    <div className="pending-change" role="alert" data-testid="pending-change">
      <p>
        {change.sharedChanged
          ? `Model, dataset and seed are shared by every run, so applying this changes all ${comparison.runs.length} runs and clears the results of ${labels.join(', ')}.`
          : `Applying these changes clears the results of ${labels.join(', ')}. Add them as a new run to keep those results.`}
      </p>
      <ChangeList changes={change.changes} />
      <div className="link-actions">
        <button type="button" onClick={applyPendingChange} data-testid="apply-changes">
          Apply and clear results
        </button>
        {canAdd && (
          <button type="button" className="primary" onClick={() => addPendingAsNewRun()} data-testid="add-changes-as-run">
            Add as a new run
          </button>
        )}
        <button type="button" onClick={discardPendingChange} data-testid="revert-changes">
          Revert
        </button>
      </div>
    </div>
  );
}

/** Heads the form: which run it edits (colour and label, renamable) and any held-back edits. */
export function RunEditorHeader() {
  const run = useSelectedRun();
  const locked = useFormLocked();
  const pendingChange = useComparisonStore((state) => state.pendingChange);
  const [label, setLabel] = useState(run.label);
  useEffect(() => setLabel(run.label), [run.id, run.label]);

  const commitLabel = () => {
    const trimmed = label.trim();
    if (trimmed === run.label) return;
    if (trimmed.length === 0 || trimmed.length > COMPARISON_LIMITS.maxLabelLength) {
      setLabel(run.label);
      return;
    }
    renameRunById(run.id, trimmed);
  };

  return (
    <div className="run-editor" data-testid="run-editor" data-run-id={run.id}>
      <div className="run-editor-title">
        <span className="swatch" style={{ background: run.colour }} />
        <label className="muted" htmlFor="run-label">
          Settings of
        </label>
        <input
          id="run-label"
          type="text"
          value={label}
          maxLength={COMPARISON_LIMITS.maxLabelLength}
          disabled={locked}
          title="Run label, shown in legends and tables"
          onChange={(event) => setLabel(event.target.value)}
          onBlur={commitLabel}
          onKeyDown={(event) => {
            if (event.key === 'Enter') commitLabel();
          }}
          data-testid="run-label"
        />
      </div>
      {run.results && !locked && !pendingChange && <p className="note">This run has results. Changing a setting asks before it clears them; Duplicate keeps them.</p>}
      {pendingChange && <PendingChangeBar change={pendingChange} />}
    </div>
  );
}
