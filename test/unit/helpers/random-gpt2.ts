import type { Gpt2Config } from '../../../harness/core/model/families/gpt2.ts';
import type { HostTensor } from '../../../harness/core/model/tensor.ts';

/** Shape of a small random GPT-2; every field has a default. */
export interface RandomGpt2Shape {
  readonly vocab?: number;
  readonly width?: number;
  readonly layers?: number;
  readonly heads?: number;
  readonly positions?: number;
  readonly seed?: number;
  /** false: write a separate lm_head.weight and set tie_word_embeddings false. */
  readonly tied?: boolean;
}

/** A GPT-2 config and float32 parameters (HF names, no `transformer.` prefix), built in memory. */
export interface RandomGpt2 {
  readonly config: Gpt2Config;
  /** Mutable so a test can drop or replace a tensor. */
  readonly tensors: Map<string, HostTensor>;
}

/** Uniform in [-1, 1) from mulberry32: deterministic for a seed, no global state. */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  };
}

/** `length` values uniform in [-scale, scale) drawn from `next`. */
export function randomArray(length: number, next: () => number, scale = 1): Float32Array {
  const data = new Float32Array(length);
  for (let i = 0; i < data.length; i++) data[i] = scale * next();
  return data;
}

/**
 * Random GPT-2 weights, scaled so logits spread over several units and attention is far from
 * uniform: a bug in the cache, masking or positions moves the logits visibly.
 */
export function randomGpt2({
  vocab = 97,
  width = 16,
  layers = 2,
  heads = 2,
  positions = 32,
  seed = 1,
  tied = true,
}: RandomGpt2Shape = {}): RandomGpt2 {
  const C = width;
  const F = 4 * width;
  const config: Gpt2Config = {
    model_type: 'gpt2',
    vocab_size: vocab,
    n_positions: positions,
    n_embd: C,
    n_layer: layers,
    n_head: heads,
    n_inner: F,
    layer_norm_epsilon: 1e-5,
    activation_function: 'gelu_new',
    tie_word_embeddings: tied,
    bos_token_id: vocab - 1,
    eos_token_id: vocab - 1,
  };
  const next = uniform(seed);
  const tensors = new Map<string, HostTensor>();
  const add = (name: string, shape: readonly number[], scale: number, mean = 0): void => {
    const data = randomArray(
      shape.reduce((n, d) => n * d, 1),
      next,
      scale,
    ).map((v) => mean + v);
    tensors.set(name, { dtype: 'F32', shape, data });
  };
  const layerNorm = (prefix: string): void => {
    add(`${prefix}.weight`, [C], 0.2, 1);
    add(`${prefix}.bias`, [C], 0.1);
  };

  add('wte.weight', [vocab, C], 1);
  add('wpe.weight', [positions, C], 1);
  for (let i = 0; i < layers; i++) {
    layerNorm(`h.${i}.ln_1`);
    add(`h.${i}.attn.c_attn.weight`, [C, 3 * C], 0.5);
    add(`h.${i}.attn.c_attn.bias`, [3 * C], 0.1);
    add(`h.${i}.attn.c_proj.weight`, [C, C], 0.3);
    add(`h.${i}.attn.c_proj.bias`, [C], 0.1);
    layerNorm(`h.${i}.ln_2`);
    add(`h.${i}.mlp.c_fc.weight`, [C, F], 0.3);
    add(`h.${i}.mlp.c_fc.bias`, [F], 0.1);
    add(`h.${i}.mlp.c_proj.weight`, [F, C], 0.2);
    add(`h.${i}.mlp.c_proj.bias`, [C], 0.1);
  }
  layerNorm('ln_f');
  if (!tied) add('lm_head.weight', [vocab, C], 1);
  return { config, tensors };
}
