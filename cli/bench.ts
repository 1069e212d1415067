/**
 * `npm run bench`: measures three ratios side by side in one run on the embedded model and writes
 * them to docs/BENCHMARKS.md. They are the zeroth-order step time over one forward pass, the SubZero
 * step over the MeZO step, and SubZero's peak GPU bytes over inference bytes (weights, activations).
 */
import { cpus, platform, release, totalmem } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { acquireNodeContext } from '../kernels/gpu/device-node';
import { runDispatches } from '../kernels/gpu/dispatch';
import { totalBytes, type MemoryBytes } from '../kernels/gpu/pool';
import { DEFAULT_CONFIG, DEFAULT_MEZO, DEFAULT_SUBZERO } from '../app/run/config';
import { loadModel } from '../app/run/load-model';
import { TrainingSession } from '../app/run/loop';
import type { RunConfig } from '../app/run/types';
import { readNodeResources } from './resources';

const WARMUP = 2;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const MiB = (bytes: number) => (bytes / 1048576).toFixed(2);

async function main(): Promise<void> {
  const repeats = Number(process.env.BENCH_REPEATS ?? 5);
  const batchSize = Number(process.env.BENCH_BATCH ?? DEFAULT_CONFIG.batchSize);
  const sequenceLength = Number(process.env.BENCH_SEQ ?? DEFAULT_CONFIG.sequenceLength);
  const base: RunConfig = { ...DEFAULT_CONFIG, batchSize, sequenceLength, evalBatches: 1, sampleTokens: 0 };
  const resources = await readNodeResources(base, null, null);
  const loaded = loadModel(resources.model);
  const ctx = await acquireNodeContext();
  const queue = ctx.device.queue;
  process.stderr.write(`benchmark on ${ctx.adapterName}: B=${batchSize}, T=${sequenceLength}, ${repeats} timed repeats\n`);

  // Each optimizer gets its own session; the forward pass is timed on the MeZO session's plain plan.
  const results: Record<string, { stepMs: number[]; forwardMs: number[]; peak: MemoryBytes; perturbationBytes: number }> = {};
  let inference: MemoryBytes | null = null;
  let parameterCount = 0;
  let uvBytes = 0;
  for (const optimizer of [DEFAULT_MEZO, DEFAULT_SUBZERO]) {
    ctx.pool.resetPeak();
    const session = new TrainingSession(ctx, { ...base, optimizer }, loaded, resources);
    parameterCount = session.model.parameterCount;
    if (optimizer.name === 'subzero') {
      const rank = DEFAULT_SUBZERO.name === 'subzero' ? DEFAULT_SUBZERO.rank : 0;
      for (const param of session.model.parameters) {
        if (param.shape.length === 2) uvBytes += (param.rows + param.cols) * Math.min(rank, param.rows, param.cols) * 4;
      }
    }
    const stepMs: number[] = [];
    const forwardMs: number[] = [];
    for (let i = 0; i < WARMUP + repeats; i++) {
      let started = performance.now();
      await session.step(i);
      await queue.onSubmittedWorkDone();
      if (i >= WARMUP) stepMs.push(performance.now() - started);

      started = performance.now();
      runDispatches(ctx, session.plainPlan.dispatches, 'bench forward');
      await queue.onSubmittedWorkDone();
      if (i >= WARMUP) forwardMs.push(performance.now() - started);
    }
    const peak = ctx.pool.peakBytes();
    if (!inference) {
      // Inference = the weights plus one activation set, as a forward-only session would hold.
      inference = { ...peak, perturbation: 0, staging: 0, 'optimizer-state': 0, preconditioner: 0 };
    }
    results[optimizer.name] = { stepMs, forwardMs, peak, perturbationBytes: peak.perturbation };
    session.release();
    process.stderr.write(`${optimizer.name}: step ${median(stepMs).toFixed(1)} ms, forward ${median(forwardMs).toFixed(1)} ms\n`);
  }

  const mezo = results.mezo;
  const subzero = results.subzero;
  const forward = median([...mezo.forwardMs, ...subzero.forwardMs]);
  const inferenceBytes = totalBytes(inference!);
  const subzeroPeak = totalBytes(subzero.peak);
  const rows = [
    ['MeZO step / forward', median(mezo.stepMs) / forward, '≤ 2.2'],
    ['SubZero step / forward', median(subzero.stepMs) / forward, '≤ 2.2'],
    ['SubZero step / MeZO step', median(subzero.stepMs) / median(mezo.stepMs), '≤ 1.1'],
    ['SubZero peak bytes / (inference bytes + U, V bytes)', subzeroPeak / (inferenceBytes + uvBytes), '≤ 1.05'],
    ['SubZero peak bytes / inference bytes', subzeroPeak / inferenceBytes, 'for reference'],
  ] as const;

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (cli/bench.ts). All ratios come from one run, measured side by side.',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Backend: WebGPU through Dawn (\`webgpu\` npm package), adapter: ${ctx.adapterName}`,
    `- Machine: ${cpu}, ${cpus().length} cores, ${MiB(totalmem())} MiB RAM, ${platform()} ${release()}, Node ${process.version}`,
    `- Workload: embedded gpt2-moby (${parameterCount.toLocaleString('en-US')} parameters), batch ${batchSize} × ${sequenceLength} tokens, ` +
      `median of ${repeats} timed repeats after ${WARMUP} warm-up steps`,
    '',
    '| ratio | measured | goal |',
    '|---|---|---|',
    ...rows.map(([name, value, goal]) => `| ${name} | ${value.toFixed(3)} | ${goal} |`),
    '',
    '| measurement | MeZO | SubZero |',
    '|---|---|---|',
    `| step time (ms, median) | ${median(mezo.stepMs).toFixed(1)} | ${median(subzero.stepMs).toFixed(1)} |`,
    `| forward time (ms, median) | ${median(mezo.forwardMs).toFixed(1)} | ${median(subzero.forwardMs).toFixed(1)} |`,
    `| peak GPU MiB (pool count) | ${MiB(totalBytes(mezo.peak))} | ${MiB(subzeroPeak)} |`,
    `| of which perturbation MiB (scratch, U, V, Σ) | ${MiB(mezo.perturbationBytes)} | ${MiB(subzero.perturbationBytes)} |`,
    `| inference MiB (weights + activations) | ${MiB(inferenceBytes)} | ${MiB(inferenceBytes)} |`,
    `| U, V MiB | 0 | ${MiB(uvBytes)} |`,
    '',
    'A step is two perturbed forwards, one 8-byte loss readback and the in-place update. Times on a CPU',
    'Vulkan driver are far from a GPU\'s; the ratios are what the goals are about.',
    '',
  ];
  await writeFile(new URL('../docs/BENCHMARKS.md', import.meta.url), lines.join('\n'));
  process.stdout.write(lines.join('\n'));
  ctx.device.destroy();
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`benchmark failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
