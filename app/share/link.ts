/**
 * Share links: a comparison in a URL hash, as `#v2.<data>.<crc>`, where the data is the comparison
 * JSON compressed with lz-string's compressToEncodedURIComponent and crc is the CRC-32 of the data
 * in 8 hex digits. Version 1 links (`#v1.<data>`, no checksum) are still read.
 *
 * A link is untrusted input. Decoding checks, in order: the payload length (before decompressing),
 * the version prefix, the checksum (version 2), the compressed data (with a cap on the decompressed length enforced while
 * decompressing, see lz.ts), the JSON, and the comparison schema. Any failure returns an error and
 * no comparison, never a partial one. The decoded comparison is data only: labels, titles, names
 * and messages are plain strings that the page must render as text, never as HTML.
 */
import LZString from 'lz-string';
import { interruptRunning } from './comparison';
import { crc32Hex } from './crc32';
import { DecompressionError, decompressBounded } from './lz';
import { downsampleResults } from './results';
import { assertComparison, showValue, validateComparison } from './schema';
import type { Comparison, RunResults, RunSummary, Series } from './types';

/** Version written by encodeComparison: 2 adds the checksum to version 1. */
export const LINK_VERSION = 2;
/** Versions decodeComparison reads. */
export const SUPPORTED_LINK_VERSIONS: readonly number[] = [1, 2];
/** Maximum payload length in characters, checked before decompressing; shareUrl stays within it. */
export const MAX_LINK_PAYLOAD_LENGTH = 200_000;
/** Longest decompressed JSON accepted, in UTF-16 code units, enforced while decompressing. */
export const MAX_LINK_JSON_LENGTH = 2_000_000;
/** Points per series that shareUrl keeps at first; it keeps fewer when the link would be too long. */
export const SHARE_MAX_POINTS = 200;
/** Log lines per run (the latest ones) that shareUrl keeps at first. It keeps fewer when the link would be too long. */
export const SHARE_MAX_LOG_LINES = 50;
/** Significant digits kept of each value in a shared series. */
const SHARE_DIGITS = 6;

export type DecodeResult = { ok: true; comparison: Comparison } | { ok: false; error: string; problems: string[] };

function failure(error: string, problems: string[] = []): DecodeResult {
  return { ok: false, error, problems };
}

/**
 * Encodes a valid comparison as a hash payload, `v2.<compressed JSON>.<CRC-32>`, without changing it (call
 * prepareForShare first to downsample). Throws InvalidComparisonError for an invalid comparison, and
 * an Error when the payload would be longer than MAX_LINK_PAYLOAD_LENGTH.
 */
export function encodeComparison(comparison: Comparison): string {
  assertComparison(comparison);
  const data = LZString.compressToEncodedURIComponent(JSON.stringify(comparison));
  const payload = `v${LINK_VERSION}.${data}.${crc32Hex(data)}`;
  if (payload.length > MAX_LINK_PAYLOAD_LENGTH) {
    throw new Error(`The comparison needs ${payload.length} characters as a link, more than the ${MAX_LINK_PAYLOAD_LENGTH} a link may have; keep fewer points per series or fewer runs.`);
  }
  return payload;
}

/**
 * Decodes a hash payload (with or without its leading '#'). Returns the comparison, or an error
 * sentence plus, for schema violations, one problem per field. Runs recorded as 'running' come back
 * 'interrupted', since nothing in a link still runs.
 */
export function decodeComparison(hash: string): DecodeResult {
  const payload = hash.startsWith('#') ? hash.slice(1) : hash;
  if (payload.length > MAX_LINK_PAYLOAD_LENGTH) {
    return failure(`The link is too long: its data has ${payload.length} characters, and the limit is ${MAX_LINK_PAYLOAD_LENGTH}.`);
  }
  const supported = SUPPORTED_LINK_VERSIONS.map((version) => `v${version}`).join(', ');
  const prefix = /^v(\d{1,6})\./.exec(payload);
  if (!prefix) {
    return failure(`The link is not a comparison link: its data must start with a version such as "v${LINK_VERSION}." (supported: ${supported}).`);
  }
  const version = Number(prefix[1]);
  if (!SUPPORTED_LINK_VERSIONS.includes(version)) {
    return failure(`The link has version v${version}, which this page cannot read; it reads ${supported}. Open the link with the version of the page that made it.`);
  }

  let data = payload.slice(prefix[0].length);
  if (version >= 2) {
    // The data alphabet (A–Z, a–z, 0–9, +, -, $) has no '.', so the last '.' starts the checksum.
    const dot = data.lastIndexOf('.');
    const checksum = dot < 0 ? '' : data.slice(dot + 1);
    data = dot < 0 ? data : data.slice(0, dot);
    if (!/^[0-9a-f]{8}$/.test(checksum) || checksum !== crc32Hex(data)) {
      return failure(
        `The link's data does not match its checksum${dot < 0 ? ' (the checksum is missing)' : ''}, so the link was changed or cut short after it was made. Copy the whole link again.`,
      );
    }
  }

  let json: string;
  try {
    json = decompressBounded(data, MAX_LINK_JSON_LENGTH);
  } catch (error) {
    if (!(error instanceof DecompressionError)) throw error;
    if (error.overLimit) {
      return failure(`The link's data expands to more than ${MAX_LINK_JSON_LENGTH} characters, the limit; decompression stopped after ${error.inputOffset} of its characters.`);
    }
    return failure(`The link's compressed data is corrupt: ${error.message}. Copy the whole link again.`);
  }

  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return failure(`The link's data is not valid JSON (${(error as Error).message}). Copy the whole link again.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return failure(`The link's data must be a JSON object, but it is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value} (${showValue(value)})`}.`);
  }
  const problems = validateComparison(value);
  if (problems.length) {
    return failure(`The link's comparison is invalid:\n- ${problems.join('\n- ')}`, problems);
  }
  return { ok: true, comparison: interruptRunning(value as Comparison) };
}

function round(value: number): number {
  return Number(value.toPrecision(SHARE_DIGITS));
}

function roundSeries(series: Series): Series {
  return { steps: series.steps, values: series.values.map(round) };
}

function roundSummary(summary: RunSummary): RunSummary {
  const copy = { ...summary };
  for (const field of ['elapsedMs', 'msPerStep', 'finalEvalLoss', 'bestEvalLoss', 'finalAccuracy', 'bestAccuracy'] as const) {
    const value = copy[field];
    if (value !== undefined) copy[field] = round(value);
  }
  return copy;
}

/** Options for the samples and log lines a link carries per run. */
export interface ShareTextOptions {
  /** Number of latest log lines kept per run, where 0 leaves the log out. Default SHARE_MAX_LOG_LINES. */
  maxLogLines?: number;
  /** Whether the samples are kept. Default true. */
  samples?: boolean;
}

function shareableResults(results: RunResults, maxPoints: number, { maxLogLines = SHARE_MAX_LOG_LINES, samples = true }: ShareTextOptions): RunResults {
  const { series, summary, samples: recordedSamples, log = [], droppedLogLines = 0 } = downsampleResults(results, maxPoints);
  const rounded: RunResults['series'] = {
    trainLoss: roundSeries(series.trainLoss),
    evalLoss: roundSeries(series.evalLoss),
    elapsedMs: roundSeries(series.elapsedMs),
  };
  if (series.accuracy) rounded.accuracy = roundSeries(series.accuracy);
  const shared: RunResults = { series: rounded, summary: roundSummary(summary) };

  if (samples && recordedSamples) shared.samples = recordedSamples;
  const keptLines = maxLogLines > 0 ? log.slice(-maxLogLines) : [];
  if (keptLines.length) shared.log = keptLines;
  // The count shows a reader of the link that the run logged more lines than the link carries.
  const dropped = droppedLogLines + log.length - keptLines.length;
  if (dropped > 0) shared.droppedLogLines = dropped;
  return shared;
}

/**
 * Returns the comparison as a link carries it: every series downsampled to `maxPoints` (see
 * downsampleSeries), values rounded to 6 significant digits, running runs marked interrupted, and
 * per run the latest `text.maxLogLines` log lines and (unless `text.samples` is false) the samples.
 */
export function prepareForShare(comparison: Comparison, maxPoints = SHARE_MAX_POINTS, text: ShareTextOptions = {}): Comparison {
  const settled = interruptRunning(comparison);
  return {
    ...settled,
    runs: settled.runs.map((run) => (run.results ? { ...run, results: shareableResults(run.results, maxPoints, text) } : run)),
  };
}

/** Points per series that shareUrl tries, in order, when a link at full detail is too long. */
const SHARE_POINT_LEVELS: readonly number[] = [SHARE_MAX_POINTS, 100, 50, 25, 12, 8];

/** Samples and log lines that shareUrl tries, in order, at the points chosen without them. */
const SHARE_TEXT_LEVELS: ReadonlyArray<Required<ShareTextOptions>> = [
  { maxLogLines: SHARE_MAX_LOG_LINES, samples: true },
  { maxLogLines: 25, samples: true },
  { maxLogLines: 12, samples: true },
  { maxLogLines: 6, samples: true },
  { maxLogLines: 3, samples: true },
  { maxLogLines: 1, samples: true },
  { maxLogLines: 0, samples: true },
];

const NO_TEXT: Required<ShareTextOptions> = { maxLogLines: 0, samples: false };

/**
 * Builds the share URL of `comparison`: `baseUrl` without its hash, then `#v2.<payload>`, where the
 * payload is at most MAX_LINK_PAYLOAD_LENGTH characters. The results go through prepareForShare:
 * - at first with SHARE_MAX_POINTS points per series, and SHARE_MAX_LOG_LINES log lines and the
 *   samples per run;
 * - when that is too long, the series get the most points of SHARE_POINT_LEVELS that fit without
 *   any samples or log lines, and then the most text of SHARE_TEXT_LEVELS that still fits.
 * So samples and log lines never cost a series any points. Throws when the base URL or the
 * comparison is invalid, or when the link does not fit even at 8 points per series without text.
 */
export function shareUrl(baseUrl: string, comparison: Comparison): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`The base URL ${JSON.stringify(baseUrl)} is not a valid absolute URL, such as http://127.0.0.1:5173/.`);
  }
  url.hash = '';
  const base = url.href.replace(/#$/, '');
  let tooLong: unknown;
  /** Returns the URL at this detail, or null when it is too long; an invalid comparison throws. */
  const encodeAt = (maxPoints: number, text: ShareTextOptions): string | null => {
    try {
      return `${base}#${encodeComparison(prepareForShare(comparison, maxPoints, text))}`;
    } catch (error) {
      if ((error as Error).name === 'InvalidComparisonError') throw error;
      tooLong = error;
      return null;
    }
  };

  const full = encodeAt(SHARE_MAX_POINTS, SHARE_TEXT_LEVELS[0]);
  if (full !== null) return full;

  for (const maxPoints of SHARE_POINT_LEVELS) {
    const withoutText = encodeAt(maxPoints, NO_TEXT);
    if (withoutText === null) continue;
    // At full points the first text level has just failed, so the search starts after it.
    const textLevels = maxPoints === SHARE_MAX_POINTS ? SHARE_TEXT_LEVELS.slice(1) : SHARE_TEXT_LEVELS;
    for (const text of textLevels) {
      const withText = encodeAt(maxPoints, text);
      if (withText !== null) return withText;
    }
    return withoutText;
  }
  throw tooLong;
}

/**
 * Reads `location.hash`: null when it is empty, otherwise the decoded comparison or the reason it
 * cannot be read. The page uses no other hash, so any non-empty hash is treated as a link. Hashes
 * that went through percent-encoding (some chat clients write "$" as "%24") are decoded first.
 */
export function readShareHash(hash: string): DecodeResult | null {
  let payload = hash.startsWith('#') ? hash.slice(1) : hash;
  if (payload === '') return null;
  if (payload.length > MAX_LINK_PAYLOAD_LENGTH) return decodeComparison(payload);
  if (payload.includes('%')) {
    try {
      payload = decodeURIComponent(payload);
    } catch {
      return failure('The link is corrupt: its data contains an invalid percent-encoded sequence. Copy the whole link again.');
    }
  }
  return decodeComparison(payload);
}
