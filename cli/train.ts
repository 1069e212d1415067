/**
 * `npm run train`: trains in Node on Dawn and writes one JSON object per step:
 * { step, loss, evalLoss?, elapsedMs, memoryBytes } for a language model, plus accuracy (when
 * evaluated) and optimizerStateBytes for a vision net. Progress goes to stderr. With --comparison
 * FILE it runs each run of a comparison instead (cli/compare.ts).
 */
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { acquireNodeContext } from '../kernels/gpu/device-node';
import { describeImageSplit } from '../app/data/images';
import { runTraining } from '../app/run/loop';
import { parseTrainArgs, TRAIN_USAGE } from './args';
import { COMPARISON_USAGE, isComparisonCommand, runComparisonCommand } from './compare';
import { readNodeResources, readNodeVisionResources } from './resources';
import { createRunLineWriter } from './run-lines';
import type { RunEvent } from '../app/run/types';

/** Adds the flag to the setting names that shared messages use, so a CLI user knows what to change. */
function withFlagNames(message: string): string {
  return message.replace(/\bsequence length\b/g, 'sequence length (--seq)');
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (isComparisonCommand(argv)) return runComparisonCommand(argv);
  let args;
  try {
    args = parseTrainArgs(argv);
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\nRun \`npm run train -- --help\` for the list of flags.\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(TRAIN_USAGE + '\n' + COMPARISON_USAGE);
    return 0;
  }
  for (const warning of args.warnings) process.stderr.write(`warning: ${warning}\n`);

  const { config } = args;
  let resources;
  try {
    resources = config.task === 'vision' ? await readNodeVisionResources(config, args.imageFiles) : await readNodeResources(config, args.modelDir, args.datasetFile, args.hub ?? undefined);
    if ('split' in resources) process.stderr.write(`dataset: ${describeImageSplit(resources.split)}\n`);
  } catch (error) {
    process.stderr.write(`error: ${withFlagNames((error as Error).message)}\n`);
    return 1;
  }

  let ctx;
  try {
    ctx = await acquireNodeContext();
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }

  // The output file is created (with its folder) when the first line is ready, so a run that fails
  // before its first step leaves an existing file untouched.
  let out: WriteStream | NodeJS.WriteStream | null = args.out ? null : process.stdout;
  let outError: Error | null = null;
  const write = (text: string) => {
    if (!out && args.out) {
      mkdirSync(dirname(args.out), { recursive: true });
      const stream = createWriteStream(args.out);
      stream.on('error', (error) => {
        outError ??= error;
        control.stopRequested = true;
      });
      out = stream;
    }
    out?.write(text);
  };
  const control = { stopRequested: false, exportWeights: args.saveWeights !== null };
  const progress = (text: string) => process.stderr.write(text + '\n');
  const lines = createRunLineWriter(config, write, progress);
  let weightsError: Error | null = null;
  const emit = (event: RunEvent) => {
    if (event.type === 'weights' && args.saveWeights) {
      try {
        mkdirSync(dirname(args.saveWeights), { recursive: true });
        writeFileSync(args.saveWeights, event.safetensors);
        progress(`weights after step ${event.step} written to ${args.saveWeights} (${event.safetensors.byteLength.toLocaleString('en-US')} bytes)`);
      } catch (error) {
        weightsError = error as Error;
      }
      return;
    }
    lines.emit(event.type === 'error' ? { ...event, message: withFlagNames(event.message) } : event);
  };

  process.once('SIGINT', () => {
    progress('stopping after this step (Ctrl-C again to abort)');
    control.stopRequested = true;
  });
  await runTraining(ctx, config, resources, emit, control);
  lines.flush();
  const file = out;
  if (file && file !== process.stdout) await new Promise<void>((resolve) => (file as unknown as WriteStream).end(() => resolve()));
  ctx.device.destroy();
  if (outError) {
    progress(`error: cannot write ${args.out}: ${(outError as Error).message}. Pick a writable --out path.`);
    return 1;
  }
  if (weightsError) {
    progress(`error: cannot write ${args.saveWeights}: ${(weightsError as Error).message}. Pick a writable --save-weights path.`);
    return 1;
  }
  return lines.failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`error: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
