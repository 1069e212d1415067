import { useEffect, useState } from 'react';
import { runQueued, stopAllRuns } from '../run/client';
import type { Comparison } from '../share';
import { runsToRun, useComparisonStore } from '../store/comparison';
import { readyToRun } from '../store/run-again';
import { optimizerStateBytes, useRunStore, type RunState } from '../store/run';
import { useWebGpuStore } from '../store/webgpu';
import { formatBytes, formatCount, formatDuration, formatPercent } from './format';
import { useDisplayedComparison, useRunActive, useRunBlockedReason, useRunForm } from './useRunForm';

/** Steps over which the steps-per-second figure is averaged. */
const RATE_WINDOW_STEPS = 20;

/** Says what Run does: run the runs that have not completed, one after another, or every run again when all have. */
function describeRun(comparison: Comparison): string {
  const toRun = runsToRun(comparison).map((runId) => comparison.runs.find((run) => run.id === runId)?.label ?? runId);
  const again = comparison.runs.every((run) => run.results?.summary.status === 'completed');
  const names = toRun.length === 1 ? toRun[0] : `${toRun.slice(0, -1).join(', ')} and ${toRun[toRun.length - 1]}`;
  if (again) return `Run ${names} again from step 0`;
  return toRun.length === 1 ? `Run ${names}` : `Run ${names}, one after another`;
}

/** Renders Run and Stop for the whole comparison, plus the config problems that name no single field. */
export function RunControls() {
  const { otherProblems } = useRunForm();
  const blockedReason = useRunBlockedReason();
  const comparison = useDisplayedComparison();
  const phase = useRunStore((state) => state.phase);
  const active = useRunActive();
  const runTitle = describeRun(comparison);

  const onRun = () => {
    if (blockedReason) return;
    const runIds = runsToRun(comparison);
    if (readyToRun(comparison, runIds)) runQueued(runIds);
  };

  return (
    <div className="run-controls">
      <button type="button" className="primary" onClick={onRun} disabled={blockedReason !== null} title={blockedReason ?? runTitle} data-testid="run-button">
        Run
      </button>
      <button type="button" onClick={stopAllRuns} disabled={!active} title="Stop the executing run after its current step and drop the queued ones" data-testid="stop-button">
        {phase === 'stopping' ? 'Stopping…' : 'Stop'}
      </button>
      {otherProblems.length > 0 && (
        <ul className="field-problems" data-testid="config-problems" role="alert">
          {otherProblems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Returns the current time, refreshed twice per second while `ticking`. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}

/** Optimizer steps per second of training time over the last RATE_WINDOW_STEPS recorded steps. */
function stepsPerSecond(elapsed: { steps: number[]; values: number[] } | undefined): number | null {
  if (!elapsed || elapsed.steps.length === 0) return null;
  const last = elapsed.steps.length - 1;
  const first = Math.max(0, last - RATE_WINDOW_STEPS);
  const steps = first < last ? elapsed.steps[last] - elapsed.steps[first] : elapsed.steps[last];
  const ms = first < last ? elapsed.values[last] - elapsed.values[first] : elapsed.values[last];
  return ms > 0 ? (steps * 1000) / ms : null;
}

function phaseLabel(state: RunState): string {
  switch (state.phase) {
    case 'idle':
      return 'Ready';
    case 'starting':
      return state.task === 'vision' ? 'Loading the dataset…' : 'Loading model and data…';
    case 'running':
      return 'Training';
    case 'stopping':
      return 'Stopping after this step…';
    case 'finished':
      if (state.finish?.reason === 'completed') return 'Completed';
      if (state.finish?.reason === 'stopped') return 'Stopped';
      return 'Failed';
  }
}

/**
 * Renders one line about the current run: its label, phase, step k / N, steps per second, elapsed
 * time, parameter count, for vision runs the latest held-out accuracy and the optimizer-state
 * bytes, the queue, and the adapter.
 */
export function StatusLine() {
  const state = useRunStore();
  const queued = useComparisonStore((comparisonState) => comparisonState.queue.length);
  const run = useComparisonStore((comparisonState) =>
    state.runId && state.task ? comparisonState.local[state.task].comparison.runs.find((candidate) => candidate.id === state.runId) : undefined,
  );
  const pageAdapter = useWebGpuStore((webgpu) => (webgpu.status === 'available' ? webgpu.adapterName : null));
  const active = state.phase === 'starting' || state.phase === 'running' || state.phase === 'stopping';
  const now = useNow(active);

  const adapter = state.adapterName ?? pageAdapter;
  const rate = stepsPerSecond(run?.results?.series.elapsedMs);
  const end = state.finishedAt ?? now;
  const elapsed = state.requestedAt === null ? null : end - state.requestedAt;
  const vision = state.task === 'vision';
  const accuracy = run?.results?.series.accuracy;
  const lastAccuracy = accuracy && accuracy.values.length ? accuracy.values[accuracy.values.length - 1] : null;

  return (
    <div className="status" data-testid="status" data-phase={state.phase} data-finish-reason={state.finish?.reason ?? ''} aria-live="polite">
      {state.runLabel !== null && (
        <span className="status-run" data-testid="status-run">
          <span className="swatch" style={{ background: run?.colour ?? 'transparent' }} />
          {state.runLabel}
        </span>
      )}
      <span className={`phase phase-${state.phase} finish-${state.finish?.reason ?? 'none'}`}>{phaseLabel(state)}</span>
      <span data-testid="step-count">
        step {state.step} / {state.totalSteps || '–'}
      </span>
      <span title="Optimizer steps per second of training time, excluding loading, evaluation and sampling">{rate === null ? '– train steps/s' : `${rate.toFixed(2)} train steps/s`}</span>
      <span>{elapsed === null ? '–' : formatDuration(elapsed)}</span>
      {state.parameterCount !== null && <span>{formatCount(state.parameterCount)} parameters</span>}
      {vision && (
        <span data-testid="accuracy-latest" title="Held-out accuracy at the latest evaluation">
          accuracy {lastAccuracy === null ? '–' : formatPercent(lastAccuracy)}
        </span>
      )}
      {vision && (
        <span data-testid="optimizer-state-latest" title="Optimizer state at the latest step: first-order state, preconditioner and quantization scales">
          optimizer state {state.latestMemory === null ? '–' : formatBytes(optimizerStateBytes(state.latestMemory))}
        </span>
      )}
      {queued > 0 && <span data-testid="queue-length">{queued} queued</span>}
      <span className="adapter" data-testid="adapter-name" title="WebGPU adapter">
        {adapter ?? 'no adapter'}
      </span>
    </div>
  );
}
