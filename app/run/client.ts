/**
 * Page side of the run worker: creates the worker, sends start and stop requests, and forwards the
 * worker's RunEvents to the run store. Events are applied in batches, at most one per
 * FLUSH_INTERVAL_MS, so a fast run redraws the page about five times per second instead of once per step.
 */
import type { NamedBytes } from '../data/images/errors';
import { applyRunEvents, beginRun, markStopping, reportPageError } from '../store/run';
import type { PickedModelFiles } from '../store/config';
import { readImageFiles } from '../store/image-checks';
import type { DatasetFile, ModelFiles, RunConfig, RunEvent, WorkerRequest } from './types';

const FLUSH_INTERVAL_MS = 200;

let worker: Worker | null = null;
let pending: RunEvent[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;

function flushEvents(): void {
  if (flushTimer !== null) clearTimeout(flushTimer);
  flushTimer = null;
  const events = pending;
  pending = [];
  applyRunEvents(events);
}

function queueEvent(event: RunEvent): void {
  pending.push(event);
  if (event.type === 'finished') flushEvents();
  else flushTimer ??= setTimeout(flushEvents, FLUSH_INTERVAL_MS);
}

function runWorker(): Worker {
  if (worker) return worker;

  const created = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'run worker' });
  created.addEventListener('message', (message: MessageEvent<RunEvent>) => queueEvent(message.data));
  created.addEventListener('error', (event: ErrorEvent) => {
    // A module worker reports load failures (a missing chunk, a syntax error) only here.
    event.preventDefault();
    flushEvents();
    const detail = event.message || 'the script failed to load or threw at top level; the browser console has details';
    reportPageError(`The run worker failed: ${detail}. Press Run to start a new worker.`, true);
    created.terminate();
    if (worker === created) worker = null;
  });
  created.addEventListener('messageerror', () => {
    reportPageError('A message from the run worker could not be deserialized and was dropped.', false);
  });
  worker = created;
  return created;
}

async function readModelFiles(files: PickedModelFiles): Promise<ModelFiles> {
  const { config, safetensors, tokenizer } = files;
  if (!config || !safetensors || !tokenizer) throw new Error('config.json, model.safetensors and tokenizer.json must all be picked');
  const [configText, weights, tokenizerText] = await Promise.all([config.text(), safetensors.arrayBuffer(), tokenizer.text()]);
  return { name: safetensors.name, config: configText, safetensors: weights, tokenizer: tokenizerText };
}

async function readDatasetFile(file: File | null): Promise<DatasetFile> {
  if (!file) throw new Error('no dataset file is picked');
  return { name: file.name, text: await file.text() };
}

/** Files picked in the forms; a run reads only those its config names. */
export interface RunFiles {
  modelFiles: PickedModelFiles;
  /** Text dataset of a language-model run. */
  datasetFile: File | null;
  /** Image dataset files of a vision run. */
  imageFiles: readonly File[];
}

/**
 * Starts a run of a config that the form already validated. Picked files are read here, at Run
 * time, so the page keeps no copy of a large model or dataset between runs.
 */
export async function startRun(config: RunConfig, files: RunFiles): Promise<void> {
  beginRun(config.steps, config.task);

  let model: ModelFiles | undefined;
  let dataset: DatasetFile | undefined;
  let images: NamedBytes[] | undefined;
  try {
    if (config.task === 'vision') {
      if (config.dataset.kind === 'upload') {
        if (files.imageFiles.length === 0) throw new Error('no image dataset files are picked');
        images = await readImageFiles(files.imageFiles);
      }
    } else {
      if (config.model.kind === 'files') model = await readModelFiles(files.modelFiles);
      if (config.dataset.kind === 'upload') dataset = await readDatasetFile(files.datasetFile);
    }
  } catch (error) {
    reportPageError(`Reading the picked files failed: ${error instanceof Error ? error.message : String(error)}`, true);
    return;
  }

  const baseUrl = new URL(import.meta.env.BASE_URL, window.location.href).href;
  const request: WorkerRequest = { type: 'start', config, model, dataset, images, baseUrl };
  // Weights and image bytes are transferred, not copied; the next run reads the files again.
  const transfer: ArrayBuffer[] = [];
  if (model) transfer.push(model.safetensors);
  for (const image of images ?? []) transfer.push(image.bytes.buffer as ArrayBuffer);
  runWorker().postMessage(request, transfer);
}

export function stopRun(): void {
  markStopping();
  worker?.postMessage({ type: 'stop' } satisfies WorkerRequest);
}
