/**
 * Web Worker entry of a training run. On `start` it acquires the GPU context (once, and again only
 * after a device loss), resolves the model and dataset (for a vision run: parses the image dataset),
 * runs the loop and posts every RunEvent to the page. Every run exports its trained weights at the
 * end, and their buffer is transferred to the page, not copied. On `stop` it sets `stopRequested`,
 * which the loop checks between steps.
 *
 * Every failure reaches the page as an `error` event followed by `finished`: invalid configs,
 * missing WebGPU, files that fail to load or parse, exceptions from the loop, uncaptured GPU errors
 * and device loss. A GPU error also stops the run, because later steps would compute garbage.
 */
/// <reference lib="webworker" />
import { acquireBrowserContext } from '../../kernels/gpu/device-browser';
import type { GpuContext, GpuError } from '../../kernels/gpu/context';
import { parseGpt2Config } from '../model/gpt2-config';
import { formatHubProgress, HUB_DEFAULT_BASE, hubModelName, openBrowserHubCache, type HubDownloadProgress } from '../model/hub';
import { validateRunConfig } from './config';
import { runTraining, type RunControl } from './loop';
import { resolveResources, type HubAccess, type RunResources } from './resources';
import type { RunEvent, WorkerRequest } from './types';
import { resolveVisionResources, type VisionResources } from './vision-resources';

type StartRequest = Extract<WorkerRequest, { type: 'start' }>;

/**
 * Messages from the worker to the page: the run's RunEvents and two notices.
 * - 'device-lost': the GPU device was lost during the run. It comes before the run's error and
 *   finished events, so the page records the run as interrupted rather than failed.
 * - 'hub-model-context': the context length (n_positions) of a Hub model once its config.json is
 *   downloaded, so the form can check the sequence length of later runs.
 */
export type WorkerMessage =
  | RunEvent
  | { type: 'device-lost'; message: string }
  | { type: 'hub-model-context'; repo: string; revision: string; nPositions: number };

interface ActiveRun {
  control: RunControl;
  /** Aborts a Hub download when the run is stopped before training starts. */
  abort: AbortController;
  /** Set once a `finished` event has been posted for this run. */
  finished: boolean;
  lastStep: number;
  /** First GPU error seen during the run; it turns a later 'stopped' into 'error'. */
  gpuFailure: GpuError | null;
  gpuErrorCount: number;
  /** GPU error messages already posted, so the loop's copy of the same message is not shown twice. */
  postedGpuMessages: Set<string>;
}

/** GPU errors posted per run; a broken shader can raise one per dispatch, so later ones are counted only. */
const MAX_REPORTED_GPU_ERRORS = 5;

const scope = self as unknown as DedicatedWorkerGlobalScope;

let context: GpuContext | null = null;
let activeRun: ActiveRun | null = null;

function post(message: WorkerMessage): void {
  // The weights file can be hundreds of MB, so its buffer moves to the page instead of being copied.
  if (message.type === 'weights') scope.postMessage(message, [message.safetensors.buffer]);
  else scope.postMessage(message);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Returns the worker's GPU context, acquiring a new one on first use or after the device was lost. */
async function gpuContext(): Promise<GpuContext> {
  if (context && !context.lost) return context;
  if (context?.lost) post({ type: 'log', level: 'warn', message: 'The previous GPU device was lost; requesting a new one.' });

  const acquired = await acquireBrowserContext();
  acquired.onError.add(handleGpuError);
  context = acquired;
  return acquired;
}

function handleGpuError(error: GpuError): void {
  const run = activeRun;
  if (!run) {
    post({ type: 'log', level: 'warn', message: `${error.message} (reported while no run was active)` });
    return;
  }

  if (error.kind === 'device-lost' && !run.gpuFailure) post({ type: 'device-lost', message: error.message });
  run.gpuFailure ??= error;
  run.control.stopRequested = true;
  // After a GPU error the weights may be invalid and their readback may fail, so none are exported.
  run.control.exportWeights = false;
  run.gpuErrorCount += 1;
  if (run.gpuErrorCount <= MAX_REPORTED_GPU_ERRORS) {
    const stopNote = run.gpuErrorCount === 1 ? ` The run stops at step ${run.lastStep}.` : '';
    run.postedGpuMessages.add(error.message);
    post({ type: 'error', message: `${error.message}${stopNote}` });
  } else if (run.gpuErrorCount === MAX_REPORTED_GPU_ERRORS + 1) {
    post({ type: 'log', level: 'warn', message: `More GPU errors followed; only the first ${MAX_REPORTED_GPU_ERRORS} are shown.` });
  }
}

/** Reads a file under public/ relative to the page's base URL. */
function publicFileReader(baseUrl: string) {
  return async (relativePath: string): Promise<ArrayBuffer> => {
    const url = new URL(relativePath, baseUrl);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`Loading ${url.pathname} failed: HTTP ${response.status} ${response.statusText}`.trim());
    return response.arrayBuffer();
  };
}

/** Percent steps between two download progress lines of one file. */
const PROGRESS_LOG_PERCENT = 10;

/**
 * Downloads from the Hugging Face Hub through fetch, with the browser's Cache API so a second run
 * of the same revision reads no network, and logs progress per file every PROGRESS_LOG_PERCENT.
 */
async function hubAccess(model: string, signal: AbortSignal): Promise<HubAccess> {
  const warn = (message: string) => post({ type: 'log', level: 'warn', message });
  const lastLogged = new Map<string, number>();
  const onProgress = (progress: HubDownloadProgress) => {
    const percent = progress.totalBytes ? Math.floor((100 * progress.receivedBytes) / progress.totalBytes / PROGRESS_LOG_PERCENT) * PROGRESS_LOG_PERCENT : -1;
    const previous = lastLogged.get(progress.file);
    if (!progress.done && (percent < 0 || percent === previous)) return;
    lastLogged.set(progress.file, percent);
    post({ type: 'log', level: 'info', message: `Downloading ${model}: ${formatHubProgress(progress)}` });
  };
  return { base: HUB_DEFAULT_BASE, fetch: (input, init) => fetch(input, init), cache: await openBrowserHubCache(warn), onProgress, onWarning: warn, signal };
}

/**
 * Posts the context length of a downloaded Hub model. A config.json that does not parse posts
 * nothing, because loading the model reports it as the run's error.
 */
function postHubModelContext(repo: string, revision: string, configJson: string): void {
  let nPositions: number;
  try {
    nPositions = parseGpt2Config(configJson, 'config.json').nPositions;
  } catch {
    return;
  }
  post({ type: 'hub-model-context', repo, revision, nPositions });
}

async function startRun(request: StartRequest): Promise<void> {
  if (activeRun) {
    post({ type: 'error', message: 'A run is already in progress. Press Stop and wait for it to finish before starting another.' });
    return;
  }

  const run: ActiveRun = { control: { stopRequested: false, exportWeights: true }, abort: new AbortController(), finished: false, lastStep: 0, gpuFailure: null, gpuErrorCount: 0, postedGpuMessages: new Set() };
  activeRun = run;
  const startedAt = performance.now();
  let failed = false;

  // The loop's events pass through here so the worker tracks the last step and whether it finished.
  const emit = (event: RunEvent): void => {
    if (event.type === 'step') run.lastStep = event.step;
    if (event.type === 'error' && run.postedGpuMessages.has(event.message)) return;
    if (event.type === 'finished') {
      run.finished = true;
      if (run.gpuFailure && event.reason === 'stopped') event = { ...event, reason: 'error' };
    }
    post(event);
  };

  // Each stage names itself in the error, so "failed to parse" is not mistaken for a GPU problem.
  let stage = 'Validating the run configuration';
  try {
    const problems = validateRunConfig(request.config);
    if (problems.length) throw new Error(`invalid run configuration:\n- ${problems.join('\n- ')}`);

    stage = 'Acquiring the WebGPU device';
    const ctx = await gpuContext();

    const config = request.config;
    const readFile = publicFileReader(request.baseUrl);
    let resources: RunResources | VisionResources;
    if (config.task === 'vision') {
      stage = 'Loading the image dataset';
      resources = await resolveVisionResources(config, request.images, readFile);
    } else {
      stage = 'Loading the model and dataset';
      // The page requests consent before it starts a run whose model comes from the Hub, so reaching here means the person agreed.
      const hub = config.model.kind === 'hub' ? await hubAccess(hubModelName(config.model.repo, config.model.revision), run.abort.signal) : undefined;
      resources = await resolveResources(config, { model: request.model, dataset: request.dataset }, readFile, hub);
      if (config.model.kind === 'hub') postHubModelContext(config.model.repo, config.model.revision, resources.model.config);
    }

    stage = 'Training';
    if (!run.control.stopRequested) await runTraining(ctx, config, resources, emit, run.control);
  } catch (error) {
    // Stop aborts a Hub download; the run then ends as stopped, not failed.
    const aborted = run.control.stopRequested && error instanceof DOMException && error.name === 'AbortError';
    if (!aborted) {
      failed = true;
      const where = stage === 'Training' ? `Training failed at step ${run.lastStep}` : `${stage} failed`;
      post({ type: 'error', message: `${where}: ${errorMessage(error)}` });
    }
  } finally {
    if (!run.finished) {
      let reason: 'completed' | 'stopped' | 'error' = 'completed';
      if (run.control.stopRequested) reason = 'stopped';
      if (failed || run.gpuFailure) reason = 'error';
      post({ type: 'finished', reason, step: run.lastStep, elapsedMs: performance.now() - startedAt });
    }
    activeRun = null;
  }
}

scope.addEventListener('message', (message: MessageEvent<WorkerRequest>) => {
  const request = message.data;
  switch (request.type) {
    case 'start':
      void startRun(request);
      break;
    case 'stop':
      if (activeRun) {
        activeRun.control.stopRequested = true;
        activeRun.abort.abort();
      }
      break;
  }
});

// Last resort for errors thrown outside startRun (in a callback of the loop, say): the page must
// hear about them even though no run stage caught them.
scope.addEventListener('error', (event: ErrorEvent) => {
  event.preventDefault();
  post({ type: 'error', message: `Uncaught error in the run worker: ${event.message}` });
});
scope.addEventListener('unhandledrejection', (event: PromiseRejectionEvent) => {
  event.preventDefault();
  post({ type: 'error', message: `Unhandled promise rejection in the run worker: ${errorMessage(event.reason)}` });
});
