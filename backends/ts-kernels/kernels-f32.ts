import type { AttentionOptions } from './kernels-f64.ts';

/**
 * Fast float32 kernels for `ts:f32`. Storage is float32; every sum accumulates in a JS number, i.e.
 * in float64, and is rounded to float32 once when stored. Nothing here allocates: callers pass
 * preallocated outputs and scratch, and buffers may be longer than the `rows` they hold.
 *
 * Each kernel's naive twin is the kernel of the same name in kernels-f64.ts; the unit tests widen
 * the float32 inputs to float64, run both and compare.
 */

/** [rows, cols] → [cols, rows]; done once at load, so every linear layer is a row-by-row dot product. */
export function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]!;
  }
  return t;
}

/**
 * out[rows, outDim] = x[rows, inDim] @ wᵀ + bias, with w [outDim, inDim]: a Conv1D weight
 * transposed at load, or the LM head (wte, stored [V, C]) with bias null.
 *
 * Every output is the dot product of two contiguous rows, summed in a register. Rows go in blocks
 * of four that share each weight row (read once, used four times); leftover rows unroll their dot
 * product four ways instead. In V8 this measured 1.4–2x faster than an axpy over the [in, out]
 * layout (which has to load and store its accumulator row on every multiply-add), from one row
 * (decode) to 64 (prefill), including the LM head over V = 50257.
 */
export function matmulTransposed(
  out: Float32Array,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  rows: number,
  inDim: number,
  outDim: number,
): void {
  for (let o = 0; o < outDim; o++) {
    const wo = o * inDim;
    const b = bias === null ? 0 : bias[o]!;
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const x0 = r * inDim;
      const x1 = x0 + inDim;
      const x2 = x1 + inDim;
      const x3 = x2 + inDim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < inDim; i++) {
        const wi = w[wo + i]!;
        s0 += x[x0 + i]! * wi;
        s1 += x[x1 + i]! * wi;
        s2 += x[x2 + i]! * wi;
        s3 += x[x3 + i]! * wi;
      }
      out[r * outDim + o] = b + s0;
      out[(r + 1) * outDim + o] = b + s1;
      out[(r + 2) * outDim + o] = b + s2;
      out[(r + 3) * outDim + o] = b + s3;
    }
    for (; r < rows; r++) out[r * outDim + o] = b + dot(x, r * inDim, w, wo, inDim);
  }
}

/** Σ a[ai + i] · b[bi + i] for i < n, four independent partial sums. */
function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[ai + i]! * b[bi + i]!;
    s1 += a[ai + i + 1]! * b[bi + i + 1]!;
    s2 += a[ai + i + 2]! * b[bi + i + 2]!;
    s3 += a[ai + i + 3]! * b[bi + i + 3]!;
  }
  for (; i < n; i++) s0 += a[ai + i]! * b[bi + i]!;
  return s0 + s1 + (s2 + s3);
}

/** LayerNorm over the last axis of x[rows, dim]: biased variance, eps inside the sqrt. out may be x. */
export function layerNorm(
  out: Float32Array,
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array,
  rows: number,
  dim: number,
  eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const start = r * dim;
    let sum = 0;
    for (let i = start; i < start + dim; i++) sum += x[i]!;
    const mean = sum / dim;
    let squares = 0;
    for (let i = start; i < start + dim; i++) squares += (x[i]! - mean) ** 2;
    const invStd = 1 / Math.sqrt(squares / dim + eps);
    for (let i = 0; i < dim; i++) out[start + i] = (x[start + i]! - mean) * invStd * weight[i]! + bias[i]!;
  }
}

const GELU_K = Math.sqrt(2 / Math.PI);

/** GPT-2's tanh approximation of GELU (HF `gelu_new`), in place over x[0, length). */
export function geluNew(x: Float32Array, length: number): void {
  for (let i = 0; i < length; i++) {
    const v = x[i]!;
    x[i] = 0.5 * v * (1 + Math.tanh(GELU_K * (v + 0.044715 * v * v * v)));
  }
}

/** x[0, length) += y[0, length) (the residual connection). */
export function add(x: Float32Array, y: Float32Array, length: number): void {
  for (let i = 0; i < length; i++) x[i] = x[i]! + y[i]!;
}

/**
 * Causal self-attention for one query over the first `count` cached positions (the query's own
 * included, last). Only real tokens are cached, so all `count` are attended, or with
 * `options.window` the last `window` of them. Grouped-query attention when nKvHead < nHead: query
 * head h reads key/value head floor(h / (nHead / nKvHead)). Scale and soft cap as kernels-f64's
 * AttentionOptions say.
 *
 * q, out: [nHead · headDim]. keys, values: [capacity, nKvHead · headDim] (a row's cache for one layer).
 * scores: scratch of at least `count` (float64: softmax weights are never rounded to float32).
 */
export function attention(
  out: Float32Array,
  q: Float32Array,
  keys: Float32Array,
  values: Float32Array,
  count: number,
  nHead: number,
  nKvHead: number,
  scores: Float64Array,
  options: AttentionOptions = {},
): void {
  const headDim = q.length / nHead;
  const kvWidth = nKvHead * headDim; // cache row stride
  const group = nHead / nKvHead;
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  const cap = options.softcap ?? null;
  const first = options.window == null ? 0 : Math.max(0, count - options.window); // first attended
  for (let h = 0; h < nHead; h++) {
    const start = h * headDim;
    const kvStart = Math.floor(h / group) * headDim;
    let max = Number.NEGATIVE_INFINITY;
    for (let t = first; t < count; t++) {
      const scaled = dot(q, start, keys, t * kvWidth + kvStart, headDim) * scale;
      const score = cap === null ? scaled : cap * Math.tanh(scaled / cap);
      scores[t] = score;
      if (score > max) max = score;
    }
    let sum = 0;
    for (let t = first; t < count; t++) {
      const e = Math.exp(scores[t]! - max);
      scores[t] = e;
      sum += e;
    }
    for (let d = 0; d < headDim; d++) {
      let acc = 0;
      for (let t = first; t < count; t++) acc += scores[t]! * values[t * kvWidth + kvStart + d]!;
      out[start + d] = acc / sum;
    }
  }
}

/** RMSNorm over the last axis of x[rows, dim] (HF LlamaRMSNorm). out may be x. */
export function rmsNorm(
  out: Float32Array,
  x: Float32Array,
  weight: Float32Array,
  rows: number,
  dim: number,
  eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const start = r * dim;
    let squares = 0;
    for (let i = start; i < start + dim; i++) squares += x[i]! * x[i]!;
    const invRms = 1 / Math.sqrt(squares / dim + eps);
    for (let i = 0; i < dim; i++) out[start + i] = x[start + i]! * invRms * weight[i]!;
  }
}

/** cos and sin of every rotary angle, computed once at load: each [positions, headDim/2], float64. */
export interface RopeTables {
  readonly cos: Float64Array;
  readonly sin: Float64Array;
  readonly half: number;
}

/** Angle of (position p, pair i) = p · theta^(-2i/headDim), as kernels-f64's rope computes it. */
export function ropeTables(positions: number, headDim: number, theta: number): RopeTables {
  const half = headDim / 2;
  const cos = new Float64Array(positions * half);
  const sin = new Float64Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p / theta ** ((2 * i) / headDim);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin, half };
}

/**
 * Rotary position embedding in place on the nHead heads of x starting at `offset` (one token's q
 * or k), HF's rotate_half pairing (i, i + headDim/2); the twin is kernels-f64's rope.
 */
export function rope(
  x: Float32Array,
  offset: number,
  nHead: number,
  position: number,
  tables: RopeTables,
): void {
  const { cos, sin, half } = tables;
  const row = position * half;
  for (let h = 0; h < nHead; h++) {
    const a = offset + h * 2 * half;
    for (let i = 0; i < half; i++) {
      const [c, s, x1, x2] = [cos[row + i]!, sin[row + i]!, x[a + i]!, x[a + half + i]!];
      x[a + i] = x1 * c - x2 * s;
      x[a + half + i] = x2 * c + x1 * s;
    }
  }
}

/** SwiGLU in place over the first `length` elements: gate ← silu(gate) · up. */
export function swiglu(gate: Float32Array, up: Float32Array, length: number): void {
  for (let i = 0; i < length; i++) {
    const g = gate[i]!;
    gate[i] = (g / (1 + Math.exp(-g))) * up[i]!;
  }
}

/** GeGLU in place over the first `length` elements: gate ← gelu_tanh(gate) · up (one rounding). */
export function geglu(gate: Float32Array, up: Float32Array, length: number): void {
  for (let i = 0; i < length; i++) {
    const v = gate[i]!;
    gate[i] = 0.5 * v * (1 + Math.tanh(GELU_K * (v + 0.044715 * v * v * v))) * up[i]!;
  }
}

/** Soft-capping in place over x[0, length): x ← cap · tanh(x / cap). */
export function softcap(x: Float32Array, length: number, cap: number): void {
  for (let i = 0; i < length; i++) x[i] = cap * Math.tanh(x[i]! / cap);
}
