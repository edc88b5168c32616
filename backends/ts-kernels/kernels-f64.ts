/**
 * Naive float64 kernels: the reference every other kernel is measured against. Each is the
 * textbook formula written as plain loops, with no blocking, unrolling or fusion, so a reader can
 * check it against the math in one glance. They also serve as the naive twins of the fast float32
 * kernels in kernels-f32.ts (tests widen the f32 inputs to f64 and compare).
 *
 * Layouts are row-major. `rows` counts independent vectors (tokens); weights use Hugging Face's
 * GPT-2 Conv1D layout [in, out], so y = x @ W + b.
 */

/** out[rows, outDim] = x[rows, inDim] @ w[inDim, outDim] + bias[outDim]. */
export function matmul(
  out: Float64Array,
  x: Float64Array,
  w: Float64Array,
  bias: Float64Array,
  rows: number,
  inDim: number,
  outDim: number,
): void {
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let sum = bias[o]!;
      for (let i = 0; i < inDim; i++) sum += x[r * inDim + i]! * w[i * outDim + o]!;
      out[r * outDim + o] = sum;
    }
  }
}

/** out[rows, outDim] = x[rows, inDim] @ w[outDim, inDim]ᵀ: the tied LM head, logits = h · wteᵀ. */
export function matmulTransposed(
  out: Float64Array,
  x: Float64Array,
  w: Float64Array,
  rows: number,
  inDim: number,
  outDim: number,
): void {
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let sum = 0;
      for (let i = 0; i < inDim; i++) sum += x[r * inDim + i]! * w[o * inDim + i]!;
      out[r * outDim + o] = sum;
    }
  }
}

/** LayerNorm over the last axis of x[rows, dim]: biased variance, eps inside the sqrt (PyTorch). */
export function layerNorm(
  out: Float64Array,
  x: Float64Array,
  weight: Float64Array,
  bias: Float64Array,
  rows: number,
  dim: number,
  eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += x[r * dim + i]!;
    mean /= dim;
    let variance = 0;
    for (let i = 0; i < dim; i++) variance += (x[r * dim + i]! - mean) ** 2;
    variance /= dim;
    const invStd = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < dim; i++) {
      out[r * dim + i] = (x[r * dim + i]! - mean) * invStd * weight[i]! + bias[i]!;
    }
  }
}

/** GPT-2's tanh approximation of GELU (HF `gelu_new`), in place over every element. */
export function geluNew(x: Float64Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  }
}

/** Max-subtracted softmax, in place over every element. */
export function softmax(x: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of x) max = Math.max(max, v);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    x[i] = Math.exp(x[i]! - max);
    sum += x[i]!;
  }
  for (let i = 0; i < x.length; i++) x[i] = x[i]! / sum;
}

/**
 * Causal self-attention for one query over the keys and values seen so far (the query's own
 * included). Only real tokens are ever cached, so every cached position is attended: the causal
 * and padding masks are the cache's extent.
 *
 * q, out: [C] with C = nHead · headDim, head h at [h·headDim, (h+1)·headDim).
 * keys, values: [positions] of [C].
 */
export function attention(
  out: Float64Array,
  q: Float64Array,
  keys: readonly Float64Array[],
  values: readonly Float64Array[],
  nHead: number,
): void {
  const headDim = q.length / nHead;
  const scale = 1 / Math.sqrt(headDim);
  const weights = new Float64Array(keys.length); // [positions]
  for (let h = 0; h < nHead; h++) {
    const start = h * headDim;
    keys.forEach((k, t) => {
      let dot = 0;
      for (let d = start; d < start + headDim; d++) dot += q[d]! * k[d]!;
      weights[t] = dot * scale;
    });
    softmax(weights);
    for (let d = start; d < start + headDim; d++) {
      let sum = 0;
      values.forEach((v, t) => {
        sum += weights[t]! * v[d]!;
      });
      out[d] = sum;
    }
  }
}

/** x += y elementwise (the residual connection). */
export function add(x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + y[i]!;
}
