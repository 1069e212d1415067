/**
 * Comparisons of runs, their share links and exports. Pure functions over plain JSON, no DOM and no
 * GPU, so the page, the worker and the CLI use the same code.
 */
export * from './types';
export { emptySeries, appendPoint, downsampleSeries, valueAtStep, MIN_DOWNSAMPLE_POINTS } from './series';
export { emptyRunResults, recordRunEvent, resultsFromEvents, downsampleResults, elapsedMsAtStep, truncateText } from './results';
export {
  RUN_COLOURS,
  buildComparison,
  runConfigOf,
  addRun,
  removeRun,
  setRunResults,
  withoutResults,
  interruptRunning,
  type BuildOptions,
  type RunOptions,
} from './comparison';
export { modelSourceOf, datasetSourceOf } from './sources';
export {
  COMPARISON_LIMITS,
  COMPARISON_SCHEMA,
  LOG_LEVELS,
  METRIC_RANGES,
  MAX_REPORTED_PROBLEMS,
  RUN_STATUSES,
  validateComparison,
  assertComparison,
  InvalidComparisonError,
} from './schema';
export { sha256Hex, fileReference, uploadDatasetReference, checkFiles, type NamedFile, type FileCheck } from './hash';
export {
  LINK_VERSION,
  SUPPORTED_LINK_VERSIONS,
  MAX_LINK_PAYLOAD_LENGTH,
  MAX_LINK_JSON_LENGTH,
  SHARE_MAX_POINTS,
  SHARE_MAX_LOG_LINES,
  encodeComparison,
  decodeComparison,
  prepareForShare,
  shareUrl,
  readShareHash,
  type DecodeResult,
  type ShareTextOptions,
} from './link';
export { decompressBounded, DecompressionError } from './lz';
export { METRICS_CSV_COLUMNS, metricsRows, metricsCsv, metricsJson, type MetricsRow, type MetricsExport } from './export';
