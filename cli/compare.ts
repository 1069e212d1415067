/**
 * `npm run train -- --comparison FILE --out DIR [--share [BASE_URL]]` runs every run of a comparison
 * file one after another on one GPU device. It writes DIR/<run id>.jsonl per run (the lines of a
 * single `npm run train`) and DIR/comparison.json with the recorded results. With --share it prints
 * the share link of the finished comparison. Progress goes to stderr.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { acquireNodeContext } from '../kernels/gpu/device-node';
import { runTraining } from '../app/run/loop';
import { pluralize } from '../app/run/plural';
import type { RunEvent } from '../app/run/types';
import {
  checkFiles,
  emptyRunResults,
  recordRunEvent,
  runConfigOf,
  setRunResults,
  shareUrl,
  validateComparison,
  type Comparison,
  type FileReference,
  type NamedFile,
  type RunResults,
} from '../app/share';
import { lineAndColumn, locateJsonError } from '../app/data/json-error';
import { explainParseError, shampooPeriodWarning } from './args';
import { readNodeResources, readNodeVisionResources } from './resources';
import { createRunLineWriter } from './run-lines';

export const DEFAULT_SHARE_BASE_URL = 'http://127.0.0.1:5173/';

export const COMPARISON_USAGE = `Comparison (--comparison FILE): runs each run of a comparison file one after another on the GPU
and writes DIR/<run id>.jsonl per run (the lines above) and DIR/comparison.json with the results.

  --comparison FILE     comparison JSON, the format a share link carries (docs/COMPARISON-FORMAT.md);
                        results in it are ignored
  --out DIR             output folder (required)
  --share [BASE_URL]    print the share link of the finished comparison to stdout; BASE_URL is the
                        page's address (default ${DEFAULT_SHARE_BASE_URL})
  --model DIR           the model folder, when the comparison's model has kind "files"; checked
                        against its SHA-256 references when the comparison lists them
  --dataset FILE...     the dataset files, when the comparison's dataset is an upload; checked
                        against its name, size and SHA-256 references
`;

export interface ComparisonArgs {
  comparisonFile: string;
  outDir: string;
  /** Base URL of the share link, or null without --share. */
  shareBaseUrl: string | null;
  modelDir: string | null;
  datasetFiles: string[];
}

/** Returns true when `argv` requests a comparison run (it contains --comparison). */
export function isComparisonCommand(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '--comparison' || arg.startsWith('--comparison='));
}

const COMPARISON_FLAGS = ['--comparison', '--out', '--share', '--model', '--dataset'];

const COMPARISON_OPTIONS = {
  comparison: { type: 'string' },
  out: { type: 'string' },
  share: { type: 'string' },
  model: { type: 'string' },
  dataset: { type: 'string', multiple: true },
} as const;

/** Parses the flags of a comparison run. Throws an Error whose message names the flag at fault. */
export function parseComparisonArgs(argv: readonly string[]): ComparisonArgs {
  // --share takes an optional value, which parseArgs cannot express: a bare --share gets the default.
  const args = argv.map((arg, i) => (arg === '--share' && (i + 1 === argv.length || argv[i + 1].startsWith('--')) ? `--share=${DEFAULT_SHARE_BASE_URL}` : arg));
  let values;
  try {
    ({ values } = parseArgs({ args, strict: true, options: COMPARISON_OPTIONS }));
  } catch (error) {
    const explained = explainParseError(error, args, COMPARISON_OPTIONS);
    if (explained !== error) throw explained;
    const unknown = /Unknown option '([^']+)'/.exec((error as Error).message)?.[1];
    if (unknown) {
      throw new Error(`${unknown} does not apply to --comparison: the comparison file sets every run's settings. The flags of a comparison run are ${COMPARISON_FLAGS.join(', ')}.`);
    }
    throw error;
  }
  if (!values.comparison) throw new Error('--comparison: expected the path of a comparison JSON file.');
  if (!values.out) throw new Error('--out DIR is required with --comparison: one JSON-lines file per run is written there.');
  let shareBaseUrl: string | null = null;
  if (values.share !== undefined) {
    shareBaseUrl = values.share === '' ? DEFAULT_SHARE_BASE_URL : values.share;
    let protocol = '';
    try {
      protocol = new URL(shareBaseUrl).protocol;
    } catch {
      // Reported below with the value.
    }
    if (protocol !== 'http:' && protocol !== 'https:') throw new Error(`--share: expected an http:// or https:// URL of the page, got "${shareBaseUrl}".`);
  }
  return { comparisonFile: values.comparison, outDir: values.out, shareBaseUrl, modelDir: values.model ?? null, datasetFiles: values.dataset ?? [] };
}

/** A failure with the exit code to return: 2 for invalid input, 1 for files and runs that failed. */
class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/**
 * Describes a JSON.parse failure of the comparison file with a line and column (see
 * locateJsonError), and a message without a position as it is. An error at the end of the text, or
 * "Unexpected end of JSON input", means the file ends early.
 */
function describeJsonError(path: string, text: string, error: Error): string {
  const contentEnd = text.trimEnd().length;
  if (contentEnd === 0) return `The comparison file ${path} is empty; expected a comparison JSON object.`;

  const location = locateJsonError(error.message, text);
  const endOfInput = /^Unexpected end of JSON input$/.test(error.message);
  if (!location && !endOfInput) return `The comparison file ${path} is not valid JSON: ${error.message}.`;

  if (!location || location.offset >= contentEnd) {
    const { line, column } = lineAndColumn(text, contentEnd);
    const detail = location ? ` (${location.detail})` : '';
    return `The comparison file ${path} is not valid JSON: it ends early, at line ${line}, column ${column}, before the JSON is complete${detail}. The file may be truncated.`;
  }
  return `The comparison file ${path} is not valid JSON at line ${location.line}, column ${location.column}: ${location.detail}.`;
}

/** Reads and validates the comparison file; results in it are dropped before validation. */
async function readComparison(path: string): Promise<Comparison> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CommandError(`Cannot read the comparison file ${path}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}.`, 1);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CommandError(describeJsonError(path, text, error as Error), 2);
  }
  const runs = (value as { runs?: unknown } | null)?.runs;
  if (Array.isArray(runs)) {
    for (const run of runs) if (run !== null && typeof run === 'object') delete (run as { results?: unknown }).results;
  }
  const problems = validateComparison(value);
  if (problems.length) throw new CommandError(`The comparison file ${path} is invalid:\n- ${problems.join('\n- ')}`, 2);
  return value as Comparison;
}

async function readNamedFile(path: string, what: string): Promise<NamedFile> {
  try {
    return { name: basename(path), bytes: new Uint8Array(await readFile(path)) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CommandError(`Cannot read ${what} ${path}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}.`, 1);
  }
}

async function checkAgainst(files: NamedFile[], references: FileReference[], what: string, progress: (text: string) => void): Promise<void> {
  const check = await checkFiles(files, references);
  for (const warning of check.warnings) progress(`warning: ${warning}`);
  if (!check.ok) throw new CommandError(`The ${what} does not match the comparison:\n- ${check.problems.join('\n- ')}`, 1);
}

/** Checks --model and --dataset against the comparison's sources, and the given files against their references. */
async function checkSources(comparison: Comparison, args: ComparisonArgs, progress: (text: string) => void): Promise<void> {
  const { model, dataset } = comparison;
  if (model.kind === 'files') {
    if (!args.modelDir) throw new CommandError(`The comparison's model "${model.name}" comes from files: pass its folder with --model DIR.`, 2);
    if (model.files) {
      const files = await Promise.all(model.files.map((reference) => readNamedFile(join(args.modelDir!, reference.name), 'the model file')));
      await checkAgainst(files, model.files, `model folder ${args.modelDir}`, progress);
    }
  } else if (args.modelDir) {
    throw new CommandError(`--model applies only to a comparison whose model has kind "files"; this one uses ${JSON.stringify(model)}.`, 2);
  }

  if (dataset.kind === 'upload') {
    if (args.datasetFiles.length === 0) {
      throw new CommandError(`The comparison's dataset "${dataset.name}" was uploaded: pass its file${dataset.files.length > 1 ? 's' : ''} with --dataset FILE.`, 2);
    }
    const files = await Promise.all(args.datasetFiles.map((path) => readNamedFile(path, 'the dataset file')));
    await checkAgainst(files, dataset.files, 'dataset', progress);
  } else if (args.datasetFiles.length) {
    throw new CommandError(`--dataset applies only to a comparison with an uploaded dataset; this one uses the embedded dataset "${dataset.id}".`, 2);
  }
}

function formatSummary(label: string, results: RunResults): string {
  const { summary } = results;
  const parts = [`${summary.status}`, pluralize(summary.stepsDone, 'step')];
  if (summary.msPerStep !== undefined) parts.push(`${summary.msPerStep.toFixed(1)} ms/step`);
  if (summary.finalEvalLoss !== undefined) parts.push(`eval loss ${summary.finalEvalLoss.toFixed(4)} (best ${summary.bestEvalLoss!.toFixed(4)})`);
  if (summary.finalAccuracy !== undefined) parts.push(`accuracy ${(summary.finalAccuracy * 100).toFixed(2)}% (best ${(summary.bestAccuracy! * 100).toFixed(2)}%)`);
  const peak = Object.values(summary.peakMemoryBytes).reduce((sum, bytes) => sum + (bytes ?? 0), 0);
  parts.push(`category peaks summed ${(peak / 2 ** 20).toFixed(2)} MiB`);
  return `${label}: ${parts.join(', ')}`;
}

/** Runs the comparison command and returns the process exit code. */
export async function runComparisonCommand(argv: readonly string[]): Promise<number> {
  const progress = (text: string) => process.stderr.write(text + '\n');
  let args: ComparisonArgs;
  try {
    args = parseComparisonArgs(argv);
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\nRun \`npm run train -- --help\` for the list of flags.\n`);
    return 2;
  }

  let comparison: Comparison;
  let resources;
  try {
    comparison = await readComparison(args.comparisonFile);
    for (const run of comparison.runs) {
      const warning = shampooPeriodWarning(run.config.optimizer, 'factorPeriod', 'rootPeriod');
      if (warning) progress(`warning: run ${run.id}: ${warning}`);
    }
    await checkSources(comparison, args, progress);
    const first = runConfigOf(comparison, comparison.runs[0].id);
    resources =
      first.task === 'vision'
        ? await readNodeVisionResources(first, args.datasetFiles)
        : await readNodeResources(first, args.modelDir, args.datasetFiles[0] ?? null);
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return error instanceof CommandError ? error.exitCode : 1;
  }

  let ctx;
  try {
    ctx = await acquireNodeContext();
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }

  const control = { stopRequested: false };
  process.once('SIGINT', () => {
    progress('stopping after this step and skipping the remaining runs (Ctrl-C again to abort)');
    control.stopRequested = true;
  });

  let failed = false;
  let writeError: { path: string; error: Error } | null = null;
  const total = comparison.runs.length;
  for (const [index, run] of comparison.runs.entries()) {
    if (control.stopRequested) {
      progress(`skipped ${run.label} (${run.id}): stopped before it started`);
      continue;
    }
    progress(`run ${index + 1}/${total}: ${run.label} (${run.id})`);
    const config = runConfigOf(comparison, run.id);
    const path = join(args.outDir, `${run.id}.jsonl`);

    // As in a single run, the file is created when its first line is ready.
    let out: WriteStream | null = null;
    const write = (text: string) => {
      if (!out) {
        mkdirSync(args.outDir, { recursive: true });
        out = createWriteStream(path);
        out.on('error', (error) => {
          writeError ??= { path, error };
          control.stopRequested = true;
        });
      }
      out.write(text);
    };
    const results = emptyRunResults(comparison.task);
    const lines = createRunLineWriter(config, write, (text) => progress(`[${run.id}] ${text}`), 'evalExamples');
    const emit = (event: RunEvent) => {
      recordRunEvent(results, event);
      lines.emit(event);
    };
    try {
      await runTraining(ctx, config, resources, emit, control);
    } catch (error) {
      emit({ type: 'error', message: (error as Error).message });
      emit({ type: 'finished', reason: 'error', step: results.summary.stepsDone, elapsedMs: results.summary.elapsedMs });
    }
    lines.flush();
    const file: WriteStream | null = out;
    if (file) await new Promise<void>((resolve) => (file as WriteStream).end(() => resolve()));
    if (lines.failed) failed = true;
    comparison = setRunResults(comparison, run.id, results);
  }
  ctx.device.destroy();

  for (const run of comparison.runs) if (run.results) progress(formatSummary(`${run.label} (${run.id})`, run.results));
  if (writeError) {
    const { path, error } = writeError as { path: string; error: Error };
    progress(`error: cannot write ${path}: ${error.message}. Pick a writable --out folder.`);
    return 1;
  }
  const summaryPath = join(args.outDir, 'comparison.json');
  try {
    mkdirSync(args.outDir, { recursive: true });
    await writeFile(summaryPath, JSON.stringify(comparison) + '\n');
  } catch (error) {
    progress(`error: cannot write ${summaryPath}: ${(error as Error).message}. Pick a writable --out folder.`);
    return 1;
  }
  if (args.shareBaseUrl) {
    try {
      process.stdout.write(shareUrl(args.shareBaseUrl, comparison) + '\n');
    } catch (error) {
      progress(`error: cannot make the share link: ${(error as Error).message}`);
      return 1;
    }
  }
  return failed ? 1 : 0;
}
