/**
 * Recording a run's results from its RunEvents. The page and the CLI both feed every event of a run
 * to `recordRunEvent`, so a comparison gets the same series and summary whichever of them ran it.
 */
import type { RunEvent, Task } from '../run/types';
import { COMPARISON_LIMITS, METRIC_RANGES } from './schema';
import { appendPoint, downsampleSeries, emptySeries, valueAtStep } from './series';
import type { MemoryByCategory, RunLogLevel, RunResults, RunSample, RunSeries } from './types';

/** Results of a run about to start: empty series (with accuracy for vision) and status 'running'. */
export function emptyRunResults(task: Task): RunResults {
  const series: RunSeries = { trainLoss: emptySeries(), evalLoss: emptySeries(), elapsedMs: emptySeries() };
  if (task === 'vision') series.accuracy = emptySeries();
  return { series, summary: { status: 'running', stepsDone: 0, elapsedMs: 0, peakMemoryBytes: {} } };
}

function inRange(value: number, [low, high]: readonly [number, number]): boolean {
  return Number.isFinite(value) && value >= low && value <= high;
}

function updatePeaks(peaks: MemoryByCategory, bytes: Record<string, number>): void {
  for (const [category, value] of Object.entries(bytes)) {
    if (!Number.isSafeInteger(value) || value < 0 || value > COMPARISON_LIMITS.maxBytes) continue;
    const key = category as keyof MemoryByCategory;
    peaks[key] = Math.max(peaks[key] ?? 0, value);
  }
}

/**
 * Returns `text` cut to at most `maxLength` UTF-16 code units. A cut text ends with '…', and the cut
 * never splits a surrogate pair.
 */
export function truncateText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let end = maxLength - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Appends a log line at the run's current step, dropping the oldest lines beyond COMPARISON_LIMITS.maxLogLines. */
function appendLogLine(results: RunResults, level: RunLogLevel, message: string): void {
  const log = (results.log ??= []);
  log.push({ level, message: truncateText(message, COMPARISON_LIMITS.maxLogMessageLength), step: results.summary.stepsDone });
  const excess = log.length - COMPARISON_LIMITS.maxLogLines;
  if (excess > 0) {
    log.splice(0, excess);
    results.droppedLogLines = (results.droppedLogLines ?? 0) + excess;
  }
}

function recordSample(results: RunResults, event: Extract<RunEvent, { type: 'sample' }>): void {
  // Only language-model runs generate samples; their results have no accuracy series.
  if (results.series.accuracy || !Number.isSafeInteger(event.step) || event.step < 0 || event.step > COMPARISON_LIMITS.maxStep) return;
  const sample: RunSample = {
    step: event.step,
    prompt: truncateText(event.prompt, COMPARISON_LIMITS.maxSamplePromptLength),
    text: truncateText(event.text, COMPARISON_LIMITS.maxSampleTextLength),
  };
  results.samples = { ...results.samples, [event.when]: sample };
}

function setElapsed(results: RunResults, step: number, elapsedMs: number): void {
  if (!inRange(elapsedMs, METRIC_RANGES.elapsedMs)) return;
  const { summary } = results;
  summary.stepsDone = step;
  summary.elapsedMs = elapsedMs;
  if (step > 0) summary.msPerStep = elapsedMs / step;
  else delete summary.msPerStep;
}

/**
 * Adds one event to `results` in place and returns it.
 * - `step` and `eval` events append points; an elapsed-time point is added at every step and at an
 *   evaluation without a step event (step 0).
 * - A point whose step does not follow the series' last step is dropped, and so is a value that is
 *   not finite or outside METRIC_RANGES (JSON cannot carry NaN), so the results always validate.
 * - The summary follows along: steps done, training time, ms per step, final and best eval loss (and
 *   accuracy for vision), and peak bytes per memory category.
 * - The status stays 'running' until a `finished` event sets its reason, and the first `error`
 *   message is kept.
 * - `sample` events of a language-model run set `samples.before` or `samples.after`, with the text
 *   cut at COMPARISON_LIMITS.maxSampleTextLength characters.
 * - `log` and `error` events append a line to `log` with the steps done so far, each message cut at
 *   COMPARISON_LIMITS.maxLogMessageLength characters. Only the last COMPARISON_LIMITS.maxLogLines
 *   lines are kept, and `droppedLogLines` counts the lines dropped before them.
 */
export function recordRunEvent(results: RunResults, event: RunEvent): RunResults {
  const { series, summary } = results;
  switch (event.type) {
    case 'started':
      summary.status = 'running';
      summary.adapter = event.adapter.slice(0, 200);
      if (Number.isSafeInteger(event.parameterCount) && event.parameterCount >= 0) summary.parameterCount = event.parameterCount;
      updatePeaks(summary.peakMemoryBytes, event.memoryBytes);
      break;
    case 'step':
      if (inRange(event.loss, METRIC_RANGES.loss)) appendPoint(series.trainLoss, event.step, event.loss);
      if (inRange(event.elapsedMs, METRIC_RANGES.elapsedMs)) appendPoint(series.elapsedMs, event.step, event.elapsedMs);
      setElapsed(results, event.step, event.elapsedMs);
      updatePeaks(summary.peakMemoryBytes, event.memoryBytes);
      break;
    case 'eval':
      if (inRange(event.evalLoss, METRIC_RANGES.loss) && appendPoint(series.evalLoss, event.step, event.evalLoss)) {
        summary.finalEvalLoss = event.evalLoss;
        summary.bestEvalLoss = Math.min(summary.bestEvalLoss ?? Infinity, event.evalLoss);
      }
      if (series.accuracy && event.accuracy !== undefined && inRange(event.accuracy, METRIC_RANGES.accuracy) && appendPoint(series.accuracy, event.step, event.accuracy)) {
        summary.finalAccuracy = event.accuracy;
        summary.bestAccuracy = Math.max(summary.bestAccuracy ?? -Infinity, event.accuracy);
      }
      if (inRange(event.elapsedMs, METRIC_RANGES.elapsedMs)) appendPoint(series.elapsedMs, event.step, event.elapsedMs);
      break;
    case 'error':
      summary.status = 'error';
      summary.message ??= event.message.slice(0, COMPARISON_LIMITS.maxMessageLength);
      appendLogLine(results, 'error', event.message);
      break;
    case 'finished':
      summary.status = summary.status === 'error' ? 'error' : event.reason;
      if (event.reason === 'error') summary.message ??= 'The run failed without an error message.';
      setElapsed(results, event.step, event.elapsedMs);
      break;
    case 'sample':
      recordSample(results, event);
      break;
    case 'log':
      appendLogLine(results, event.level, event.message);
      break;
  }
  return results;
}

/** Records `events` into fresh results: what the summary of a finished event log is. */
export function resultsFromEvents(task: Task, events: Iterable<RunEvent>): RunResults {
  const results = emptyRunResults(task);
  for (const event of events) recordRunEvent(results, event);
  return results;
}

/** Returns a copy of `results` with every series downsampled by `downsampleSeries`, and the summary, samples and log unchanged. */
export function downsampleResults(results: RunResults, maxPoints: number): RunResults {
  const { series, summary, ...text } = results;
  const copy: RunSeries = {
    trainLoss: downsampleSeries(series.trainLoss, maxPoints),
    evalLoss: downsampleSeries(series.evalLoss, maxPoints),
    elapsedMs: downsampleSeries(series.elapsedMs, maxPoints),
  };
  if (series.accuracy) copy.accuracy = downsampleSeries(series.accuracy, maxPoints);
  return { series: copy, summary: structuredClone(summary), ...structuredClone(text) };
}

/**
 * Training time at `step`, for plotting a loss point against wall time: exact at recorded steps,
 * interpolated linearly in between (downsampled series keep different steps per metric).
 */
export function elapsedMsAtStep(results: RunResults, step: number): number | undefined {
  return valueAtStep(results.series.elapsedMs, step);
}
