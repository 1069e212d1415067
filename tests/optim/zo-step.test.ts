/**
 * Zeroth-order steps on the GPU against CPU replays. Each update equals θ − η·g·Z within the
 * rounding of that one update, so perturbing causes no drift. Runs replay bit for bit from the
 * seed, and the perturbed losses are the losses of θ ± εZ.
 */
import { describe, expect, it } from 'vitest';
import { readF32 } from '../../kernels/gpu/dispatch';
import type { GpuContext } from '../../kernels/gpu/context';
import { perturbFullRef, perturbLowRankRef } from '../../kernels/perturb/perturb.ref';
import { fillGaussianRef } from '../../kernels/rng/rng.ref';
import { DEFAULT_CONFIG } from '../../app/run/config';
import { TrainingSession } from '../../app/run/loop';
import type { LanguageModelRunConfig, OptimizerConfig } from '../../app/run/types';
import { stepSeed } from '../../app/optim/zo';
import type { Subzero } from '../../app/optim/subzero';
import { gpt2ForwardRef } from '../../app/model/gpt2.ref';
import type { Gpt2Config } from '../../app/model/gpt2-config';
import { getGaussianTable } from '../../kernels/rng/rng';
import { gpu } from '../helpers/gpu';
import { tinyModel, TINY_CONFIG, TINY_TEXT } from '../helpers/tiny-gpt2';

function runConfig(optimizer: OptimizerConfig, seed = 3): LanguageModelRunConfig {
  return { ...DEFAULT_CONFIG, optimizer, batchSize: 2, sequenceLength: 8, steps: 20, seed, evalEvery: 0, evalBatches: 1, sampleTokens: 0 };
}

function session(ctx: GpuContext, optimizer: OptimizerConfig, seed = 3): TrainingSession {
  return new TrainingSession(ctx, runConfig(optimizer, seed), tinyModel(), { model: null as never, train: [TINY_TEXT], eval: [TINY_TEXT], datasetName: 'tiny' });
}

async function readWeights(_ctx: GpuContext, s: TrainingSession): Promise<Float32Array[]> {
  return Promise.all(s.model.parameters.map((param) => s.model.readParameter(param)));
}

const MEZO: OptimizerConfig = { name: 'mezo', learningRate: 1e-2, perturbationScale: 1e-2, weightDecay: 0.1 };
const SUBZERO: OptimizerConfig = { name: 'subzero', learningRate: 1e-2, perturbationScale: 1e-2, weightDecay: 0.1, rank: 3, subspacePeriod: 4 };

/**
 * Largest |gpu − cpu| over all tensors in units of 2⁻²³·(|θ| + max|Δθ| of the tensor): the rounding
 * scale of one update θ ← keep·θ + Δθ, where Δθ itself is rounded at the scale of its largest entry.
 */
function maxUpdateError(before: Float32Array[], gpuValues: Float32Array[], cpuValues: Float32Array[]): number {
  let worst = 0;
  for (let t = 0; t < gpuValues.length; t++) {
    let maxDelta = 0;
    for (let i = 0; i < cpuValues[t].length; i++) maxDelta = Math.max(maxDelta, Math.abs(cpuValues[t][i] - before[t][i]));
    for (let i = 0; i < gpuValues[t].length; i++) {
      const scale = (Math.abs(before[t][i]) + maxDelta) * 2 ** -23;
      worst = Math.max(worst, Math.abs(gpuValues[t][i] - cpuValues[t][i]) / scale);
    }
  }
  return worst;
}

describe('zeroth-order step', () => {
  it('mezo update matches CPU replay every step', async () => {
    const ctx = await gpu();
    const s = session(ctx, MEZO);
    let before = await readWeights(ctx, s);

    // The same recurrence in f64, to bound the drift accumulated over all steps.
    const exact = before.map((values) => Float64Array.from(values));
    const bound = before.map((values) => new Float64Array(values.length));
    const steps = 12;

    for (let step = 0; step < steps; step++) {
      const { projectedGrad } = await s.step(step);
      const after = await readWeights(ctx, s);
      const seed = stepSeed(3, step);
      const c = -MEZO.learningRate * projectedGrad;
      const keep = 1 - MEZO.learningRate * MEZO.weightDecay;

      const expected = s.model.parameters.map((param, t) => perturbFullRef(before[t], param.numel, param.index, param.decay, { seed, c, keep }));
      // One update is one fused multiply-add per element on either side: allow 2 ulp.
      expect(maxUpdateError(before, after, expected)).toBeLessThanOrEqual(2);

      s.model.parameters.forEach((param, t) => {
        const z = fillGaussianRef(seed, param.index, param.numel);
        let maxDelta = 0;
        for (let i = 0; i < param.numel; i++) maxDelta = Math.max(maxDelta, Math.abs(c * z[i]));
        for (let i = 0; i < param.numel; i++) {
          bound[t][i] += 2 * 2 ** -23 * (Math.abs(exact[t][i]) + maxDelta);
          exact[t][i] = (param.decay ? keep : 1) * exact[t][i] + c * z[i];
        }
      });
      before = after;
    }
    // Accumulated error stays within the sum of the per-step roundings (no drift from perturbing).
    let worst = 0;
    before.forEach((values, t) => {
      for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i] - exact[t][i]) / bound[t][i]);
    });
    expect(worst).toBeLessThanOrEqual(1);
    s.release();
  });

  it('subzero update matches CPU replay every step', async () => {
    const ctx = await gpu();
    const s = session(ctx, SUBZERO);
    const optimizer = s.optimizer as Subzero;
    let before = await readWeights(ctx, s);
    for (let step = 0; step < 10; step++) {
      const { projectedGrad } = await s.step(step);
      const after = await readWeights(ctx, s);
      const seed = stepSeed(3, step);
      const c = -SUBZERO.learningRate * projectedGrad;
      const keep = 1 - SUBZERO.learningRate * SUBZERO.weightDecay;
      const expected: Float32Array[] = [];
      for (const [t, param] of s.model.parameters.entries()) {
        const subspace = optimizer.subspaceFor(param.index);
        if (!subspace) {
          expected.push(perturbFullRef(before[t], param.numel, param.index, param.decay, { seed, c, keep }));
          continue;
        }
        const { rows: m, cols: n } = param;
        const r = subspace.rank;
        const [u, v, sigma] = await Promise.all([readF32(ctx, subspace.u, m * r), readF32(ctx, subspace.v, n * r), readF32(ctx, subspace.sigma, r * r)]);
        expected.push(perturbLowRankRef(before[t], u, v, sigma, m, n, r, Math.sqrt(m * n) / r, param.decay, { seed, c, keep }));
      }
      // The low-rank element is a sum of r² products, accumulated in a different order on the GPU.
      expect(maxUpdateError(before, after, expected)).toBeLessThanOrEqual(2);
      before = after;
    }
    s.release();
  });

  it('same seed replays bit for bit', async () => {
    const ctx = await gpu();
    const losses: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const s = session(ctx, SUBZERO, 11);
      const series: number[] = [];
      for (let step = 0; step < 6; step++) {
        const { loss, lossMinus } = await s.step(step);
        series.push(loss, lossMinus);
      }
      losses.push(series);
      s.release();
    }
    expect(losses[1]).toEqual(losses[0]);
    const other = session(ctx, SUBZERO, 12);
    const { loss } = await other.step(0);
    other.release();
    expect(loss).not.toEqual(losses[0][0]);
  });

  it('perturbed losses equal CPU losses at θ ± εZ', async () => {
    const ctx = await gpu();
    const s = session(ctx, MEZO);
    const loaded = s.loaded;
    const batch = s.trainingBatch(0);
    const theta = await readWeights(ctx, s);
    const { loss, lossMinus } = await s.step(0);
    const seed = stepSeed(3, 0);
    for (const [sign, gpuLoss] of [[1, loss], [-1, lossMinus]] as const) {
      const weights = new Map<string, Float32Array>();
      for (const [t, param] of s.model.parameters.entries()) {
        weights.set(param.name, perturbFullRef(theta[t], param.numel, param.index, false, { seed, c: sign * MEZO.perturbationScale, keep: 1 }));
      }
      const { meanLoss } = gpt2ForwardRef(loaded.config, weights, batch.inputs, batch.targets, batch.mask, 2, 8);
      expect(Math.abs(gpuLoss - meanLoss)).toBeLessThan(1e-4);
    }
    s.release();
  });

  it.each([MEZO, SUBZERO])('freezeEmbeddings keeps wte and wpe fixed ($name)', async (optimizer) => {
    const ctx = await gpu();
    const s = session(ctx, { ...optimizer, freezeEmbeddings: true });
    const before = await readWeights(ctx, s);
    await s.step(0);
    const after = await readWeights(ctx, s);
    for (const [t, param] of s.model.parameters.entries()) {
      const changed = after[t].some((value, i) => value !== before[t][i]);
      expect({ name: param.name, changed }).toEqual({ name: param.name, changed: !/^(wte|wpe)\./.test(param.name) });
    }
    s.release();
  });

  it('release frees every buffer', async () => {
    const ctx = await gpu();
    session(ctx, SUBZERO).release(); // creates the per-context Gaussian table once
    const before = ctx.pool.bytes();
    const s = session(ctx, SUBZERO);
    await s.step(0);
    await s.generate('Hi', 2);
    s.release();
    expect(ctx.pool.bytes()).toEqual(before);
  });
});

describe('training session', () => {
  it('frees its buffers when construction fails', async () => {
    const ctx = await gpu();
    const before = ctx.pool.bytes();
    const config = { ...runConfig(MEZO), sequenceLength: 17 };
    expect(() =>
      ctx.pool.capture(() => new TrainingSession(ctx, config, tinyModel(), { model: null as never, train: [TINY_TEXT], eval: [TINY_TEXT], datasetName: 'tiny' })),
    ).toThrow(/exceeds the model's context of 16 tokens/);
    expect(ctx.pool.bytes()).toEqual(before);
  });
});

/**
 * Tensors split by rows (binding limit lowered to a few KiB): each step must give the losses,
 * projected gradient and weights of the unsplit run, bit for bit. The cases match
 * tests/model/gpt2-split.test.ts: wte in 3 chunks, or c_fc, mlp.c_proj and wte in 2, 2 and 4.
 */
describe('zeroth-order step with tensors split by rows', () => {
  const CASES: Array<{ name: string; config: Gpt2Config; maxBytes: number; B: number; T: number; splitNames: string[] }> = [
    { name: 'wte split', config: { ...TINY_CONFIG, nEmbd: 24, nHead: 3, nLayer: 2 }, maxBytes: 12000, B: 2, T: 5, splitNames: ['wte.weight'] },
    {
      name: 'c_fc split',
      config: { ...TINY_CONFIG, nEmbd: 25, nHead: 5, nLayer: 2 },
      maxBytes: 8000,
      B: 1,
      T: 7,
      splitNames: ['wte.weight', 'h.0.mlp.c_fc.weight', 'h.0.mlp.c_proj.weight', 'h.1.mlp.c_fc.weight', 'h.1.mlp.c_proj.weight'],
    },
  ];
  const SUBZERO_REFRESHING: OptimizerConfig = { ...SUBZERO, subspacePeriod: 2 };

  function bits(values: Float32Array): number[] {
    return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
  }

  /** Runs `steps` steps. Returns per step the bits of (L+, L−, g) and of every weight, and the names of the split tensors. */
  async function run(ctx: GpuContext, c: (typeof CASES)[number], optimizer: OptimizerConfig, steps: number) {
    const config = { ...runConfig(optimizer, 5), batchSize: c.B, sequenceLength: c.T };
    const s = new TrainingSession(ctx, config, tinyModel(c.config, 13), { model: null as never, train: [TINY_TEXT], eval: [TINY_TEXT], datasetName: 'tiny' });
    try {
      const perStep: Array<{ losses: number[]; weights: number[][] }> = [];
      for (let step = 0; step < steps; step++) {
        const { loss, lossMinus, projectedGrad } = await s.step(step);
        const losses = bits(Float32Array.of(loss, lossMinus, projectedGrad));
        perStep.push({ losses, weights: (await readWeights(ctx, s)).map(bits) });
      }
      const split = s.model.parameters.filter((param) => param.chunks.length > 1).map((param) => param.name);
      return { perStep, split };
    } finally {
      s.release();
    }
  }

  it.each(CASES.flatMap((c) => [MEZO, SUBZERO_REFRESHING].map((optimizer) => ({ c, optimizer, label: `${optimizer.name}, ${c.name}` }))))(
    'matches unsplit run bit for bit ($label)',
    async ({ c, optimizer }) => {
      const ctx = await gpu();
      getGaussianTable(ctx); // 12.8 KiB: made before the limit drops below its size
      const before = ctx.pool.bytes();
      const whole = await run(ctx, c, optimizer, 4);
      const saved = ctx.maxBindingBytes;
      ctx.maxBindingBytes = c.maxBytes;
      let split: Awaited<ReturnType<typeof run>>;
      try {
        split = await run(ctx, c, optimizer, 4);
      } finally {
        ctx.maxBindingBytes = saved;
      }
      expect(whole.split).toEqual([]);
      expect(split.split).toEqual(c.splitNames);
      for (let step = 0; step < 4; step++) {
        expect(split.perStep[step].losses, `losses at step ${step}`).toEqual(whole.perStep[step].losses);
        split.perStep[step].weights.forEach((values, t) => expect(values, `tensor ${t} after step ${step}`).toEqual(whole.perStep[step].weights[t]));
      }
      // The steps moved the weights, so equality is not that of two untouched models.
      expect(whole.perStep[3].weights[0]).not.toEqual(whole.perStep[0].weights[0]);
      expect(ctx.pool.bytes()).toEqual(before);
    },
  );
});
