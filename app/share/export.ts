/**
 * Exports of a comparison's metrics as CSV and JSON, one row per run per recorded step. The JSON also
 * carries each run's config, summary, samples and log lines, and the CSV has metrics only.
 */
import type { Comparison, ComparisonRun, RunLogLine, RunSample, RunSummary, Series } from './types';

/** CSV header, in column order. */
export const METRICS_CSV_COLUMNS = ['run_id', 'label', 'optimizer', 'step', 'train_loss', 'eval_loss', 'accuracy', 'elapsed_ms'] as const;

/**
 * One step of one run. A metric is null where it was not recorded at that step: eval loss and
 * accuracy exist only at evaluations, accuracy only for vision runs, and a downsampled series keeps
 * different steps per metric.
 */
export interface MetricsRow {
  runId: string;
  label: string;
  optimizer: string;
  step: number;
  trainLoss: number | null;
  evalLoss: number | null;
  accuracy: number | null;
  elapsedMs: number | null;
}

function valuesByStep(series: Series | undefined): Map<number, number> {
  const map = new Map<number, number>();
  if (series) series.steps.forEach((step, i) => map.set(step, series.values[i]));
  return map;
}

function runRows(run: ComparisonRun): MetricsRow[] {
  if (!run.results) return [];
  const { series } = run.results;
  const trainLoss = valuesByStep(series.trainLoss);
  const evalLoss = valuesByStep(series.evalLoss);
  const accuracy = valuesByStep(series.accuracy);
  const elapsedMs = valuesByStep(series.elapsedMs);
  const steps = [...new Set([...trainLoss.keys(), ...evalLoss.keys(), ...accuracy.keys(), ...elapsedMs.keys()])].sort((a, b) => a - b);
  return steps.map((step) => ({
    runId: run.id,
    label: run.label,
    optimizer: run.config.optimizer.name,
    step,
    trainLoss: trainLoss.get(step) ?? null,
    evalLoss: evalLoss.get(step) ?? null,
    accuracy: accuracy.get(step) ?? null,
    elapsedMs: elapsedMs.get(step) ?? null,
  }));
}

/** Rows of every run with results, runs in comparison order and steps ascending. */
export function metricsRows(comparison: Comparison): MetricsRow[] {
  return comparison.runs.flatMap(runRows);
}

/**
 * Quotes a text cell that contains a comma, quote or line break (RFC 4180). A cell that starts with
 * =, +, -, @, tab or carriage return gets a leading apostrophe, so a spreadsheet shows a label from
 * a link as text instead of running it as a formula.
 */
function textCell(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function numberCell(value: number | null): string {
  return value === null ? '' : String(value);
}

/** Writes a time in ms to the microsecond, so float noise from subtracting timestamps (1667.199999999255) does not show. */
function millisecondsCell(value: number | null): string {
  return value === null ? '' : String(Number(value.toFixed(3)));
}

/**
 * Formats the metrics as CSV with the header METRICS_CSV_COLUMNS: run_id, label, optimizer (the optimizer
 * name), step, train_loss, eval_loss, accuracy (vision only, in [0, 1]), elapsed_ms (training time
 * in milliseconds, to the microsecond). Unrecorded values are empty cells. Lines end with CRLF, as RFC 4180 specifies.
 */
export function metricsCsv(comparison: Comparison): string {
  const lines = [METRICS_CSV_COLUMNS.join(',')];
  for (const row of metricsRows(comparison)) {
    lines.push(
      [textCell(row.runId), textCell(row.label), textCell(row.optimizer), String(row.step), numberCell(row.trainLoss), numberCell(row.evalLoss), numberCell(row.accuracy), millisecondsCell(row.elapsedMs)].join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

export interface MetricsExport {
  format: 'comparison-metrics';
  version: 1;
  title?: string;
  task: Comparison['task'];
  seed: number;
  runs: Array<{
    id: string;
    label: string;
    colour: string;
    config: ComparisonRun['config'];
    summary: RunSummary | null;
    /** The run's MetricsRow objects without the run fields. */
    points: Array<Omit<MetricsRow, 'runId' | 'label' | 'optimizer'>>;
    /** Text generated before and after fine-tuning, each null where none was recorded (always for vision). */
    samples: { before: RunSample | null; after: RunSample | null };
    /** The run's recorded log lines, oldest first. */
    log: RunLogLine[];
    /** Log lines dropped before the first one in `log`. */
    droppedLogLines: number;
  }>;
}

/** Formats the metrics as a JSON document (MetricsExport): per run its config, summary, points, samples and log. */
export function metricsJson(comparison: Comparison): string {
  const document: MetricsExport = {
    format: 'comparison-metrics',
    version: 1,
    ...(comparison.title !== undefined ? { title: comparison.title } : {}),
    task: comparison.task,
    seed: comparison.seed,
    runs: comparison.runs.map((run) => ({
      id: run.id,
      label: run.label,
      colour: run.colour,
      config: run.config,
      summary: run.results?.summary ?? null,
      points: runRows(run).map(({ runId: _id, label: _label, optimizer: _optimizer, ...point }) => point),
      samples: { before: run.results?.samples?.before ?? null, after: run.results?.samples?.after ?? null },
      log: run.results?.log ?? [],
      droppedLogLines: run.results?.droppedLogLines ?? 0,
    })),
  };
  return JSON.stringify(document, null, 2) + '\n';
}
