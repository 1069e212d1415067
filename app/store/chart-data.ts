/**
 * The points the comparison charts draw, per run: training loss, held-out loss and (vision)
 * held-out accuracy, against step or against training time. The charts and window.__playground
 * read the same function, so a browser test reads exactly what is drawn.
 */
import { downsampleSeries, elapsedMsAtStep, type Comparison, type ComparisonRun, type RunStatus, type Series } from '../share';
import type { XAxis } from './comparison';

/** Points drawn per series; above this, SVG redraws slow the page down. */
export const MAX_DRAWN_POINTS = 2000;

export interface ChartPoint {
  /** The step, or the training time in ms at that step. */
  x: number;
  y: number;
  step: number;
}

export interface RunChartSeries {
  id: string;
  label: string;
  colour: string;
  /** Null for a run that has not run. */
  status: RunStatus | null;
  trainLoss: ChartPoint[];
  evalLoss: ChartPoint[];
  /** Held-out accuracy in [0, 1]; null for language-model runs. */
  accuracy: ChartPoint[] | null;
}

export interface ChartData {
  xAxis: XAxis;
  runs: RunChartSeries[];
}

/**
 * Returns the points of `series`, min-max downsampled to `maxPoints` so that every spike stays. On
 * the time axis a point's x is the training time at its step, interpolated between downsampled time
 * points, and points without a time are left out.
 */
function points(run: ComparisonRun, series: Series, xAxis: XAxis, maxPoints: number): ChartPoint[] {
  const drawn = downsampleSeries(series, maxPoints);
  const result: ChartPoint[] = [];
  drawn.steps.forEach((step, index) => {
    const x = xAxis === 'step' ? step : run.results && elapsedMsAtStep(run.results, step);
    if (x !== undefined) result.push({ x, y: drawn.values[index], step });
  });
  return result;
}

function runSeries(run: ComparisonRun, task: Comparison['task'], xAxis: XAxis, maxPoints: number): RunChartSeries {
  const results = run.results;
  const base = { id: run.id, label: run.label, colour: run.colour, status: results?.summary.status ?? null };
  if (!results) return { ...base, trainLoss: [], evalLoss: [], accuracy: task === 'vision' ? [] : null };
  const { series } = results;
  let accuracy: ChartPoint[] | null = null;
  if (task === 'vision') accuracy = series.accuracy ? points(run, series.accuracy, xAxis, maxPoints) : [];
  return {
    ...base,
    trainLoss: points(run, series.trainLoss, xAxis, maxPoints),
    evalLoss: points(run, series.evalLoss, xAxis, maxPoints),
    accuracy,
  };
}

const cache = new WeakMap<Comparison, Map<string, ChartData>>();

/** Returns what the charts draw for `comparison`; results are cached per comparison object. */
export function chartData(comparison: Comparison, xAxis: XAxis, maxPoints = MAX_DRAWN_POINTS): ChartData {
  const key = `${xAxis}:${maxPoints}`;
  let byKey = cache.get(comparison);
  if (!byKey) {
    byKey = new Map();
    cache.set(comparison, byKey);
  }
  let data = byKey.get(key);
  if (!data) {
    data = { xAxis, runs: comparison.runs.map((run) => runSeries(run, comparison.task, xAxis, maxPoints)) };
    byKey.set(key, data);
  }
  return data;
}
