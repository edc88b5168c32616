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
 * Every output is bias + one left-to-right sum over i, whichever path computes it. Rows go in
 * blocks of four that share each weight row (read once, used four times); leftover rows (decode's
 * single row) go through `rowTimesWeights`, where eight weight rows share each load of x. Each
 * sharing halves the loads per multiply-add, which is what bounds V8's scalar loops: on 2 Xeon
 * cores the LM head over V = 50257 measured 1.3–1.5 G multiply-adds/s that way against 0.55 G for
 * one dot product per output.
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
  matmulOutputs(out, x, w, bias, rows, inDim, outDim, 0, outDim);
}

/**
 * matmulTransposed's outputs [from, to) of every row, and nothing else: the unit a thread computes
 * (matmul-threads.ts). Each output is computed the same way whatever the range, so splitting the
 * outputs between threads changes no bit.
 */
export function matmulOutputs(
  out: Float32Array,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  rows: number,
  inDim: number,
  outDim: number,
  from: number,
  to: number,
): void {
  const blockedRows = rows - (rows % 4);
  for (let o = from; o < to; o++) {
    const wo = o * inDim;
    const b = bias === null ? 0 : bias[o]!;
    for (let r = 0; r < blockedRows; r += 4) {
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
  }
  for (let r = blockedRows; r < rows; r++)
    rowTimesWeights(out, r * outDim, x, r * inDim, w, bias, inDim, from, to);
}

/**
 * out[outAt + o] = bias[o] + Σ_i x[xAt + i] · w[o · inDim + i] for o in [from, to): one row against
 * the weight rows, eight at a time, each x[i] loaded once for all eight.
 */
export function rowTimesWeights(
  out: Float32Array,
  outAt: number,
  x: Float32Array,
  xAt: number,
  w: Float32Array,
  bias: Float32Array | null,
  inDim: number,
  from: number,
  to: number,
): void {
  let o = from;
  for (; o + 8 <= to; o += 8) {
    const w0 = o * inDim;
    const w1 = w0 + inDim;
    const w2 = w1 + inDim;
    const w3 = w2 + inDim;
    const w4 = w3 + inDim;
    const w5 = w4 + inDim;
    const w6 = w5 + inDim;
    const w7 = w6 + inDim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let i = 0; i < inDim; i++) {
      const xi = x[xAt + i]!;
      s0 += xi * w[w0 + i]!;
      s1 += xi * w[w1 + i]!;
      s2 += xi * w[w2 + i]!;
      s3 += xi * w[w3 + i]!;
      s4 += xi * w[w4 + i]!;
      s5 += xi * w[w5 + i]!;
      s6 += xi * w[w6 + i]!;
      s7 += xi * w[w7 + i]!;
    }
    const at = outAt + o;
    if (bias === null) {
      out[at] = s0;
      out[at + 1] = s1;
      out[at + 2] = s2;
      out[at + 3] = s3;
      out[at + 4] = s4;
      out[at + 5] = s5;
      out[at + 6] = s6;
      out[at + 7] = s7;
    } else {
      out[at] = bias[o]! + s0;
      out[at + 1] = bias[o + 1]! + s1;
      out[at + 2] = bias[o + 2]! + s2;
      out[at + 3] = bias[o + 3]! + s3;
      out[at + 4] = bias[o + 4]! + s4;
      out[at + 5] = bias[o + 5]! + s5;
      out[at + 6] = bias[o + 6]! + s6;
      out[at + 7] = bias[o + 7]! + s7;
    }
  }
  for (; o < to; o++) {
    const wo = o * inDim;
    let s = 0;
    for (let i = 0; i < inDim; i++) s += x[xAt + i]! * w[wo + i]!;
    out[outAt + o] = (bias === null ? 0 : bias[o]!) + s;
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
