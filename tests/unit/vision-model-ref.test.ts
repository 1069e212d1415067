/** The vision network specs, their initialisation, and the CPU reference backward against finite differences. */
import { describe, expect, it } from 'vitest';
import { initVisionParameters, visionNetSpec, type VisionArchitecture, type VisionInputShape } from '../../app/model/vision';
import { visionForwardBackwardRef, visionForwardRef } from '../../app/model/vision.ref';

// Central differences of the f64 reference mean loss with step H = 1e-6. Away from the ReLU and
// max-pool kinks the loss is smooth in every weight, so the quotient is off by the f64 rounding of
// the loss, about 2⁻⁵²·|L|/H ≈ 1e-9 for |L| ≈ 2, plus H²·|L'''|/6, far below 1e-12. Gradients are
// of order 1e-2, so the tolerance 1e-7 is far above both errors and far below a missing or misplaced term.
const H = 1e-6;
const TOLERANCE = 1e-7;
/** Weights checked per tensor, spread evenly over it. */
const SAMPLES_PER_TENSOR = 16;

/** Deterministic pseudo-random values in [-scale, scale) (xorshift32), as f64. */
function randomValues(n: number, seed: number, scale = 1): Float64Array {
  let state = (seed * 2654435761) >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = ((state / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

function sampleIndices(size: number): number[] {
  if (size <= SAMPLES_PER_TENSOR) return Array.from({ length: size }, (_, i) => i);
  return Array.from({ length: SAMPLES_PER_TENSOR }, (_, j) => Math.floor(((j + 0.5) * size) / SAMPLES_PER_TENSOR));
}

const FD_CASES: Array<[string, VisionArchitecture, VisionInputShape, number, number]> = [
  ['mlp, 8x8x1, 3 classes, batch 3', 'mlp', { height: 8, width: 8, channels: 1 }, 3, 3],
  ['cnn, 8x8x1, 3 classes, batch 3', 'cnn', { height: 8, width: 8, channels: 1 }, 3, 3],
  ['cnn, odd 6x7x2, 4 classes, batch 2', 'cnn', { height: 6, width: 7, channels: 2 }, 4, 2],
];

describe('vision reference backward', () => {
  it.each(FD_CASES)('matches finite differences, %s', (_name, architecture, input, classes, count) => {
    const spec = visionNetSpec(architecture, input, classes);
    const params = initVisionParameters(spec, 7).map((values) => Float64Array.from(values));
    const images = randomValues(count * input.height * input.width * input.channels, 11);
    const labels = Uint32Array.from({ length: count }, (_, i) => (i * 2 + 1) % classes);
    const { grads } = visionForwardBackwardRef(spec, params, images, labels, count);
    const loss = () => visionForwardRef(spec, params, images, labels, count).meanLoss;

    spec.parameters.forEach((parameter, p) => {
      const values = params[p];
      let worst = 0;
      let largestGradient = 0;
      for (const i of sampleIndices(parameter.size)) {
        const saved = values[i];
        values[i] = saved + H;
        const plus = loss();
        values[i] = saved - H;
        const minus = loss();
        values[i] = saved;
        const numeric = (plus - minus) / (2 * H);
        worst = Math.max(worst, Math.abs(numeric - grads[p][i]));
        largestGradient = Math.max(largestGradient, Math.abs(numeric));
      }
      expect(worst, `${parameter.name}: largest error`).toBeLessThan(TOLERANCE);
      // A check against a gradient of zeros would pass the line above, so require a real signal.
      expect(largestGradient, `${parameter.name}: largest sampled gradient`).toBeGreaterThan(1e-4);
    });
  });

  it('reads only the first count images', () => {
    const spec = visionNetSpec('cnn', { height: 8, width: 8, channels: 1 }, 3);
    const params = initVisionParameters(spec, 3);
    const images = randomValues(4 * 64, 5);
    const labels = Uint32Array.of(0, 1, 2, 0);
    const three = visionForwardBackwardRef(spec, params, images.subarray(0, 3 * 64), labels, 3);
    const withExtra = visionForwardBackwardRef(spec, params, images, labels, 3);
    expect(withExtra.meanLoss).toBe(three.meanLoss);
    expect(withExtra.grads).toEqual(three.grads);
  });

  it('sums losses and correct flags', () => {
    const spec = visionNetSpec('mlp', { height: 4, width: 4, channels: 1 }, 5);
    const result = visionForwardRef(spec, initVisionParameters(spec, 1), randomValues(6 * 16, 2), Uint32Array.of(0, 1, 2, 3, 4, 0), 6);
    const lossSum = result.losses.reduce((a, b) => a + b, 0);
    const correctCount = result.correct.reduce((a, b) => a + b, 0);
    expect(result.lossSum).toBeCloseTo(lossSum, 12);
    expect(result.correctCount).toBe(correctCount);
    expect(result.meanLoss).toBeCloseTo(lossSum / 6, 12);
    expect(result.logits.length).toBe(6 * 5);
  });
});

describe('vision network spec', () => {
  it('cnn on 28x28x1 ends in Linear 784 to K', () => {
    const spec = visionNetSpec('cnn', { height: 28, width: 28, channels: 1 }, 10);
    expect(spec.parameters.map((p) => [p.name, p.shape])).toEqual([
      ['conv1.weight', [16, 1, 3, 3]],
      ['conv1.bias', [16]],
      ['conv2.weight', [16, 16, 3, 3]],
      ['conv2.bias', [16]],
      ['fc.weight', [10, 784]],
      ['fc.bias', [10]],
    ]);
    expect(spec.parameters.map((p) => p.matrix)).toEqual([
      { rows: 16, cols: 9 },
      null,
      { rows: 16, cols: 144 },
      null,
      { rows: 10, cols: 784 },
      null,
    ]);
    expect(spec.parameters.map((p) => p.decay)).toEqual([true, false, true, false, true, false]);
    expect(spec.parameterCount).toBe(144 + 16 + 2304 + 16 + 7840 + 10);
    expect(spec.layers.map((layer) => layer.kind)).toEqual(['conv', 'relu', 'max-pool', 'conv', 'relu', 'max-pool', 'flatten', 'linear']);
    expect(spec.layers[5].outputShape).toEqual([7, 7, 16]);
    expect(spec.layers[7].text).toBe('Linear 784→10');
  });

  it('mlp on 28x28x1 has a 128-wide hidden layer', () => {
    const spec = visionNetSpec('mlp', { height: 28, width: 28, channels: 1 }, 10);
    expect(spec.parameters.map((p) => [p.name, p.shape, p.matrix])).toEqual([
      ['fc1.weight', [128, 784], { rows: 128, cols: 784 }],
      ['fc1.bias', [128], null],
      ['fc2.weight', [10, 128], { rows: 10, cols: 128 }],
      ['fc2.bias', [10], null],
    ]);
    expect(spec.parameterCount).toBe(784 * 128 + 128 + 128 * 10 + 10);
    expect(spec.layers.map((layer) => layer.text)).toEqual(['Flatten 28×28×1', 'Linear 784→128', 'ReLU', 'Linear 128→10']);
  });

  it('floors odd sizes in the poolings', () => {
    const spec = visionNetSpec('cnn', { height: 10, width: 10, channels: 3 }, 4);
    expect(spec.parameters[0].shape).toEqual([16, 3, 3, 3]);
    expect(spec.parameters[4].shape).toEqual([4, 16 * 2 * 2]);
  });

  it('rejects invalid shapes', () => {
    expect(() => visionNetSpec('cnn', { height: 3, width: 28, channels: 1 }, 10)).toThrow(/at least 4×4.*got 3×28/);
    expect(() => visionNetSpec('mlp', { height: 28, width: 0, channels: 1 }, 10)).toThrow(/input width must be a positive integer, got 0/);
    expect(() => visionNetSpec('mlp', { height: 28, width: 28, channels: 1 }, 1)).toThrow(/class count must be an integer >= 2, got 1/);
    expect(() => visionNetSpec('resnet' as VisionArchitecture, { height: 28, width: 28, channels: 1 }, 10)).toThrow(/unknown architecture "resnet"/);
  });
});

describe('vision parameter initialisation', () => {
  it('draws within ±1/sqrt(fan_in), reproducibly', () => {
    const spec = visionNetSpec('cnn', { height: 28, width: 28, channels: 1 }, 10);
    const params = initVisionParameters(spec, 42);
    spec.parameters.forEach((parameter, p) => {
      const bound = 1 / Math.sqrt(parameter.fanIn);
      const values = params[p];
      expect(values.length).toBe(parameter.size);
      expect(Math.max(...values.map(Math.abs)), parameter.name).toBeLessThanOrEqual(bound);
      // With at least 10 uniform draws, the spread reaches well past half the bound.
      expect(Math.max(...values) - Math.min(...values), parameter.name).toBeGreaterThan(bound);
    });
    expect(initVisionParameters(spec, 42)).toEqual(params);
    expect(initVisionParameters(spec, 43)[0]).not.toEqual(params[0]);
  });
});
