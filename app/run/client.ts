/**
 * Page side of the run worker: executes the comparison's queued runs one after another in one
 * worker (which keeps its GPU device between runs), and forwards each run's RunEvents to the live
 * run store and to the run's results in the comparison store. Events are applied in batches, at
 * most one per FLUSH_INTERVAL_MS, so a fast run redraws the page about five times per second
 * instead of once per step.
 */
import type { NamedBytes } from '../data/images/errors';
import { runConfigOf } from '../share';
import {
  beginRunRecording,
  clearQueue,
  dequeueRun,
  finishRunRecording,
  queueRuns,
  recordRunEvents,
  takeNextQueued,
  useComparisonStore,
} from '../store/comparison';
import { findRun } from '../store/comparison-edit';
import { rememberHubModelContext, useConfigStore, type PickedModelFiles } from '../store/config';
import { referencesKey, referencesOf } from '../store/file-hashes';
import { readImageFiles } from '../store/image-checks';
import { applyRunEvents, beginBatch, beginRun, markStopping, reportPageError } from '../store/run';
import { useVisionConfigStore } from '../store/vision-config';
import { storeRunWeights } from '../store/weights';
import type { DatasetFile, ModelFiles, RunConfig, RunEvent, Task, WorkerRequest } from './types';
import type { WorkerMessage } from './worker';

const FLUSH_INTERVAL_MS = 200;

let worker: Worker | null = null;
let pending: RunEvent[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;

/** The run the worker executes now. */
let active: { task: Task; runId: string; deviceLost: boolean } | null = null;

function flushEvents(): void {
  if (flushTimer !== null) clearTimeout(flushTimer);
  flushTimer = null;
  const events = pending;
  pending = [];
  const run = active;
  if (!run || events.length === 0) return;

  applyRunEvents(events);
  recordRunEvents(run.runId, events);
  if (events[events.length - 1].type === 'finished') {
    finishRunRecording(run.runId, { deviceLost: run.deviceLost });
    active = null;
    void startNextRun();
  }
}

function receive(message: WorkerMessage): void {
  switch (message.type) {
    case 'device-lost':
      if (active) active.deviceLost = true;
      return;
    case 'hub-model-context':
      rememberHubModelContext(message.repo, message.revision, message.nPositions);
      return;
    case 'weights':
      // The weights are kept apart from the batched events, which the comparison records and saves.
      if (active) storeRunWeights(active.task, active.runId, { step: message.step, fileName: message.fileName, safetensors: message.safetensors });
      return;
  }
  pending.push(message);
  if (message.type === 'finished') flushEvents();
  else flushTimer ??= setTimeout(flushEvents, FLUSH_INTERVAL_MS);
}

/** Ends the active run from the page side, when no `finished` event will come, and drops the queue. */
function failActiveRun(message: string): void {
  flushEvents();
  reportPageError(message, true);
  if (active) finishRunRecording(active.runId, { pageError: message });
  active = null;
  clearQueue();
}

function runWorker(): Worker {
  if (worker) return worker;

  const created = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'run worker' });
  created.addEventListener('message', (message: MessageEvent<WorkerMessage>) => receive(message.data));
  created.addEventListener('error', (event: ErrorEvent) => {
    // A module worker reports load failures (a missing chunk, a syntax error) only here.
    event.preventDefault();
    const detail = event.message || 'the script failed to load or threw at top level; the browser console has details';
    created.terminate();
    if (worker === created) worker = null;
    failActiveRun(`The run worker failed: ${detail}. Press Run to start a new worker.`);
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

/**
 * Checks that `files` hold the bytes the comparison's uploaded dataset references, so a run never
 * trains on another file than the one its results and link name.
 */
async function requireUploadFiles(config: RunConfig, files: readonly File[]): Promise<void> {
  const { dataset } = useComparisonStore.getState().local[config.task].comparison;
  if (dataset.kind !== 'upload') return;
  if (files.length === 0) throw new Error(`no files are picked for the uploaded dataset "${dataset.name}"; pick them in the Dataset section`);
  const picked = await referencesOf(files);
  if (referencesKey(picked) !== referencesKey(dataset.files)) {
    throw new Error(`the picked files (${files.map((file) => file.name).join(', ')}) differ from the comparison's dataset "${dataset.name}" by size or SHA-256; pick the files the comparison was made with`);
  }
}

/** Reads the files a run's config names from the forms. Picked files are read at run time, so the page keeps no copy of a large model or dataset. */
async function readRunFiles(config: RunConfig): Promise<{ model?: ModelFiles; dataset?: DatasetFile; images?: NamedBytes[] }> {
  if (config.task === 'vision') {
    if (config.dataset.kind !== 'upload') return {};
    const imageFiles = useVisionConfigStore.getState().imageFiles;
    await requireUploadFiles(config, imageFiles);
    return { images: await readImageFiles(imageFiles) };
  }

  const form = useConfigStore.getState();
  const result: { model?: ModelFiles; dataset?: DatasetFile } = {};
  if (config.model.kind === 'files') result.model = await readModelFiles(form.modelFiles);
  if (config.dataset.kind === 'upload') {
    const file = form.datasetFile;
    await requireUploadFiles(config, file ? [file] : []);
    if (!file) throw new Error('no dataset file is picked');
    result.dataset = { name: file.name, text: await file.text() };
  }
  return result;
}

/** Starts the next queued run, or ends the batch when the queue is empty. */
async function startNextRun(): Promise<void> {
  if (active) return;
  const runId = takeNextQueued();
  if (runId === null) return;

  const state = useComparisonStore.getState();
  const task = state.runTask ?? state.task;
  const comparison = state.local[task].comparison;
  const run = findRun(comparison, runId);
  const config = runConfigOf(comparison, runId);
  active = { task, runId, deviceLost: false };
  beginRunRecording(runId);
  beginRun({ task, runId, label: run.label, totalSteps: config.steps });

  let files;
  try {
    files = await readRunFiles(config);
  } catch (error) {
    failActiveRun(`Reading the picked files failed: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  if (!active || active.runId !== runId) return;

  const baseUrl = new URL(import.meta.env.BASE_URL, window.location.href).href;
  const request: WorkerRequest = { type: 'start', config, ...files, baseUrl };
  // Weights and image bytes are transferred, not copied; the next run reads the files again.
  const transfer: ArrayBuffer[] = [];
  if (files.model) transfer.push(files.model.safetensors);
  for (const image of files.images ?? []) transfer.push(image.bytes.buffer as ArrayBuffer);
  runWorker().postMessage(request, transfer);
}

/** Queues `runIds` (in order) and starts the first unless a run is executing; a new batch clears the log. */
export function runQueued(runIds: readonly string[]): void {
  const idle = active === null && useComparisonStore.getState().queue.length === 0;
  queueRuns(runIds);
  if (idle) {
    beginBatch();
    void startNextRun();
  }
}

/** Stops the executing run after its current step; the queue goes on with the next run. */
export function stopActiveRun(): void {
  if (!active) return;
  markStopping();
  worker?.postMessage({ type: 'stop' } satisfies WorkerRequest);
}

/** Stops the executing run and drops every queued one. */
export function stopAllRuns(): void {
  clearQueue();
  stopActiveRun();
}

/** Stops `runId` when it executes, or takes it off the queue when it waits. */
export function stopRun(runId: string): void {
  if (active?.runId === runId) stopActiveRun();
  else dequeueRun(runId);
}
