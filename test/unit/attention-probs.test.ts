import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onnxF64Factory } from '../../backends/onnx-f64/factories.ts';
import { tsF64Factory } from '../../backends/ts-kernels/factories.ts';
import { createBackend } from '../../harness/app/registry.ts';
import { observesAttention } from '../../harness/core/backend/attention-observer.ts';
import { numLayers } from '../../harness/core/model/model-config.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { readSafetensors } from '../../harness/core/model/safetensors.ts';
import type { TensorMap } from '../../harness/core/model/tensor.ts';
import { type AttentionMaps, collectAttention } from '../../harness/engine/attention/attention-maps.ts';
import { exposeGraph } from '../../harness/engine/bisect/exposed-graph.ts';
import { loadTokenizer } from '../../harness/engine/model/tokenizer.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';

/**
 * The attention probabilities ts:f64 reports through its observer, checked three independent ways:
 * their shape (rows sum to 1, causal zeros above the diagonal), a naive twin of layer 0 written
 * here from the model's weights (the whole prompt at once as matrices, not token by token), and
 * every layer against the Softmax outputs of the model's own ONNX graph run in float64 (onnx:f64).
 */

const PROMPT = 'The quick brown fox jumps over the lazy dog';
const scratch = mkdtempSync(join(tmpdir(), 'attention-probs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function observed(model: ModelDir, ids: readonly number[]): Promise<AttentionMaps> {
  const source = await tsF64Factory.create(model);
  if (!observesAttention(source)) throw new Error('ts:f64 does not observe attention');
  const maps = await collectAttention(source, ids, numLayers(model.config));
  await source.dispose();
  if (maps === null) throw new Error('no attention reported');
  return maps;
}

const tensor = (t: TensorMap, name: string): Float64Array => Float64Array.from(t.get(name)!.data);

/** Row-wise max-subtracted softmax over the keys k ≤ q of scores [n, n]; the rest 0. */
function causalSoftmax(scores: number[][]): number[][] {
  return scores.map((row, q) => {
    const seen = row.slice(0, q + 1);
    const max = Math.max(...seen);
    const e = seen.map((s) => Math.exp(s - max));
    const sum = e.reduce((a, b) => a + b, 0);
    return row.map((_, k) => (k <= q ? e[k]! / sum : 0));
  });
}

/** y[n, out] = x[n, in] · w, w stored [in, out] (GPT-2's Conv1D) or [out, in] (nn.Linear). */
function project(x: number[][], w: Float64Array, inDim: number, outDim: number, layout: 'conv1d' | 'linear') {
  return x.map((row) =>
    Array.from({ length: outDim }, (_, o) => {
      let sum = 0;
      for (let i = 0; i < inDim; i++)
        sum += row[i]! * w[layout === 'conv1d' ? i * outDim + o : o * inDim + i]!;
      return sum;
    }),
  );
}

/** Layer 0 of GPT-2: LN(wte + wpe) → c_attn → per head softmax(q·kᵀ/√d + causal mask). */
function gpt2Layer0(t: TensorMap, ids: readonly number[], C: number, H: number, eps: number): number[][][] {
  const [wte, wpe] = [tensor(t, 'wte.weight'), tensor(t, 'wpe.weight')];
  const [g, b] = [tensor(t, 'h.0.ln_1.weight'), tensor(t, 'h.0.ln_1.bias')];
  const normed = ids.map((id, p) => {
    const x = Array.from({ length: C }, (_, i) => wte[id * C + i]! + wpe[p * C + i]!);
    const mean = x.reduce((a, v) => a + v, 0) / C;
    const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / C;
    return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * g[i]! + b[i]!);
  });
  const bias = tensor(t, 'h.0.attn.c_attn.bias');
  const qkv = project(normed, tensor(t, 'h.0.attn.c_attn.weight'), C, 3 * C, 'conv1d').map((r) =>
    r.map((v, o) => v + bias[o]!),
  );
  const D = C / H;
  return Array.from({ length: H }, (_, h) =>
    causalSoftmax(
      qkv.map((q) =>
        qkv.map((k) => {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[h * D + d]! * k[C + h * D + d]!;
          return dot / Math.sqrt(D);
        }),
      ),
    ),
  );
}

/** HF's rotary embedding on one head vector at `position`: x·cos + rotate_half(x)·sin. */
function rotate(x: number[], position: number, theta: number): number[] {
  const D = x.length;
  const half = D / 2;
  return x.map((v, i) => {
    const angle = position * theta ** (-(2 * (i % half)) / D);
    const rotated = i < half ? -x[i + half]! : x[i - half]!;
    return v * Math.cos(angle) + rotated * Math.sin(angle);
  });
}

/** How a rotary family's layer 0 scores keys: Llama's defaults, or Gemma-2's. */
interface RotaryLayer0 {
  readonly C: number;
  readonly H: number;
  readonly Hkv: number;
  readonly D: number;
  readonly eps: number;
  readonly theta: number;
  /** Gemma-2: embeddings × √C, norms by (1 + weight), scores × query_pre_attn_scalar^-½, soft-capped, a sliding window. */
  readonly gemma?: {
    readonly scalar: number;
    readonly softcap: number | null;
    readonly window: number | null;
  };
}

/**
 * Layer 0 of Llama or Gemma-2: RMSNorm(embed) → q/k proj → RoPE → per head softmax(q·kᵀ·scale +
 * mask), query head h reading kv head h / group.
 */
function rotaryLayer0(t: TensorMap, ids: readonly number[], dims: RotaryLayer0): number[][][] {
  const { C, H, Hkv, D, eps, theta, gemma } = dims;
  const [embed, g] = [
    tensor(t, 'model.embed_tokens.weight'),
    tensor(t, 'model.layers.0.input_layernorm.weight'),
  ];
  const normed = ids.map((id) => {
    const x = Array.from({ length: C }, (_, i) => embed[id * C + i]! * (gemma ? Math.sqrt(C) : 1));
    const rms = Math.sqrt(x.reduce((a, v) => a + v * v, 0) / C + eps);
    return x.map((v, i) => (v / rms) * (gemma ? 1 + g[i]! : g[i]!));
  });
  const q = project(normed, tensor(t, 'model.layers.0.self_attn.q_proj.weight'), C, H * D, 'linear');
  const k = project(normed, tensor(t, 'model.layers.0.self_attn.k_proj.weight'), C, Hkv * D, 'linear');
  const headOf = (row: number[], h: number, p: number) => rotate(row.slice(h * D, (h + 1) * D), p, theta);
  const scale = gemma ? gemma.scalar ** -0.5 : 1 / Math.sqrt(D);
  const cap = (s: number) => (gemma?.softcap ? gemma.softcap * Math.tanh(s / gemma.softcap) : s);
  const seen = (i: number, j: number) => !gemma?.window || i - j < gemma.window;
  return Array.from({ length: H }, (_, h) => {
    const kvHead = Math.floor(h / (H / Hkv));
    return causalSoftmax(
      q.map((qRow, i) => {
        const qh = headOf(qRow, h, i);
        return k.map((kRow, j) => {
          const kh = headOf(kRow, kvHead, j);
          const score = cap(qh.reduce((a, v, d) => a + v * kh[d]!, 0) * scale);
          return seen(i, j) ? score : Number.NEGATIVE_INFINITY;
        });
      }),
    );
  });
}

/** Largest |a − b| between a head's map [q, k] and rows [q][k]. */
function maxDiff(map: Float64Array, rows: readonly (readonly number[])[]): number {
  const n = rows.length;
  let worst = 0;
  rows.forEach((row, q) => {
    row.forEach((v, k) => {
      worst = Math.max(worst, Math.abs(map[q * n + k]! - v));
    });
  });
  return worst;
}

/** The Softmax outputs of the model's graph on the prompt, in float64: [layer] of [1, heads, q, k]. */
async function graphSoftmaxes(model: ModelDir, ids: readonly number[]) {
  const exposed = exposeGraph(model, (node) => node.opType === 'Softmax', scratch);
  const probe = await onnxF64Factory.openProbe!(model, exposed.path);
  try {
    const outputs = await probe.run({ tokens: ids, past: null });
    return exposed.nodes
      .filter((node) => node.opType === 'Softmax')
      .map((node) => outputs.get(node.outputs[0]!)!);
  } finally {
    await probe.dispose();
  }
}

// The prompt's 9 tokens pass tiny-gemma2's sliding window of 8 on its sliding layers.
for (const name of ['tiny-gpt2', 'tiny-llama', 'tiny-gemma2']) {
  describe(`ts:f64's attention probabilities on ${name}`, async () => {
    const model = await loadModelDir(name);
    const ids = (await loadTokenizer(model)).encode(PROMPT);
    const n = ids.length;
    const maps = await observed(model, ids);

    it('are one [q, k] map per layer and head: rows sum to 1, zeros above the diagonal', () => {
      expect([maps.layers, maps.heads, maps.tokens]).toEqual([numLayers(model.config), 4, n]);
      for (const layer of maps.probs) {
        for (const map of layer) {
          for (let q = 0; q < n; q++) {
            const row = map.subarray(q * n, (q + 1) * n);
            expect(Math.abs(row.reduce((a, v) => a + v, 0) - 1)).toBeLessThan(1e-14);
            expect(Array.from(row.subarray(q + 1))).toEqual(new Array(n - q - 1).fill(0));
            expect(row.every((v) => v >= 0)).toBe(true);
          }
        }
      }
    });

    it("match a naive twin of layer 0 written from the model's weights", () => {
      const t = readSafetensors(model.safetensorsPath!);
      const c = model.config;
      const twin =
        'n_head' in c
          ? gpt2Layer0(t, ids, c.n_embd, c.n_head, c.layer_norm_epsilon)
          : rotaryLayer0(t, ids, {
              C: c.hidden_size,
              H: c.num_attention_heads,
              Hkv: c.num_key_value_heads,
              D: c.head_dim,
              eps: c.rms_norm_eps,
              theta: c.rope_theta,
              ...(c.model_type === 'gemma2'
                ? {
                    gemma: {
                      scalar: c.query_pre_attn_scalar,
                      softcap: c.attn_logit_softcapping,
                      window: c.layer_types[0] === 'sliding_attention' ? c.sliding_window : null,
                    },
                  }
                : {}),
            });
      twin.forEach((rows, h) => {
        expect(maxDiff(maps.probs[0]![h]!, rows)).toBeLessThan(1e-12);
      });
    });

    it("match every layer's Softmax output of the model's graph, run in float64 (onnx:f64)", async () => {
      const softmaxes = await graphSoftmaxes(model, ids);
      expect(softmaxes).toHaveLength(maps.layers);
      softmaxes.forEach((probs, l) => {
        // [1, heads, q, k], or [1, kvHeads, group, q, k] for grouped-query attention: query head
        // h = kvHead · group + g either way, as HF's repeat_kv lays them out.
        expect(probs.dims.slice(-2)).toEqual([n, n]);
        expect(probs.data.length).toBe(maps.heads * n * n);
        maps.probs[l]!.forEach((map, h) => {
          const rows = Array.from({ length: n }, (_, q) =>
            Array.from(probs.data.subarray((h * n + q) * n, (h * n + q + 1) * n)),
          );
          // Same weights; the graph keeps its constants in float32 (the norms' epsilon, RoPE's
          // cos/sin tables): 1.8e-9 on tiny-gpt2, 8.4e-8 on tiny-llama, 7.9e-8 on tiny-gemma2.
          // A wrong head, position or scale is off by far more.
          expect(maxDiff(map, rows)).toBeLessThan(1e-6);
        });
      });
    });

    it('leave the logits as they are: observing changes nothing the model computes', async () => {
      const plain = await createBackend('ts:f64', model);
      const watched = await createBackend('ts:f64', model);
      if (!observesAttention(watched)) throw new Error('ts:f64 does not observe attention');
      watched.observeAttention(() => {});
      const [a, b] = [await plain.prefill([ids]), await watched.prefill([ids])];
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
      await Promise.all([plain.dispose(), watched.dispose()]);
    });
  });
}
