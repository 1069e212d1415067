/** Metric series against step: appending points, downsampling, and reading the time at a step. */
import type { Series } from './types';

export function emptySeries(): Series {
  return { steps: [], values: [] };
}

/**
 * Appends (step, value) and returns true, or returns false and keeps the series unchanged when the
 * step does not follow the last one, so steps stay strictly increasing.
 */
export function appendPoint(series: Series, step: number, value: number): boolean {
  const last = series.steps.length ? series.steps[series.steps.length - 1] : -Infinity;
  if (!(step > last)) return false;
  series.steps.push(step);
  series.values.push(value);
  return true;
}

/** The smallest `maxPoints` that `downsampleSeries` accepts: first, last and one bucket's min and max. */
export const MIN_DOWNSAMPLE_POINTS = 4;

/**
 * Returns a copy of `series` with at most `maxPoints` points, by min-max decimation:
 * - the first and the last point are always kept;
 * - the points between them are cut into ⌊(maxPoints − 2) / 2⌋ buckets of consecutive indices, as
 *   equal as integer division allows;
 * - each bucket keeps its lowest and its highest value in step order (the earliest one on ties, and
 *   one point when both are the same point).
 * So the global minimum and maximum are kept, every kept point is an original (step, value) pair,
 * and a series with at most `maxPoints` points is copied unchanged.
 */
export function downsampleSeries(series: Series, maxPoints: number): Series {
  if (!Number.isInteger(maxPoints) || maxPoints < MIN_DOWNSAMPLE_POINTS) {
    throw new RangeError(`downsampleSeries: maxPoints must be an integer >= ${MIN_DOWNSAMPLE_POINTS} (got ${maxPoints}).`);
  }
  const count = series.steps.length;
  if (count !== series.values.length) {
    throw new RangeError(`downsampleSeries: ${count} steps but ${series.values.length} values.`);
  }
  if (count <= maxPoints) return { steps: series.steps.slice(), values: series.values.slice() };

  const kept: number[] = [0];
  const interior = count - 2;
  const buckets = Math.floor((maxPoints - 2) / 2);
  for (let bucket = 0; bucket < buckets; bucket++) {
    const start = 1 + Math.floor((bucket * interior) / buckets);
    const end = 1 + Math.floor(((bucket + 1) * interior) / buckets);
    if (start >= end) continue;
    let low = start;
    let high = start;
    for (let i = start + 1; i < end; i++) {
      if (series.values[i] < series.values[low]) low = i;
      if (series.values[i] > series.values[high]) high = i;
    }
    if (low === high) kept.push(low);
    else kept.push(Math.min(low, high), Math.max(low, high));
  }
  kept.push(count - 1);
  return { steps: kept.map((i) => series.steps[i]), values: kept.map((i) => series.values[i]) };
}

/**
 * Value of `series` at `step`: exact where the step was kept, linearly interpolated between the
 * neighbouring points otherwise, and undefined outside the recorded steps. Meant for elapsed time,
 * which grows about linearly with step, to place loss points on a wall-time axis.
 */
export function valueAtStep(series: Series, step: number): number | undefined {
  const { steps, values } = series;
  if (steps.length === 0 || step < steps[0] || step > steps[steps.length - 1]) return undefined;
  let low = 0;
  let high = steps.length - 1;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (steps[middle] <= step) low = middle;
    else high = middle;
  }
  if (steps[low] === step) return values[low];
  if (steps[high] === step) return values[high];
  const fraction = (step - steps[low]) / (steps[high] - steps[low]);
  return values[low] + fraction * (values[high] - values[low]);
}
