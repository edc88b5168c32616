/**
 * Naive float64 kernels: the reference every other kernel is measured against. Each is the
 * textbook formula written as plain loops, with no blocking, unrolling or fusion, so a reader can
 * check it against the math in one glance. They also serve as the naive twins of the fast float32
 * kernels in kernels-f32.ts (tests widen the f32 inputs to f64 and compare).
 *
 * Layouts are row-major. `rows` counts independent vectors (tokens). Weights come in Hugging Face's
 * two layouts: GPT-2's Conv1D [in, out] (y = x @ W + b, `matmul`) and nn.Linear [out, in]
 * (y = x @ Wᵀ + b, `matmulTransposed`, also the LM head).
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

/**
 * out[rows, outDim] = x[rows, inDim] @ w[outDim, inDim]ᵀ + bias[outDim] (bias null: none): an
 * nn.Linear layer, or the LM head (logits = h · wteᵀ).
 */
export function matmulTransposed(
  out: Float64Array,
  x: Float64Array,
  w: Float64Array,
  bias: Float64Array | null,
  rows: number,
  inDim: number,
  outDim: number,
): void {
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let sum = bias === null ? 0 : bias[o]!;
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
 * How a family scores keys (GPT-2 and Llama: the defaults). Gemma-2 scales by
 * query_pre_attn_scalar^-0.5, soft-caps every score as cap · tanh(score / cap) before masking, and
 * on its sliding layers lets a query see only the `window` latest positions (its own included).
 */
export interface AttentionOptions {
  /** Multiplies q · k; default 1 / √headDim. */
  readonly scale?: number;
  /** Soft cap of the scaled scores; null or absent: none. */
  readonly softcap?: number | null;
  /** Positions attended, the query's own included; null or absent: all. */
  readonly window?: number | null;
}

/**
 * Causal self-attention for one query over the keys and values seen so far (the query's own
 * included, last). Only real tokens are ever cached, so every cached position is attended (the
 * causal and padding masks are the cache's extent), or with `options.window` the last `window` of
 * them: a key at position j is visible from the query at position i when i − j < window (the
 * others get probability 0).
 *
 * Grouped-query attention when nKvHead < nHead: query head h reads key/value head
 * floor(h / (nHead / nKvHead)), as HF's repeat_kv lays them out. nKvHead = nHead is plain
 * multi-head attention (GPT-2).
 *
 * q, out: [nHead · headDim], head h at [h·headDim, (h+1)·headDim).
 * keys, values: [positions] of [nKvHead · headDim].
 * probs (optional): [nHead, positions], receives each head's attention probabilities.
 */
export function attention(
  out: Float64Array,
  q: Float64Array,
  keys: readonly Float64Array[],
  values: readonly Float64Array[],
  nHead: number,
  nKvHead: number,
  probs?: Float64Array,
  options: AttentionOptions = {},
): void {
  const headDim = q.length / nHead;
  const group = nHead / nKvHead; // query heads per key/value head
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  const cap = options.softcap ?? null;
  const first = options.window == null ? 0 : keys.length - options.window; // first visible position
  const weights = new Float64Array(keys.length); // [positions]
  for (let h = 0; h < nHead; h++) {
    const qStart = h * headDim;
    const kvStart = Math.floor(h / group) * headDim;
    keys.forEach((k, t) => {
      let dot = 0;
      for (let d = 0; d < headDim; d++) dot += q[qStart + d]! * k[kvStart + d]!;
      const score = dot * scale;
      const capped = cap === null ? score : cap * Math.tanh(score / cap);
      weights[t] = t < first ? Number.NEGATIVE_INFINITY : capped;
    });
    softmax(weights);
    probs?.set(weights, h * keys.length);
    for (let d = 0; d < headDim; d++) {
      let sum = 0;
      values.forEach((v, t) => {
        sum += weights[t]! * v[kvStart + d]!;
      });
      out[qStart + d] = sum;
    }
  }
}

/** RMSNorm over the last axis of x[rows, dim] (HF LlamaRMSNorm): x / sqrt(mean(x²) + eps) · weight. */
export function rmsNorm(
  out: Float64Array,
  x: Float64Array,
  weight: Float64Array,
  rows: number,
  dim: number,
  eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    let meanSquare = 0;
    for (let i = 0; i < dim; i++) meanSquare += x[r * dim + i]! ** 2;
    meanSquare /= dim;
    const invRms = 1 / Math.sqrt(meanSquare + eps);
    for (let i = 0; i < dim; i++) out[r * dim + i] = x[r * dim + i]! * invRms * weight[i]!;
  }
}

/**
 * Rotary position embedding in place, HF's rotate_half convention: in each head of x[nHead·headDim],
 * element i pairs with i + headDim/2 and the pair turns by angle position · theta^(-2i/headDim):
 *   x[i]      ← x[i] · cos − x[i + half] · sin
 *   x[i+half] ← x[i + half] · cos + x[i] · sin
 */
export function rope(x: Float64Array, position: number, nHead: number, headDim: number, theta: number): void {
  const half = headDim / 2;
  for (let h = 0; h < nHead; h++) {
    for (let i = 0; i < half; i++) {
      const angle = position / theta ** ((2 * i) / headDim);
      const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
      const a = h * headDim + i;
      const [x1, x2] = [x[a]!, x[a + half]!];
      x[a] = x1 * cos - x2 * sin;
      x[a + half] = x2 * cos + x1 * sin;
    }
  }
}

/** SwiGLU (Llama's MLP activation) in place: gate ← silu(gate) · up, silu(g) = g / (1 + e^(−g)). */
export function swiglu(gate: Float64Array, up: Float64Array): void {
  for (let i = 0; i < gate.length; i++) {
    const g = gate[i]!;
    gate[i] = (g / (1 + Math.exp(-g))) * up[i]!;
  }
}

/**
 * GeGLU (Gemma-2's MLP activation) in place: gate ← gelu_tanh(gate) · up. HF's gelu_pytorch_tanh
 * is PyTorch's gelu(approximate="tanh"), the same function as GPT-2's gelu_new.
 */
export function geglu(gate: Float64Array, up: Float64Array): void {
  geluNew(gate);
  for (let i = 0; i < gate.length; i++) gate[i] = gate[i]! * up[i]!;
}

/** Soft-capping in place (Gemma-2's final logits): x ← cap · tanh(x / cap). */
export function softcap(x: Float64Array, cap: number): void {
  for (let i = 0; i < x.length; i++) x[i] = cap * Math.tanh(x[i]! / cap);
}

/** x += y elementwise (the residual connection). */
export function add(x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + y[i]!;
}
