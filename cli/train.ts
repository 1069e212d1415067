/**
 * `npm run train`: trains in Node on Dawn and writes one JSON object per step:
 * { step, loss, evalLoss?, elapsedMs, memoryBytes } for a language model, plus accuracy (when
 * evaluated) and optimizerStateBytes for a vision net. Progress goes to stderr.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { acquireNodeContext } from '../kernels/gpu/device-node';
import { runTraining } from '../app/run/loop';
import type { RunEvent } from '../app/run/types';
import { parseTrainArgs, TRAIN_USAGE } from './args';
import { readNodeResources, readNodeVisionResources } from './resources';

interface Line {
  step: number;
  loss?: number;
  projectedGrad?: number;
  evalLoss?: number;
  /** Vision: held-out accuracy in [0, 1], on evaluated steps. */
  accuracy?: number;
  elapsedMs: number;
  memoryBytes?: Record<string, number>;
  /** Vision: persistent optimizer state (first-order state, preconditioner, quantization scales). */
  optimizerStateBytes?: number;
}

const OPTIMIZER_STATE_CATEGORIES = ['optimizer-state', 'preconditioner', 'quantization-scales'];

function optimizerStateBytes(memory: Record<string, number>): number {
  return OPTIMIZER_STATE_CATEGORIES.reduce((sum, category) => sum + (memory[category] ?? 0), 0);
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseTrainArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\nRun \`npm run train -- --help\` for the list of flags.\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(TRAIN_USAGE);
    return 0;
  }

  const { config } = args;
  let resources;
  try {
    resources = config.task === 'vision' ? await readNodeVisionResources(config, args.imageFiles) : await readNodeResources(config, args.modelDir, args.datasetFile);
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
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
  let pending: Line | null = null;
  let failed = false;
  const control = { stopRequested: false };
  let lastMemory: Record<string, number> = {};
  const flush = () => {
    if (pending) write(JSON.stringify(pending) + '\n');
    pending = null;
  };
  const progress = (text: string) => process.stderr.write(text + '\n');
  const isVision = config.task === 'vision';

  const emit = (event: RunEvent) => {
    switch (event.type) {
      case 'started':
        lastMemory = event.memoryBytes;
        progress(
          `${config.optimizer.name} on ${event.adapter}: ${event.parameterCount.toLocaleString('en-US')} parameters, ` +
            `${event.trainSize.toLocaleString('en-US')} train and ${event.evalSize.toLocaleString('en-US')} eval ${event.sizeUnit}`,
        );
        break;
      case 'step':
        flush();
        lastMemory = event.memoryBytes;
        pending = { step: event.step, loss: event.loss, projectedGrad: event.projectedGrad, elapsedMs: Math.round(event.elapsedMs * 10) / 10, memoryBytes: event.memoryBytes };
        if (isVision) pending.optimizerStateBytes = optimizerStateBytes(event.memoryBytes);
        if (event.step % 10 === 0 || event.step === config.steps) {
          const perStep = event.elapsedMs / event.step;
          progress(`step ${event.step}/${config.steps}  loss ${event.loss.toFixed(4)}  ${perStep.toFixed(1)} ms/step`);
        }
        break;
      case 'eval':
        if (!pending || pending.step !== event.step) {
          flush();
          pending = { step: event.step, elapsedMs: event.elapsedMs, memoryBytes: lastMemory };
          if (isVision) pending.optimizerStateBytes = optimizerStateBytes(lastMemory);
        }
        pending.evalLoss = event.evalLoss;
        if (event.accuracy !== undefined) pending.accuracy = event.accuracy;
        progress(
          `step ${event.step}/${config.steps}  eval loss ${event.evalLoss.toFixed(4)}` +
            (event.accuracy !== undefined ? `  accuracy ${(event.accuracy * 100).toFixed(2)}%` : ''),
        );
        break;
      case 'sample':
        progress(`sample ${event.when} fine-tuning: ${JSON.stringify(event.prompt + event.text)}`);
        break;
      case 'log':
        // Info lines repeat the start and finish lines above, so only warnings are printed.
        if (event.level === 'warn') progress(`warning: ${event.message}`);
        break;
      case 'error':
        failed = true;
        progress(`error: ${event.message}`);
        break;
      case 'finished':
        flush();
        progress(`finished (${event.reason}) after ${event.step} steps, ${(event.elapsedMs / 1000).toFixed(1)} s of training`);
        break;
    }
  };

  process.once('SIGINT', () => {
    progress('stopping after this step (Ctrl-C again to abort)');
    control.stopRequested = true;
  });
  await runTraining(ctx, config, resources, emit, control);
  flush();
  const file = out;
  if (file && file !== process.stdout) await new Promise<void>((resolve) => (file as unknown as WriteStream).end(() => resolve()));
  ctx.device.destroy();
  if (outError) {
    progress(`error: cannot write ${args.out}: ${(outError as Error).message}. Pick a writable --out path.`);
    return 1;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`error: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
