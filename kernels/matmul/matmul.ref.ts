/**
 * Placement of a product inside larger matrices, for weights split by rows. a is M×aColumns and
 * the product reads its columns [aColumnOffset, aColumnOffset + K). out is M×outColumns and the
 * product fills its columns [outColumnOffset, outColumnOffset + N). With `accumulate`, each sum
 * starts from the value already in out (pass it as `out`) instead of zero.
 */
export interface MatmulWindow {
  aColumns?: number;
  aColumnOffset?: number;
  outColumns?: number;
  outColumnOffset?: number;
  accumulate?: boolean;
  /** Initial out, M×outColumns; updated in place and returned. Default zeros. */
  out?: Float32Array;
}

/**
 * CPU reference of the matmul: out[M,N] = a[M,K] · b (+ bias[N]), row-major, accumulated in f64
 * and rounded once to f32. b is K×N (GPT-2 Conv1D layout) unless `transposeB`, then it is N×K
 * (a Linear weight or the tied wte used by the LM head) and enters the product transposed.
 * With `transposeA`, a is K×M and enters transposed (weight gradients dW = dYᵀ·X).
 */
export function matmulRef(
  a: Float32Array, // M×K, or K×M when transposeA; M×aColumns with a window
  b: Float32Array, // K×N, or N×K when transposeB
  bias: Float32Array | null | undefined, // N
  M: number,
  K: number,
  N: number,
  transposeB: boolean,
  transposeA = false,
  window: MatmulWindow = {},
): Float32Array {
  const aColumns = window.aColumns ?? K;
  const aColumnOffset = window.aColumnOffset ?? 0;
  const outColumns = window.outColumns ?? N;
  const outColumnOffset = window.outColumnOffset ?? 0;
  if (transposeA && transposeB) throw new Error('matmulRef: transposeA and transposeB cannot both be set');
  if (transposeA && (aColumns !== K || aColumnOffset !== 0)) throw new Error('matmulRef: a column window needs a non-transposed a');
  if (aColumnOffset + K > aColumns) throw new Error(`matmulRef: a columns ${aColumnOffset} + ${K} exceed aColumns = ${aColumns}`);
  if (outColumnOffset + N > outColumns) throw new Error(`matmulRef: out columns ${outColumnOffset} + ${N} exceed outColumns = ${outColumns}`);
  if (a.length < M * aColumns) throw new Error(`matmulRef: a has ${a.length} elements, expected M*K = ${M}*${aColumns} = ${M * aColumns}`);
  if (b.length < K * N) throw new Error(`matmulRef: b has ${b.length} elements, expected K*N = ${K}*${N} = ${K * N}`);
  if (bias && bias.length < N) throw new Error(`matmulRef: bias has ${bias.length} elements, expected N = ${N}`);

  const out = window.out ?? new Float32Array(M * outColumns);
  if (out.length < M * outColumns) throw new Error(`matmulRef: out has ${out.length} elements, expected M*outColumns = ${M * outColumns}`);
  for (let row = 0; row < M; row++) {
    for (let col = 0; col < N; col++) {
      const index = row * outColumns + outColumnOffset + col;
      let sum = (bias ? bias[col] : 0) + (window.accumulate ? out[index] : 0);
      for (let k = 0; k < K; k++) {
        const bValue = transposeB ? b[col * K + k] : b[k * N + col];
        const aValue = transposeA ? a[k * M + row] : a[row * aColumns + aColumnOffset + k];
        sum += aValue * bValue;
      }
      out[index] = sum;
    }
  }
  return out;
}

/** Gradients of a Linear layer, from linearBackwardRef. */
export interface LinearGradients {
  /** [N, inFeatures]. */
  dx: Float64Array;
  /** [outFeatures, inFeatures]. */
  dWeight: Float64Array;
  /** [outFeatures]. */
  dBias: Float64Array;
}

/**
 * CPU reference of a Linear layer in f64: y[N, outFeatures] = x[N, inFeatures] · weightᵀ + bias,
 * with weight in the PyTorch layout (outFeatures, inFeatures). `bias` may be null. On the GPU this
 * is the NT matmul with bias.
 */
export function linearForwardRef(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  N: number,
  inFeatures: number,
  outFeatures: number,
): Float64Array {
  requireLinearLengths('linearForwardRef', x, weight, N, inFeatures, outFeatures);
  if (bias && bias.length < outFeatures) throw new Error(`linearForwardRef: bias has ${bias.length} elements, expected outFeatures = ${outFeatures}`);

  const y = new Float64Array(N * outFeatures);
  for (let row = 0; row < N; row++) {
    for (let o = 0; o < outFeatures; o++) {
      let sum = bias ? bias[o] : 0;
      for (let i = 0; i < inFeatures; i++) sum += x[row * inFeatures + i] * weight[o * inFeatures + i];
      y[row * outFeatures + o] = sum;
    }
  }
  return y;
}

/**
 * Returns the gradients of Σ dy · linearForwardRef(x, weight, bias) in f64: dx = dy · weight (the NN
 * matmul on the GPU), dWeight = dyᵀ · x (the TN matmul) and dBias = the column sums of dy (bias-grad).
 */
export function linearBackwardRef(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  dy: ArrayLike<number>,
  N: number,
  inFeatures: number,
  outFeatures: number,
): LinearGradients {
  requireLinearLengths('linearBackwardRef', x, weight, N, inFeatures, outFeatures);
  if (dy.length < N * outFeatures) throw new Error(`linearBackwardRef: dy has ${dy.length} elements, expected N*outFeatures = ${N * outFeatures}`);

  const dx = new Float64Array(N * inFeatures);
  const dWeight = new Float64Array(outFeatures * inFeatures);
  const dBias = new Float64Array(outFeatures);
  for (let row = 0; row < N; row++) {
    for (let o = 0; o < outFeatures; o++) {
      const g = dy[row * outFeatures + o];
      dBias[o] += g;
      for (let i = 0; i < inFeatures; i++) {
        dx[row * inFeatures + i] += g * weight[o * inFeatures + i];
        dWeight[o * inFeatures + i] += g * x[row * inFeatures + i];
      }
    }
  }
  return { dx, dWeight, dBias };
}

function requireLinearLengths(name: string, x: ArrayLike<number>, weight: ArrayLike<number>, N: number, inFeatures: number, outFeatures: number): void {
  if (x.length < N * inFeatures) throw new Error(`${name}: x has ${x.length} elements, expected N*inFeatures = ${N * inFeatures}`);
  if (weight.length < outFeatures * inFeatures) {
    throw new Error(`${name}: weight has ${weight.length} elements, expected outFeatures*inFeatures = ${outFeatures * inFeatures}`);
  }
}
