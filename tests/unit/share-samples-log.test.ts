/**
 * Samples and log lines in a run's results. The tests cover recording them from run events with
 * their caps, the schema checks, old comparisons without them, share links that carry or trim them,
 * the exports, and the comparison store that records them on the page.
 */
import LZString from 'lz-string';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../app/run/types';
import {
  COMPARISON_LIMITS,
  MAX_LINK_PAYLOAD_LENGTH,
  SHARE_MAX_LOG_LINES,
  decodeComparison,
  emptyRunResults,
  encodeComparison,
  metricsCsv,
  metricsJson,
  prepareForShare,
  readShareHash,
  recordRunEvent,
  resultsFromEvents,
  setRunResults,
  shareUrl,
  truncateText,
  validateComparison,
  type Comparison,
  type RunResults,
} from '../../app/share';
import { beginRunRecording, finishRunRecording, markReady, queueRuns, recordRunEvents, resetComparisonStore, takeNextQueued, useComparisonStore } from '../../app/store/comparison';
import { checkStoredRecord, RECORD_VERSION } from '../../app/store/persistence';
import { emptyMemoryBytes } from '../../kernels/gpu/pool';
import { languageModelComparison, syntheticEvents, visionComparison } from './share-fixtures';

const PROMPT = 'Fellow citizens, ';

/** Returns the fixture's events with a sample before and after training and a warning after the second step. */
function eventsWithText(events: RunEvent[], steps: number): RunEvent[] {
  const withText: RunEvent[] = [];
  for (const event of events) {
    if (event.type === 'finished') withText.push({ type: 'sample', step: steps, when: 'after', prompt: PROMPT, text: 'we shall prevail.' });
    withText.push(event);
    if (event.type === 'started') {
      withText.push({ type: 'log', level: 'info', message: 'Run started.' });
      withText.push({ type: 'sample', step: 0, when: 'before', prompt: PROMPT, text: 'the whale, the whale.' });
    }
    if (event.type === 'step' && event.step === 2) withText.push({ type: 'log', level: 'warn', message: 'shampoo4: fc1.weight: the factor update at step 2 had 3 non-finite entries' });
  }
  return withText;
}

/** Returns the language-model fixture with samples and a log in each run's results. */
function comparisonWithText(): Comparison {
  let comparison = languageModelComparison();
  comparison.runs.forEach((run, index) => {
    const events = eventsWithText(syntheticEvents(run.config, index), run.config.steps);
    comparison = setRunResults(comparison, run.id, resultsFromEvents('language-model', events));
  });
  return comparison;
}

/** Copies a comparison as plain JSON, so a test can put any value anywhere. */
function editable(comparison: Comparison): Record<string, any> {
  return JSON.parse(JSON.stringify(comparison));
}

/** Returns the link payload of any JSON value, compressed as a link compresses a comparison. */
function payloadOf(value: unknown): string {
  return `v1.${LZString.compressToEncodedURIComponent(JSON.stringify(value))}`;
}

/** Returns a pseudo-random string of `length` printable ASCII characters, which compresses poorly. */
function noise(length: number, seed: number): string {
  let state = seed;
  let text = '';
  for (let i = 0; i < length; i++) {
    state = (state * 16807) % 2147483647;
    text += String.fromCharCode(0x21 + (state % 94));
  }
  return text;
}

describe('recording samples and log lines', () => {
  it('records samples before and after', () => {
    const results = resultsFromEvents('language-model', eventsWithText(syntheticEvents(languageModelComparison().runs[0].config), 60));
    expect(results.samples).toEqual({
      before: { step: 0, prompt: PROMPT, text: 'the whale, the whale.' },
      after: { step: 60, prompt: PROMPT, text: 'we shall prevail.' },
    });
  });

  it('records log lines with their step', () => {
    const results = resultsFromEvents('language-model', eventsWithText(syntheticEvents(languageModelComparison().runs[0].config), 60));
    expect(results.log).toEqual([
      { level: 'info', message: 'Run started.', step: 0 },
      { level: 'warn', message: 'shampoo4: fc1.weight: the factor update at step 2 had 3 non-finite entries', step: 2 },
    ]);
    expect(results.droppedLogLines).toBeUndefined();
  });

  it('records errors in the log and summary', () => {
    const results = emptyRunResults('vision');
    recordRunEvent(results, { type: 'step', step: 1, loss: 2, elapsedMs: 4, memoryBytes: emptyMemoryBytes() });
    recordRunEvent(results, { type: 'error', message: 'Training diverged at step 2' });
    recordRunEvent(results, { type: 'error', message: 'A second error' });
    expect(results.log).toEqual([
      { level: 'error', message: 'Training diverged at step 2', step: 1 },
      { level: 'error', message: 'A second error', step: 1 },
    ]);
    expect(results.summary.status).toBe('error');
    expect(results.summary.message).toBe('Training diverged at step 2');
  });

  it('keeps the series unchanged', () => {
    const config = languageModelComparison().runs[0].config;
    const plain = resultsFromEvents('language-model', syntheticEvents(config));
    const withText = resultsFromEvents('language-model', eventsWithText(syntheticEvents(config), config.steps));
    expect(withText.series).toEqual(plain.series);
    expect(withText.summary).toEqual(plain.summary);
  });

  it('ignores samples in vision results', () => {
    const results = emptyRunResults('vision');
    recordRunEvent(results, { type: 'sample', step: 0, when: 'before', prompt: PROMPT, text: 'text' });
    expect(results.samples).toBeUndefined();
  });

  it('ignores a sample with an invalid step', () => {
    const results = emptyRunResults('language-model');
    recordRunEvent(results, { type: 'sample', step: -1, when: 'before', prompt: PROMPT, text: 'text' });
    recordRunEvent(results, { type: 'sample', step: 1.5, when: 'after', prompt: PROMPT, text: 'text' });
    expect(results.samples).toBeUndefined();
  });
});

describe('caps on samples and log lines', () => {
  it('keeps the latest log lines', () => {
    const results = emptyRunResults('vision');
    for (let i = 0; i < 250; i++) recordRunEvent(results, { type: 'log', level: 'warn', message: `warning ${i}` });
    expect(results.log).toHaveLength(COMPARISON_LIMITS.maxLogLines);
    expect(results.log![0].message).toBe('warning 50');
    expect(results.log!.at(-1)!.message).toBe('warning 249');
    expect(results.droppedLogLines).toBe(50);
  });

  it('cuts a long log message', () => {
    const results = emptyRunResults('vision');
    recordRunEvent(results, { type: 'log', level: 'warn', message: 'x'.repeat(5000) });
    const message = results.log![0].message;
    expect(message).toHaveLength(COMPARISON_LIMITS.maxLogMessageLength);
    expect(message.endsWith('x…')).toBe(true);
  });

  it('cuts a long sample', () => {
    const results = emptyRunResults('language-model');
    recordRunEvent(results, { type: 'sample', step: 0, when: 'before', prompt: PROMPT, text: 'y'.repeat(10_000) });
    expect(results.samples!.before!.text).toHaveLength(COMPARISON_LIMITS.maxSampleTextLength);
    expect(results.samples!.before!.text.endsWith('y…')).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    const text = 'ab😀cd';
    expect(truncateText(text, 6)).toBe(text);
    expect(truncateText(text, 5)).toBe('ab😀…');
    expect(truncateText(text, 4)).toBe('ab…');
    expect(truncateText(text, 3)).toBe('ab…');
  });

  it('keeps results valid at the caps', () => {
    const comparison = languageModelComparison();
    const results = comparison.runs[0].results!;
    for (let i = 0; i < 300; i++) recordRunEvent(results, { type: 'log', level: 'info', message: 'z'.repeat(1000) });
    recordRunEvent(results, { type: 'sample', step: 60, when: 'after', prompt: 'p'.repeat(3000), text: 'q'.repeat(9000) });
    expect(validateComparison(comparison)).toEqual([]);
  });
});

describe('schema of samples and log lines', () => {
  it('accepts recorded samples and log lines', () => {
    expect(validateComparison(comparisonWithText())).toEqual([]);
  });

  it('accepts old results without them', () => {
    const value = editable(languageModelComparison());
    expect(value.runs[0].results).not.toHaveProperty('samples');
    expect(value.runs[0].results).not.toHaveProperty('log');
    expect(validateComparison(value)).toEqual([]);
  });

  const cases: Array<[string, (value: Record<string, any>) => void, string[]]> = [
    ['an unknown log level', (value) => (value.runs[0].results.log[1].level = 'debug'), ['runs.0.results.log.1.level must be one of "info", "warn", "error" (got "debug")']],
    ['a log message that is not text', (value) => (value.runs[1].results.log[0].message = 42), ['runs.1.results.log.0.message must be string (got 42)']],
    ['a too long log message', (value) => (value.runs[0].results.log[0].message = 'm'.repeat(501)), [`runs.0.results.log.0.message must NOT have more than 500 characters (got "${'m'.repeat(76)}...)`]],
    ['a log line without a level', (value) => delete value.runs[0].results.log[0].level, ['runs.0.results.log.0: missing field "level"']],
    ['a fractional log step', (value) => (value.runs[0].results.log[1].step = 2.5), ['runs.0.results.log.1.step must be integer (got 2.5)']],
    ['a log step past the run', (value) => (value.runs[0].results.log[1].step = 61), ["runs.0.results.log.1.step must be <= 60, the run's steps (got 61)"]],
    ['a log that is not a list', (value) => (value.runs[0].results.log = 'warnings'), ['runs.0.results.log must be array (got "warnings")']],
    ['too many log lines', (value) => (value.runs[0].results.log = Array.from({ length: 201 }, () => ({ level: 'info', message: 'line' }))), ['runs.0.results.log must NOT have more than 200 items (got an array of 201 items)']],
    ['a negative dropped count', (value) => (value.runs[0].results.droppedLogLines = -1), ['runs.0.results.droppedLogLines must be >= 0 (got -1)']],
    ['an unknown sample', (value) => (value.runs[0].results.samples.middle = value.runs[0].results.samples.before), ['runs.0.results.samples: unknown field "middle"']],
    ['a sample without text', (value) => delete value.runs[0].results.samples.after.text, ['runs.0.results.samples.after: missing field "text"']],
    ['a too long sample', (value) => (value.runs[1].results.samples.before.text = 's'.repeat(4001)), [`runs.1.results.samples.before.text must NOT have more than 4000 characters (got "${'s'.repeat(76)}...)`]],
    ['a sample step past the run', (value) => (value.runs[0].results.samples.after.step = 61), ["runs.0.results.samples.after.step must be <= 60, the run's steps (got 61)"]],
  ];
  it.each(cases)('rejects %s', (_name, corrupt, expected) => {
    const value = editable(comparisonWithText());
    corrupt(value);
    expect(validateComparison(value)).toEqual(expected);
  });

  it('rejects samples of a vision run', () => {
    const value = editable(visionComparison());
    value.runs[0].results.samples = { before: { step: 0, prompt: PROMPT, text: 'text' } };
    expect(validateComparison(value)).toEqual(['runs.0.results.samples: only language-model runs generate samples']);
  });

  it('rejects a malformed field in a link', () => {
    const value = editable(comparisonWithText());
    value.runs[1].results.log[0].level = 'fatal';
    const result = decodeComparison(payloadOf(value));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(['runs.1.results.log.0.level must be one of "info", "warn", "error" (got "fatal")']);
  });
});

describe('old comparisons without samples and log', () => {
  it('load from a stored record', () => {
    const comparison = languageModelComparison();
    const record = { id: 'language-model', recordVersion: RECORD_VERSION, comparison, selectedRunId: 'mezo', savedAt: 2, activatedAt: 1 };
    const loaded = checkStoredRecord(JSON.parse(JSON.stringify(record)));
    expect(loaded.ok).toBe(true);
  });

  it('open from a link', () => {
    const comparison = languageModelComparison();
    const result = decodeComparison(payloadOf(comparison));
    expect(result).toEqual({ ok: true, comparison });
  });
});

describe('share links with samples and log lines', () => {
  it('round-trip through a link', () => {
    const comparison = comparisonWithText();
    const result = readShareHash(new URL(shareUrl('http://127.0.0.1:5173/', comparison)).hash);
    expect(result).toEqual({ ok: true, comparison: prepareForShare(comparison) });
    if (!result?.ok) return;
    expect(result.comparison.runs[0].results!.samples).toEqual(comparison.runs[0].results!.samples);
    expect(result.comparison.runs[1].results!.log).toEqual(comparison.runs[1].results!.log);
  });

  it('keep the latest log lines', () => {
    const comparison = languageModelComparison();
    const results = comparison.runs[0].results!;
    for (let i = 0; i < 230; i++) recordRunEvent(results, { type: 'log', level: 'warn', message: `warning ${i}` });
    const shared = prepareForShare(comparison).runs[0].results!;
    expect(shared.log).toHaveLength(SHARE_MAX_LOG_LINES);
    expect(shared.log![0].message).toBe(`warning ${230 - SHARE_MAX_LOG_LINES}`);
    expect(shared.droppedLogLines).toBe(230 - SHARE_MAX_LOG_LINES);
    expect(results.log).toHaveLength(COMPARISON_LIMITS.maxLogLines);
  });

  it('leave out the log and samples on request', () => {
    const comparison = comparisonWithText();
    const shared = prepareForShare(comparison, 200, { maxLogLines: 0, samples: false }).runs[0].results!;
    expect(shared).not.toHaveProperty('log');
    expect(shared).not.toHaveProperty('samples');
    expect(shared.droppedLogLines).toBe(2);
    expect(validateComparison(prepareForShare(comparison, 200, { maxLogLines: 0, samples: false }))).toEqual([]);
  });

  it('stay under the cap with huge logs', () => {
    // 16 runs, each keeping 200 incompressible 500-character log lines and two 4000-character
    // samples: about 1.7 million characters of text, far more than a link may carry.
    const base = languageModelComparison();
    const runs = Array.from({ length: 16 }, (_, index) => {
      const run = structuredClone(base.runs[index % 2]);
      run.id = `run-${index}`;
      const results: RunResults = run.results!;
      for (let line = 0; line < 10_000; line++) {
        const message = line >= 10_000 - COMPARISON_LIMITS.maxLogLines ? noise(600, index * 100_000 + line + 1) : 'short';
        recordRunEvent(results, { type: 'log', level: 'warn', message });
      }
      recordRunEvent(results, { type: 'sample', step: 0, when: 'before', prompt: PROMPT, text: noise(5000, index + 7) });
      recordRunEvent(results, { type: 'sample', step: 60, when: 'after', prompt: PROMPT, text: noise(5000, index + 9) });
      return run;
    });
    const huge: Comparison = { ...base, runs };
    expect(validateComparison(huge)).toEqual([]);
    expect(() => encodeComparison(prepareForShare(huge))).toThrow(/more than the 200000 a link may have/);

    const url = shareUrl('http://127.0.0.1:5173/', huge);
    const hash = new URL(url).hash;
    expect(hash.length - 1).toBeLessThanOrEqual(MAX_LINK_PAYLOAD_LENGTH);
    const result = readShareHash(hash);
    expect(result?.ok).toBe(true);
    if (!result?.ok) return;
    // The text costs the series no points: each keeps all 60 of its training-loss points.
    for (const run of result.comparison.runs) {
      const results = run.results!;
      expect(results.series.trainLoss.steps.length).toBe(60);
      expect((results.log?.length ?? 0) + results.droppedLogLines!).toBe(10_000);
    }
  });
});

describe('JSON and CSV exports', () => {
  it('carry samples and log in JSON', () => {
    const comparison = comparisonWithText();
    const document = JSON.parse(metricsJson(comparison));
    expect(document.runs[0].samples).toEqual(comparison.runs[0].results!.samples);
    expect(document.runs[1].log).toEqual(comparison.runs[1].results!.log);
    expect(document.runs[1].droppedLogLines).toBe(0);
  });

  it('write empty fields for runs without them', () => {
    const comparison = setRunResults(visionComparison(), 'shampoo32', undefined);
    const document = JSON.parse(metricsJson(comparison));
    expect(document.runs[0].samples).toEqual({ before: null, after: null });
    expect(document.runs[0].log).toEqual([]);
    expect(document.runs[1].log).toEqual([]);
  });

  it('keep the CSV metrics only', () => {
    expect(metricsCsv(comparisonWithText())).toBe(metricsCsv(languageModelComparison()));
  });
});

describe('comparison store', () => {
  beforeEach(() => {
    resetComparisonStore();
    markReady();
  });

  function startSubzero(): void {
    queueRuns(['subzero']);
    takeNextQueued();
    beginRunRecording('subzero');
  }

  function subzeroResults(): RunResults | undefined {
    return useComparisonStore.getState().local['language-model'].comparison.runs[0].results;
  }

  it('records samples and log per batch', () => {
    startSubzero();
    recordRunEvents('subzero', [
      { type: 'log', level: 'info', message: 'Run started.' },
      { type: 'sample', step: 0, when: 'before', prompt: PROMPT, text: 'first' },
    ]);
    const first = subzeroResults()!;
    recordRunEvents('subzero', [{ type: 'log', level: 'warn', message: 'A warning' }]);
    const second = subzeroResults()!;
    expect(first.log).toHaveLength(1);
    expect(second.log!.map((line) => line.message)).toEqual(['Run started.', 'A warning']);
    expect(second.samples!.before!.text).toBe('first');
  });

  it('logs a page error', () => {
    startSubzero();
    finishRunRecording('subzero', { pageError: 'Reading the picked files failed: gone' });
    const results = subzeroResults()!;
    expect(results.summary.status).toBe('error');
    expect(results.summary.message).toBe('Reading the picked files failed: gone');
    expect(results.log).toEqual([{ level: 'error', message: 'Reading the picked files failed: gone', step: 0 }]);
  });
});
