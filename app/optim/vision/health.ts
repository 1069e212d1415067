/**
 * Health bookkeeping of Shampoo on the GPU, so that nothing is read back per step:
 *
 * - `makeHealthCheck` reads a non-finite count (or the inverse-root FLAGS word) that an earlier
 *   dispatch wrote into the status buffer, writes a gate word (1 = the new state may be committed)
 *   and appends a failure event (tensor id, kind, step, detail) to an event log on the GPU.
 * - `makeGatedCopy` commits a candidate (f32 values or packed 4-bit codes) into persistent state
 *   only when its gate word is non-zero, so a failed update leaves the previous state in place.
 * - `readHealthEvents` reads and clears the log at low frequency (drainWarnings).
 *
 * The step of an event comes from the clock uniform, which the optimizer rewrites every step.
 */
import type { GpuContext } from '../../../kernels/gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, writeUniform, type Dispatch } from '../../../kernels/gpu/dispatch';
import { wgslConstants } from '../../../kernels/gpu/pipelines';
import { requireElements, requirePositiveDims } from '../../../kernels/gpu/validate';
import { ROOT_KEPT_FLAGS } from '../../../kernels/linalg/root-status';
import gatedCopySource from './gated-copy.wgsl?raw';
import healthCheckSource from './health-check.wgsl?raw';

const WORKGROUP_SIZE = 256;

/** Events the log stores between two reads; later ones are only counted. */
export const HEALTH_LOG_CAPACITY = 256;
/** log[0] = stored events, log[1] = dropped events. */
const HEADER_WORDS = 2;
/** tensor id, kind, step, detail. */
const ENTRY_WORDS = 4;
export const HEALTH_LOG_WORDS = HEADER_WORDS + HEALTH_LOG_CAPACITY * ENTRY_WORDS;

export const CHECK_MODE = {
  /** Fails when the sum of two non-finite counts is non-zero. */
  counts: 0,
  /** Fails when the inverse-root FLAGS word has a bit of ROOT_KEPT_FLAGS (the root was kept). */
  rootFlags: 1,
} as const;

export type CheckMode = keyof typeof CHECK_MODE;

export interface HealthCheckArgs {
  /** u32 status words. */
  status: GPUBuffer;
  mode: CheckMode;
  /** Status word read by the check (a count, or the FLAGS word). */
  firstWord: number;
  /** A second count added to the first in 'counts' mode; ignored in 'rootFlags' mode. Pass a word that contains 0 to check one count. */
  secondWord: number;
  /** Status word that receives 1 (commit) or 0 (keep the previous state). */
  gateWord: number;
  /** [HEALTH_LOG_WORDS] u32 event log. */
  log: GPUBuffer;
  /** Uniform from `makeHealthClock`. */
  clock: GPUBuffer;
  /** Caller's id of the tensor, returned with each event. */
  tensor: number;
  /** Caller's event kind, returned with each event. */
  kind: number;
}

/** Creates the clock uniform that stamps events with the step. */
export function makeHealthClock(ctx: GpuContext, label: string): GPUBuffer {
  return makeUniform(ctx, label, [['u32', 0]]);
}

/** Rewrites the clock before the dispatches of `step` are submitted. */
export function writeHealthClock(ctx: GpuContext, clock: GPUBuffer, step: number): void {
  writeUniform(ctx, clock, [['u32', step]]);
}

/** Builds the single-invocation check that writes the gate word and logs a failure. */
export function makeHealthCheck(ctx: GpuContext, label: string, args: HealthCheckArgs): Dispatch {
  const { status, mode, firstWord, secondWord, gateWord, log, clock, tensor, kind } = args;
  for (const [name, value] of [['firstWord', firstWord], ['secondWord', secondWord], ['gateWord', gateWord], ['tensor', tensor], ['kind', kind]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${label}: health check ${name} must be an integer ≥ 0, got ${value}`);
  }
  const words = Math.max(firstWord, secondWord, gateWord) + 1;
  requireElements(label, 'health check', 'status', status, words, `largest word + 1 = ${words}`);
  requireElements(label, 'health check', 'log', log, HEALTH_LOG_WORDS, `HEALTH_LOG_WORDS = ${HEALTH_LOG_WORDS}`);
  if (status === log) throw new Error(`${label}: health check status and log must be separate buffers`);

  const constants = {
    MODE_COUNTS: CHECK_MODE.counts,
    MODE_ROOT_FLAGS: CHECK_MODE.rootFlags,
    KEPT_FLAGS: ROOT_KEPT_FLAGS,
    LOG_CAPACITY: HEALTH_LOG_CAPACITY,
    HEADER_WORDS,
    ENTRY_WORDS,
  };
  const pipeline = ctx.pipelines.get('vision-health-check', () => wgslConstants(constants) + healthCheckSource);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', firstWord],
    ['u32', secondWord],
    ['u32', gateWord],
    ['u32', CHECK_MODE[mode]],
    ['u32', tensor],
    ['u32', kind],
  ]);
  return { label, pipeline, bindGroup: makeBindGroup(ctx, pipeline, label, [params, clock, status, log]), workgroups: [1, 1, 1] };
}

export interface GatedCopyArgs {
  status: GPUBuffer;
  gateWord: number;
  src: GPUBuffer;
  dst: GPUBuffer;
  /** 32-bit words to copy. */
  count: number;
}

/** Builds the copy of `count` words from src to dst that runs only when status[gateWord] ≠ 0. */
export function makeGatedCopy(ctx: GpuContext, label: string, args: GatedCopyArgs): Dispatch {
  const { status, gateWord, src, dst, count } = args;
  requirePositiveDims(label, 'gated copy', { count });
  if (!Number.isInteger(gateWord) || gateWord < 0) throw new Error(`${label}: gated copy gateWord must be an integer ≥ 0, got ${gateWord}`);
  requireElements(label, 'gated copy', 'status', status, gateWord + 1, `gateWord + 1 = ${gateWord + 1}`);
  requireElements(label, 'gated copy', 'src', src, count, `count = ${count}`);
  requireElements(label, 'gated copy', 'dst', dst, count, `count = ${count}`);
  if (new Set([status, src, dst]).size !== 3) throw new Error(`${label}: gated copy status, src and dst must be separate buffers`);

  const pipeline = ctx.pipelines.get('vision-gated-copy', () => wgslConstants({ WORKGROUP_SIZE }) + gatedCopySource);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', count],
    ['u32', gateWord],
  ]);
  return { label, pipeline, bindGroup: makeBindGroup(ctx, pipeline, label, [params, status, src, dst]), workgroups: workgroupGrid(ctx, count, WORKGROUP_SIZE) };
}

export interface HealthEvent {
  tensor: number;
  kind: number;
  step: number;
  /** Non-finite entries found, or the inverse-root FLAGS bits that made the root be kept. */
  detail: number;
}

/**
 * Reads the event log and clears it. The clear is queued right after the copy to the staging
 * buffer, before awaiting the map, so events of steps submitted meanwhile are kept for the next read.
 */
export async function readHealthEvents(ctx: GpuContext, log: GPUBuffer): Promise<{ events: HealthEvent[]; dropped: number }> {
  const bytes = HEALTH_LOG_WORDS * 4;
  const staging = ctx.pool.readback(`${log.label} readback`, bytes);
  let words: Uint32Array;
  try {
    const encoder = ctx.device.createCommandEncoder({ label: `${log.label} readback` });
    encoder.copyBufferToBuffer(log, 0, staging, 0, bytes);
    ctx.device.queue.submit([encoder.finish()]);
    ctx.device.queue.writeBuffer(log, 0, new Uint32Array(HEADER_WORDS));
    await staging.mapAsync(GPUMapMode.READ);
    words = new Uint32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
  } finally {
    ctx.pool.release(staging);
  }

  const stored = Math.min(words[0], HEALTH_LOG_CAPACITY);
  const events: HealthEvent[] = [];
  for (let e = 0; e < stored; e++) {
    const base = HEADER_WORDS + e * ENTRY_WORDS;
    events.push({ tensor: words[base], kind: words[base + 1], step: words[base + 2], detail: words[base + 3] });
  }
  return { events, dropped: words[1] };
}
