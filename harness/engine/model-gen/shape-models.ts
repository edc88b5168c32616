import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelDirError } from '../../core/errors.ts';
import type { Gpt2Config } from '../../core/model/families/gpt2.ts';
import { projectPath } from '../../core/project-root.ts';
import type { Gpt2WeightScales } from './generate-gpt2-weights.ts';
import type { LlamaWeightScales } from './generate-llama-weights.ts';
import { type GeneratedModel, generatedModelFiles } from './generated-model.ts';
import { GPT2_EOS_ID, GPT2_VOCAB_SIZE } from './tokenizer-files.ts';
import { writeModelDirAtomically } from './write-model-dir.ts';

/**
 * Synthetic models with the exact shapes of real checkpoints, for throughput work: the same
 * generator and writer as the embedded tiny-gpt2 (integer PRNG, ONNX written from TypeScript), so
 * every machine builds the same bytes, but hundreds of MB, so they are built on demand into
 * .cache/models/<name>/ (git-ignored) and never committed or checked against a manifest.
 * The weights are random: the numbers say how fast a model of this shape decodes, not what it says.
 */
type ShapeModel = GeneratedModel & {
  /** What it mimics, for `--help` and reports. */
  readonly mimics: string;
};

/**
 * DEFAULT_GPT2_SCALES were set for width 64. A dot product over C inputs grows like √C, so the
 * matrices that feed one (wte as the tied LM head, c_attn, c_fc, both c_proj) are scaled by about
 * √(64/768) ≈ 0.29, rounded to dyadic values so the products stay exact in float32. That keeps
 * logits in the ±20 range of the tiny model, where float32 backends stay within the conformance
 * tolerance of the float64 reference; with the width-64 scales the logits reach the hundreds.
 */
const WIDE_GPT2_SCALES: Gpt2WeightScales = {
  tokenEmbedding: 0.1875,
  positionEmbedding: 0.125,
  attention: 0.0625,
  mlpIn: 0.0625,
  residualOut: 0.125,
  bias: 0.0625,
  layerNormJitter: 0.125,
};

function gpt2Shape(nLayer: number): Gpt2Config {
  return {
    model_type: 'gpt2',
    vocab_size: GPT2_VOCAB_SIZE,
    n_positions: 1024,
    n_embd: 768,
    n_layer: nLayer,
    n_head: 12,
    n_inner: 3072,
    layer_norm_epsilon: 1e-5,
    activation_function: 'gelu_new',
    tie_word_embeddings: true,
    bos_token_id: GPT2_EOS_ID,
    eos_token_id: GPT2_EOS_ID,
  };
}

/**
 * DEFAULT_LLAMA_SCALES were set for width 64 (tiny-llama); as for GPT-2 above, the matrices feeding
 * a dot product are scaled by about √(64/576) = 1/3 (and down_proj by √(176/1536), about the same),
 * rounded to dyadic values. The LM head is tied, as in SmolLM-135M, so it shares embed_tokens' scale.
 */
const WIDE_LLAMA_SCALES: LlamaWeightScales = {
  tokenEmbedding: 0.1875,
  queryKey: 0.078125,
  value: 0.078125,
  mlpIn: 0.078125,
  residualOut: 0.15625,
  lmHead: 0.1875,
  bias: 0.0625,
  normJitter: 0.125,
};

const SHAPE_MODELS: Readonly<Record<string, ShapeModel>> = {
  'distilgpt2-shape': {
    family: 'gpt2',
    config: gpt2Shape(6),
    seed: 7,
    scales: WIDE_GPT2_SCALES,
    mimics: 'distilgpt2 (82M parameters: 6 layers, 12 heads, width 768, 1024 positions)',
  },
  'gpt2-shape': {
    family: 'gpt2',
    config: gpt2Shape(12),
    seed: 7,
    scales: WIDE_GPT2_SCALES,
    mimics: 'gpt2 (124M parameters: 12 layers, 12 heads, width 768, 1024 positions)',
  },
  /**
   * SmolLM-135M's architecture (HuggingFaceTB/SmolLM-135M: LlamaForCausalLM, hidden 576, 30 layers,
   * 9 query heads and 3 key/value heads of width 64, intermediate 1536, 2048 positions, rope_theta
   * 10000, tied LM head) with GPT-2's 50257-token vocabulary instead of its 49152, so the GPT-2
   * tokenizer works: 135.2M parameters instead of 134.5M.
   */
  'llama-135m-shape': {
    family: 'llama',
    config: {
      model_type: 'llama',
      vocab_size: GPT2_VOCAB_SIZE,
      hidden_size: 576,
      intermediate_size: 1536,
      num_hidden_layers: 30,
      num_attention_heads: 9,
      num_key_value_heads: 3,
      head_dim: 64,
      max_position_embeddings: 2048,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      rope_scaling: null,
      hidden_act: 'silu',
      tie_word_embeddings: true,
      attention_bias: false,
      o_proj_bias: false,
      bos_token_id: GPT2_EOS_ID,
      eos_token_id: GPT2_EOS_ID,
    },
    seed: 7,
    scales: WIDE_LLAMA_SCALES,
    mimics: 'SmolLM-135M (Llama: 30 layers, 9 heads / 3 KV heads, width 576, 2048 positions; GPT-2 vocab)',
  },
};

export const SHAPE_MODEL_NAMES: readonly string[] = Object.keys(SHAPE_MODELS);

export function isShapeModelName(name: string): boolean {
  return Object.hasOwn(SHAPE_MODELS, name);
}

const CACHE_ROOT = projectPath('.cache', 'models');

/** Written beside the model files: the definition they were built from, to detect a stale cache. */
const STAMP_FILE = 'shape-model.json';

function shapeModel(name: string): ShapeModel {
  const model = SHAPE_MODELS[name];
  if (model === undefined) {
    throw new ModelDirError(
      `${JSON.stringify(name)} is not a shape model; shape models: ${SHAPE_MODEL_NAMES.join(', ')}`,
    );
  }
  return model;
}

function stampOf(name: string): string {
  const { family, config, seed, scales } = shapeModel(name);
  return `${JSON.stringify({ name, family, config, seed, scales }, null, 2)}\n`;
}

/**
 * Build the shape model into .cache/models/<name>/ unless an up-to-date build is there; returns the
 * directory. A build whose stamp differs (the definition changed) is deleted and rebuilt. Takes
 * ~10 s and ~1 GB of memory for distilgpt2-shape; concurrent builders are safe (atomic rename).
 */
export async function ensureShapeModel(name: string, cacheRoot = CACHE_ROOT): Promise<string> {
  const model = shapeModel(name);
  const dir = join(cacheRoot, name);
  const stamp = stampOf(name);
  const stampPath = join(dir, STAMP_FILE);
  if (existsSync(dir)) {
    if (existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) return dir;
    await rm(dir, { recursive: true, force: true });
  }
  const files = new Map(generatedModelFiles(model));
  files.set(STAMP_FILE, () => new TextEncoder().encode(stamp));
  await writeModelDirAtomically(dir, files);
  return dir;
}
