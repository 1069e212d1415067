import { useState } from 'react';
import { MEMORY_CATEGORIES, type MemoryCategory } from '../../kernels/gpu/pool';
import { runQueued, stopRun } from '../run/client';
import { COMPARISON_LIMITS, metricsCsv, metricsJson, type Comparison, type ComparisonRun } from '../share';
import { readyToRun } from '../store/run-again';
import { addProposedRun, duplicateRunById, removeRunById, selectRun, useComparisonStore } from '../store/comparison';
import { OPTIMIZER_LABELS } from '../store/comparison-edit';
import { useRunStore } from '../store/run';
import { runWeights, useWeightsStore } from '../store/weights';
import { downloadBytes, downloadText, exportFileName } from './download';
import { formatBytes, formatLoss, formatPercent } from './format';
import { CATEGORY_LABELS } from './MemoryChart';
import { SharePanel } from './SharePanel';
import { useDisplayedComparison, useFormLocked, useRunBlockedReason } from './useRunForm';

/** Returns the status shown for a run: its live phase while it executes, 'queued', or its recorded status. */
function runStatus(run: ComparisonRun, queued: boolean, active: boolean, livePhase: string): string {
  if (active && (livePhase === 'stopping' || livePhase === 'starting')) return livePhase;
  if (active) return 'running';
  if (queued) return 'queued';
  return run.results?.summary.status ?? 'not run';
}

/** Categories with bytes in any run's peaks, in MEMORY_CATEGORIES order. */
function usedCategories(runs: readonly ComparisonRun[]): MemoryCategory[] {
  return MEMORY_CATEGORIES.filter((category) => runs.some((run) => (run.results?.summary.peakMemoryBytes[category] ?? 0) > 0));
}

function optional(value: number | undefined, format: (value: number) => string): string {
  return value === undefined ? '–' : format(value);
}

interface RowProps {
  comparison: Comparison;
  run: ComparisonRun;
  vision: boolean;
  categories: readonly MemoryCategory[];
  selected: boolean;
  editable: boolean;
  blockedReason: string | null;
  canAdd: boolean;
  onlyRun: boolean;
  /** Whether the comparison is the task's own; one opened from a link has no weights in this page. */
  local: boolean;
}

/** Renders the action that saves a run's trained weights, enabled once this page has received them. */
function DownloadWeightsButton({ comparison, run, local }: { comparison: Comparison; run: ComparisonRun; local: boolean }) {
  const weights = useWeightsStore((state) => (local ? runWeights(state, comparison.task, run.id) : undefined));
  const title = weights
    ? `Download the weights after step ${weights.step} as ${weights.fileName} (${formatBytes(weights.safetensors.byteLength)}). They are kept in this page's memory until it is closed.`
    : local
      ? 'No trained weights in this page: a run keeps them after it completes or stops, until the page is closed. Weights are not saved with the comparison.'
      : 'A comparison from a link carries no weights; press Run again to train them in this page.';
  return (
    <button
      type="button"
      disabled={!weights}
      onClick={() => weights && downloadBytes(weights.fileName, weights.safetensors, 'application/octet-stream')}
      title={title}
      aria-label="Download weights (.safetensors)"
      data-testid="run-download-weights"
    >
      Weights
    </button>
  );
}

/** Renders one run's row: its summary, and Select, Run or Restart, Stop, Download weights, Duplicate and Remove. */
function RunRow({ comparison, run, vision, categories, selected, editable, blockedReason, canAdd, onlyRun, local }: RowProps) {
  const queued = useComparisonStore((state) => state.queue.includes(run.id));
  const active = useComparisonStore((state) => state.activeRunId === run.id);
  const livePhase = useRunStore((state) => state.phase);
  const status = runStatus(run, queued, active, livePhase);
  const summary = run.results?.summary;
  const peaks = summary?.peakMemoryBytes ?? {};
  const totalPeak = categories.reduce((sum, category) => sum + (peaks[category] ?? 0), 0);

  return (
    <tr
      className={selected ? 'selected' : ''}
      data-run-id={run.id}
      data-status={status}
      data-steps-done={summary?.stepsDone ?? 0}
      data-final-eval-loss={summary?.finalEvalLoss ?? ''}
      data-best-eval-loss={summary?.bestEvalLoss ?? ''}
      data-final-accuracy={summary?.finalAccuracy ?? ''}
      onClick={() => selectRun(run.id)}
    >
      <td className="run-name">
        <span className="swatch" style={{ background: run.colour }} />
        <button type="button" className="link" onClick={() => selectRun(run.id)} title="Show this run's settings in the form" data-testid="run-select">
          {run.label}
        </button>
      </td>
      <td onClick={(event) => event.stopPropagation()}>
        <div className="run-actions">
          {active || queued ? (
            <button type="button" onClick={() => stopRun(run.id)} title={active ? 'Stop this run after its current step; queued runs go on' : 'Take this run off the queue'} data-testid="run-stop">
              {active ? 'Stop' : 'Cancel'}
            </button>
          ) : (
            <button
              type="button"
              disabled={blockedReason !== null}
              onClick={() => {
                if (readyToRun(comparison, [run.id])) runQueued([run.id]);
              }}
              title={blockedReason ?? (run.results ? 'Run again from step 0, replacing the results (a run cannot continue where it stopped)' : 'Run this run')}
              data-testid="run-restart"
            >
              {run.results ? 'Restart' : 'Run'}
            </button>
          )}
          <DownloadWeightsButton comparison={comparison} run={run} local={local} />
          <button type="button" disabled={!editable || !canAdd} onClick={() => duplicateRunById(run.id)} title="Add a copy of this run's settings, without results, and edit it" data-testid="run-duplicate">
            Duplicate
          </button>
          <button type="button" disabled={!editable || onlyRun} onClick={() => removeRunById(run.id)} title={onlyRun ? 'A comparison keeps at least one run' : 'Remove this run and its results'} data-testid="run-remove">
            Remove
          </button>
        </div>
      </td>
      <td>{OPTIMIZER_LABELS[run.config.optimizer.name]}</td>
      <td className={`run-status status-${status.replace(' ', '-')}`} title={summary?.message ?? undefined} data-testid="run-status">
        {status}
      </td>
      <td className="number">
        {summary?.stepsDone ?? 0} / {run.config.steps}
      </td>
      <td className="number">{optional(summary?.finalEvalLoss, formatLoss)}</td>
      <td className="number">{optional(summary?.bestEvalLoss, formatLoss)}</td>
      {vision && <td className="number">{optional(summary?.finalAccuracy, formatPercent)}</td>}
      {vision && <td className="number">{optional(summary?.bestAccuracy, formatPercent)}</td>}
      <td className="number">{optional(summary?.msPerStep, (ms) => ms.toFixed(ms < 10 ? 2 : 1))}</td>
      {categories.map((category) => (
        <td key={category} className="number" data-category={category} data-bytes={peaks[category] ?? 0}>
          {formatBytes(peaks[category] ?? 0)}
        </td>
      ))}
      <td className="number" data-testid="run-peak-total">
        {summary ? formatBytes(totalPeak) : '–'}
      </td>
    </tr>
  );
}

/** Renders the comparison's runs as a summary table with their actions, and Add run, Share and the exports. */
export function RunsPanel() {
  const comparison = useDisplayedComparison();
  const selectedRunId = useComparisonStore((state) => state.shared?.selectedRunId ?? state.local[state.task].selectedRunId);
  const locked = useFormLocked();
  const local = useComparisonStore((state) => state.shared === null);
  const blockedReason = useRunBlockedReason();
  const [sharing, setSharing] = useState(false);
  const vision = comparison.task === 'vision';
  const categories = usedCategories(comparison.runs);
  const canAdd = comparison.runs.length < COMPARISON_LIMITS.maxRuns;

  return (
    <section className="panel" data-testid="runs-panel">
      <header className="panel-header">
        <h2>Runs</h2>
        <span className="panel-actions">
          <button type="button" disabled={locked || !canAdd} onClick={() => addProposedRun()} title={canAdd ? 'Add a run with the next optimizer and the selected run’s settings' : `A comparison has at most ${COMPARISON_LIMITS.maxRuns} runs`} data-testid="add-run">
            Add run
          </button>
          <button type="button" onClick={() => setSharing(true)} title="Build a link that shows this comparison and its results" data-testid="share-button">
            Share
          </button>
          <button type="button" onClick={() => downloadText(exportFileName(comparison, 'csv'), metricsCsv(comparison), 'text/csv')} title="Download every run's metrics per step as CSV" data-testid="export-csv">
            CSV
          </button>
          <button type="button" onClick={() => downloadText(exportFileName(comparison, 'json'), metricsJson(comparison), 'application/json')} title="Download every run's config, summary and metrics as JSON" data-testid="export-json">
            JSON
          </button>
        </span>
      </header>
      {sharing && <SharePanel onClose={() => setSharing(false)} />}
      <div className="table-scroll">
        <table className="runs-table" data-testid="runs-table">
          <thead>
            <tr>
              <th>Run</th>
              <th />
              <th>Optimizer</th>
              <th>Status</th>
              <th className="number">Steps</th>
              <th className="number" title="Held-out loss at the last evaluation">Final eval loss</th>
              <th className="number" title="Lowest held-out loss">Best eval loss</th>
              {vision && <th className="number">Final accuracy</th>}
              {vision && <th className="number">Best accuracy</th>}
              <th className="number" title="Training time per step, excluding loading, evaluation and sampling">ms / step</th>
              {categories.map((category) => (
                <th key={category} className="number" title={`Peak bytes of ${CATEGORY_LABELS[category]}`}>
                  {CATEGORY_LABELS[category]}
                </th>
              ))}
              <th className="number" title="Sum of the per-category peaks">Peak total</th>
            </tr>
          </thead>
          <tbody>
            {comparison.runs.map((run) => (
              <RunRow
                key={run.id}
                comparison={comparison}
                run={run}
                vision={vision}
                categories={categories}
                selected={run.id === selectedRunId}
                editable={!locked}
                blockedReason={blockedReason}
                canAdd={canAdd}
                onlyRun={comparison.runs.length === 1}
                local={local}
              />
            ))}
          </tbody>
        </table>
      </div>
      {local && (
        <p className="note" data-testid="weights-note">
          Weights downloads a run&apos;s trained weights as .safetensors. They are kept until the page is closed, because the browser saves each comparison&apos;s settings
          and metrics but not its weights.
        </p>
      )}
    </section>
  );
}
