/**
 * Shared host helpers of the linear-algebra kernels. They build bind groups with explicit binding
 * numbers, because several entry points use only some of a shader's bindings. They also define the
 * status gate (a dispatch runs or skips on a flag written earlier on the GPU), the scratch
 * workspace, and the hash behind the deterministic vectors shared with the CPU references.
 */
import type { GpuContext } from '../gpu/context';
import type { MemoryCategory } from '../gpu/pool';
import { requireElements } from '../gpu/validate';

/** Creates a bind group for group 0 with `entries[binding] = buffer`. */
export function bindBuffers(ctx: GpuContext, pipeline: GPUComputePipeline, label: string, entries: Record<number, GPUBuffer>): GPUBindGroup {
  return ctx.device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: Object.entries(entries).map(([binding, buffer]) => ({ binding: Number(binding), resource: { buffer } })),
  });
}

/**
 * A condition on one u32 word of a status buffer, read by the dispatch itself on the GPU: the
 * dispatch does its work only when `status[word]` is non-zero (`runIf: 'nonzero'`) or zero
 * (`runIf: 'zero'`). Iterations stop this way without any readback to the CPU.
 */
export interface Gate {
  status: GPUBuffer;
  word: number;
  runIf: 'nonzero' | 'zero';
}

/** Gate mode as the shaders read it from their uniforms. */
export const GATE_NONZERO = 1;
export const GATE_ZERO = 2;

export function gateMode(gate: Gate): number {
  return gate.runIf === 'nonzero' ? GATE_NONZERO : GATE_ZERO;
}

export function checkGate(label: string, op: string, gate: Gate): void {
  if (!Number.isInteger(gate.word) || gate.word < 0) throw new Error(`${label}: ${op} gate word must be an integer ≥ 0, got ${gate.word}`);
  requireElements(label, op, 'gate status', gate.status, gate.word + 1, `word + 1 = ${gate.word + 1}`);
}

/**
 * WGSL for a gated shader: `gate_open(thread)` returns, uniformly across the workgroup, whether
 * status[params.gate_word] passes params.gate_mode. Thread 0 reads the word, and
 * workgroupUniformLoad hands it to every thread, so the result may guard barriers. Expects the
 * status binding to be declared as `gate_status: array<u32>` and the uniforms to hold gate_word
 * and gate_mode.
 */
export const GATE_WGSL = /* wgsl */ `
var<workgroup> gate_value: u32;

fn gate_open(thread: u32) -> bool {
  if (thread == 0u) {
    let word = gate_status[params.gate_word];
    gate_value = select(u32(word == 0u), u32(word != 0u), params.gate_mode == ${GATE_NONZERO}u);
  }
  return workgroupUniformLoad(&gate_value) != 0u;
}
`;

/**
 * Scratch buffers shared by the ops of this folder, sized for matrices up to order × order. The
 * ops run one after another in a command stream, so one workspace serves every factor of an
 * optimizer as long as each op's output lives outside it. Each op documents which entries it uses.
 */
export interface LinalgWorkspace {
  order: number;
  /** LINALG_WORKSPACE_MATRICES buffers of order² f32. */
  matrices: GPUBuffer[];
  /** LINALG_WORKSPACE_VECTORS buffers of order f32 (at least 64 words). */
  vectors: GPUBuffer[];
}

export const LINALG_WORKSPACE_MATRICES = 5;
export const LINALG_WORKSPACE_VECTORS = 3;

/** Allocates a workspace for matrices up to `order`; release its buffers with `releaseLinalgWorkspace`. */
export function createLinalgWorkspace(ctx: GpuContext, label: string, order: number, category: MemoryCategory = 'preconditioner'): LinalgWorkspace {
  if (!Number.isInteger(order) || order < 1) throw new Error(`${label}: workspace order must be a positive integer, got ${order}`);
  const matrices = Array.from({ length: LINALG_WORKSPACE_MATRICES }, (_, i) => ctx.pool.storage(`${label} matrix ${i}`, category, order * order * 4));
  const vectors = Array.from({ length: LINALG_WORKSPACE_VECTORS }, (_, i) => ctx.pool.storage(`${label} vector ${i}`, category, Math.max(order, 64) * 4));
  return { order, matrices, vectors };
}

export function releaseLinalgWorkspace(ctx: GpuContext, workspace: LinalgWorkspace): void {
  for (const buffer of [...workspace.matrices, ...workspace.vectors]) ctx.pool.release(buffer);
}

/** Throws unless `workspace` has all its buffers, with matrices of order ≥ n. */
export function checkWorkspace(label: string, op: string, workspace: LinalgWorkspace, n: number): void {
  if (workspace.order < n) throw new Error(`${label}: ${op} needs a workspace of order ≥ ${n}, got ${workspace.order}`);
  if (workspace.matrices.length < LINALG_WORKSPACE_MATRICES || workspace.vectors.length < LINALG_WORKSPACE_VECTORS) {
    throw new Error(`${label}: ${op} workspace must hold ${LINALG_WORKSPACE_MATRICES} matrices and ${LINALG_WORKSPACE_VECTORS} vectors`);
  }
}

/**
 * lowbias32 integer hash (a 32-bit xor-shift-multiply finaliser); the same bits in JS and WGSL.
 * Deterministic start and fallback vectors use it, so GPU and CPU reference start identically.
 */
export function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Maps a hash to an f32-exact value in [−1, 1): the top 24 bits times 2⁻²³, minus 1. */
export function hashToUnit(h: number): number {
  return (h >>> 8) * 2 ** -23 - 1;
}

export const HASH_WGSL = /* wgsl */ `
fn hash32(x: u32) -> u32 {
  var h = x;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}

fn hash_to_unit(h: u32) -> f32 {
  return f32(h >> 8u) * (1.0 / 8388608.0) - 1.0;
}
`;

/** Number of elements a strided view reaches: the last index plus one. */
export function stridedExtent(offset: number, rows: number, cols: number, rowStride: number, colStride: number): number {
  return offset + (rows - 1) * rowStride + (cols - 1) * colStride + 1;
}
