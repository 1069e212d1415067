import { useEffect, useState } from 'react';
import { startRun, stopRun } from '../run/client';
import { useConfigStore } from '../store/config';
import { optimizerStateBytes, useRunStore, type LossPoint, type RunState } from '../store/run';
import { useVisionConfigStore } from '../store/vision-config';
import { useWebGpuStore } from '../store/webgpu';
import { formatBytes, formatCount, formatDuration, formatPercent } from './format';
import { useRunActive, useRunForm } from './useRunForm';

/** Steps over which the steps-per-second figure is averaged. */
const RATE_WINDOW_STEPS = 20;

/** Renders Run and Stop, plus the config problems that name no single field. */
export function RunControls() {
  const { config, otherProblems, fieldProblems, pending } = useRunForm();
  const webgpu = useWebGpuStore();
  const phase = useRunStore((state) => state.phase);
  const task = useConfigStore((state) => state.task);
  const active = useRunActive();

  const problemCount = otherProblems.length + Object.values(fieldProblems).reduce((sum, list) => sum + list.length, 0);
  let blockedReason: string | null = null;
  if (webgpu.status === 'checking') blockedReason = 'Checking for WebGPU…';
  else if (webgpu.status === 'unavailable') blockedReason = 'WebGPU is not available in this browser.';
  else if (problemCount === 0 && pending.length > 0) blockedReason = pending.join(' ');
  else if (!config) blockedReason = `Fix the ${problemCount === 1 ? 'problem' : `${problemCount} problems`} in the form first.`;
  else if (active) blockedReason = 'A run is in progress.';

  const onRun = () => {
    if (!config || blockedReason) return;
    const { modelFiles, datasetFile } = useConfigStore.getState();
    const { imageFiles } = useVisionConfigStore.getState();
    void startRun(config, { modelFiles, datasetFile, imageFiles });
  };

  return (
    <div className="run-controls">
      <button type="button" className="primary" onClick={onRun} disabled={blockedReason !== null} title={blockedReason ?? (task === 'vision' ? 'Start training' : 'Start fine-tuning')} data-testid="run-button">
        Run
      </button>
      <button type="button" onClick={stopRun} disabled={phase !== 'starting' && phase !== 'running'} title="Stop after the current step" data-testid="stop-button">
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

function stepsPerSecond(loss: readonly LossPoint[]): number | null {
  if (loss.length === 0) return null;
  const last = loss[loss.length - 1];
  const first = loss.length > RATE_WINDOW_STEPS ? loss[loss.length - 1 - RATE_WINDOW_STEPS] : null;
  const steps = first ? last.step - first.step : last.step;
  const ms = first ? last.elapsedMs - first.elapsedMs : last.elapsedMs;
  return ms > 0 ? (steps * 1000) / ms : null;
}

/** Returns the accuracy of the latest evaluation that reported one, or null. */
function latestAccuracy(state: RunState): number | null {
  for (let i = state.evals.length - 1; i >= 0; i--) {
    const accuracy = state.evals[i].accuracy;
    if (accuracy !== undefined) return accuracy;
  }
  return null;
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
 * Renders one line: phase, step k / N, steps per second, elapsed time, parameter count, for vision
 * runs the latest held-out accuracy and the optimizer-state bytes, and the adapter.
 */
export function StatusLine() {
  const state = useRunStore();
  const pageAdapter = useWebGpuStore((webgpu) => (webgpu.status === 'available' ? webgpu.adapterName : null));
  const active = state.phase === 'starting' || state.phase === 'running' || state.phase === 'stopping';
  const now = useNow(active);

  const adapter = state.adapterName ?? pageAdapter;
  const rate = stepsPerSecond(state.loss);
  const end = state.finishedAt ?? now;
  const elapsed = state.requestedAt === null ? null : end - state.requestedAt;
  const vision = state.task === 'vision';
  const lastAccuracy = latestAccuracy(state);
  const lastMemory = state.memory.length ? state.memory[state.memory.length - 1].bytes : null;

  return (
    <div className="status" data-testid="status" data-phase={state.phase} data-finish-reason={state.finish?.reason ?? ''} aria-live="polite">
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
          optimizer state {lastMemory === null ? '–' : formatBytes(optimizerStateBytes(lastMemory))}
        </span>
      )}
      <span className="adapter" data-testid="adapter-name" title="WebGPU adapter">
        {adapter ?? 'no adapter'}
      </span>
    </div>
  );
}
