/**
 * Power iteration on the GPU: an estimate of λmax of a symmetric positive semidefinite n×n matrix,
 * written as one f32 to `lambda[lambdaIndex]`. Fixed start vector (see powerStartVector), so the
 * result is deterministic and matches powerIterationRef. The estimate is the Rayleigh quotient of
 * the last iterate, a lower bound of λmax that converges like (λ₂/λ₁)^(2·iterations).
 */
import type { GpuContext } from '../gpu/context';
import { makeUniform, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements, requirePositiveDims } from '../gpu/validate';
import { bindBuffers, HASH_WGSL } from './common';
import { POWER_ITERATIONS, POWER_START_SEED } from './constants';
import source from './power-iteration.wgsl?raw';

const WORKGROUP_SIZE = 256;
const MATVEC_WORKGROUP_SIZE = 64;

export interface PowerIterationArgs {
  /** n×n row-major, symmetric. */
  a: GPUBuffer;
  n: number;
  /** Receives λ at element lambdaIndex (as f32). */
  lambda: GPUBuffer;
  lambdaIndex?: number;
  /** Two scratch vectors of n f32 (the iterate and A times it). */
  v: GPUBuffer;
  w: GPUBuffer;
  /** Default POWER_ITERATIONS (10). */
  iterations?: number;
}

/** Builds the dispatches, in order: start vector, then matvec and normalize per iteration. */
export function makePowerIteration(ctx: GpuContext, label: string, args: PowerIterationArgs): Dispatch[] {
  const { a, n, lambda, v, w } = args;
  const lambdaIndex = args.lambdaIndex ?? 0;
  const iterations = args.iterations ?? POWER_ITERATIONS;
  requirePositiveDims(label, 'power iteration', { n, iterations });
  requireElements(label, 'power iteration', 'a', a, n * n, `n*n = ${n}*${n}`);
  requireElements(label, 'power iteration', 'v', v, n, `n = ${n}`);
  requireElements(label, 'power iteration', 'w', w, n, `n = ${n}`);
  requireElements(label, 'power iteration', 'lambda', lambda, lambdaIndex + 1, `lambdaIndex + 1 = ${lambdaIndex + 1}`);
  const distinct = new Set([a, lambda, v, w]);
  if (distinct.size !== 4) throw new Error(`${label}: power iteration a, lambda, v and w must be four separate buffers`);
  if (n > ctx.limits.maxComputeWorkgroupsPerDimension) throw new Error(`${label}: power iteration n = ${n} exceeds the workgroup limit per dimension`);

  const shader = () => wgslConstants({ WORKGROUP_SIZE, MATVEC_WORKGROUP_SIZE, START_SEED: POWER_START_SEED }) + HASH_WGSL + source;
  const pipeline = (entry: string) => ctx.pipelines.get(`linalg-power-iteration:${entry}`, shader, entry);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', n],
    ['u32', lambdaIndex],
  ]);

  const startPipeline = pipeline('start');
  const matvecPipeline = pipeline('matvec');
  const normalizePipeline = pipeline('normalize');
  const start: Dispatch = {
    label: `${label} start`,
    pipeline: startPipeline,
    bindGroup: bindBuffers(ctx, startPipeline, `${label} start`, { 0: params, 1: v }),
    workgroups: [1, 1, 1],
  };
  const matvec: Dispatch = {
    label: `${label} matvec`,
    pipeline: matvecPipeline,
    bindGroup: bindBuffers(ctx, matvecPipeline, `${label} matvec`, { 0: params, 1: v, 2: w, 3: a }),
    workgroups: [n, 1, 1],
  };
  const normalize: Dispatch = {
    label: `${label} normalize`,
    pipeline: normalizePipeline,
    bindGroup: bindBuffers(ctx, normalizePipeline, `${label} normalize`, { 0: params, 1: v, 2: w, 4: lambda }),
    workgroups: [1, 1, 1],
  };
  const dispatches = [start];
  for (let i = 0; i < iterations; i++) dispatches.push(matvec, normalize);
  return dispatches;
}
