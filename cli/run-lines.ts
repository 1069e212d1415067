/**
 * Turns a run's RunEvents into the JSON lines of `npm run train` and its progress lines:
 * { step, loss, evalLoss?, elapsedMs, memoryBytes } for a language model, plus accuracy (when
 * evaluated) and optimizerStateBytes for a vision net.
 */
import { pluralize } from '../app/run/plural';
import type { RunConfig, RunEvent } from '../app/run/types';

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

export interface RunLineWriter {
  /** Handles one event: a step's line is written once its evaluation, if any, has arrived. */
  emit(event: RunEvent): void;
  /** Writes the pending line, if any. */
  flush(): void;
  /** True once an `error` event has arrived. */
  readonly failed: boolean;
}

/**
 * Creates a writer that sends JSON lines to `write` and progress sentences to `progress`. Warnings
 * name the vision evalExamples setting as `evalExamplesName`, which is the flag in a single run and
 * the config field in a comparison.
 */
export function createRunLineWriter(config: RunConfig, write: (text: string) => void, progress: (text: string) => void, evalExamplesName = '--eval-examples'): RunLineWriter {
  let pending: Line | null = null;
  let failed = false;
  let lastMemory: Record<string, number> = {};
  const flush = () => {
    if (pending) write(JSON.stringify(pending) + '\n');
    pending = null;
  };
  const isVision = config.task === 'vision';

  const emit = (event: RunEvent) => {
    switch (event.type) {
      case 'started':
        lastMemory = event.memoryBytes;
        progress(
          `${config.optimizer.name} on ${event.adapter}: ${event.parameterCount.toLocaleString('en-US')} parameters, ` +
            `${event.trainSize.toLocaleString('en-US')} train and ${event.evalSize.toLocaleString('en-US')} eval ${event.sizeUnit}`,
        );
        // The vision loop evaluates on min(evalExamples, held-out size) images, so a smaller
        // evalSize is the whole held-out split.
        if (config.task === 'vision' && config.evalEvery > 0 && event.evalSize < config.evalExamples) {
          const heldOutCount = event.evalSize.toLocaleString('en-US');
          progress(
            `warning: ${evalExamplesName} ${config.evalExamples.toLocaleString('en-US')} is capped at ${heldOutCount}, the size of the held-out split, so each evaluation uses all ${heldOutCount} held-out images.`,
          );
        }
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
        progress(`finished (${event.reason}) after ${pluralize(event.step, 'step')}, ${(event.elapsedMs / 1000).toFixed(1)} s of training`);
        break;
    }
  };

  return {
    emit,
    flush,
    get failed() {
      return failed;
    },
  };
}
