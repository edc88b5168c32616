import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ModelDirError } from '../../core/errors.ts';
import type { Gemma2Config } from '../../core/model/families/gemma2.ts';
import type { Gpt2Config } from '../../core/model/families/gpt2.ts';
import type { LlamaConfig } from '../../core/model/families/llama.ts';
import { PROJECT_ROOT, projectPath } from '../../core/project-root.ts';
import { GEMMA_CHAT_VOCAB_SIZE } from './gemma2-model-dir.ts';
import { DEFAULT_GEMMA2_SCALES } from './generate-gemma2-weights.ts';
import { DEFAULT_GPT2_SCALES } from './generate-gpt2-weights.ts';
import { DEFAULT_LLAMA_SCALES } from './generate-llama-weights.ts';
import { type GeneratedModel, generatedModelFiles } from './generated-model.ts';
import type { RepositoryLayout } from './layouts/repository-layout.ts';
import { GPT2_EOS_ID, GPT2_VOCAB_SIZE } from './tokenizer-files.ts';
import { type ModelDirFiles, materialise, writeModelDirAtomically } from './write-model-dir.ts';

/** tiny-gpt2's shape, shared by its float32 and float16 builds. */
const TINY_GPT2_CONFIG: Gpt2Config = {
  model_type: 'gpt2',
  vocab_size: GPT2_VOCAB_SIZE,
  n_positions: 256,
  n_embd: 64,
  n_layer: 2,
  n_head: 4,
  n_inner: 256,
  layer_norm_epsilon: 1e-5,
  activation_function: 'gelu_new',
  tie_word_embeddings: true,
  bos_token_id: GPT2_EOS_ID,
  eos_token_id: GPT2_EOS_ID,
};

/** tiny-llama's shape. */
const TINY_LLAMA_CONFIG: LlamaConfig = {
  model_type: 'llama',
  vocab_size: GPT2_VOCAB_SIZE,
  hidden_size: 64,
  intermediate_size: 176,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  max_position_embeddings: 256,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  rope_scaling: null,
  hidden_act: 'silu',
  tie_word_embeddings: false,
  attention_bias: false,
  o_proj_bias: false,
  bos_token_id: GPT2_EOS_ID,
  eos_token_id: GPT2_EOS_ID,
};

/** tiny-gemma2's shape: every Gemma-2 feature at work inside its 256 positions. */
const TINY_GEMMA2_CONFIG: Gemma2Config = {
  model_type: 'gemma2',
  vocab_size: GEMMA_CHAT_VOCAB_SIZE,
  hidden_size: 48,
  intermediate_size: 192,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  max_position_embeddings: 256,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  rope_scaling: null,
  hidden_activation: 'gelu_pytorch_tanh',
  tie_word_embeddings: true,
  attention_bias: false,
  query_pre_attn_scalar: 12,
  attn_logit_softcapping: 10,
  final_logit_softcapping: 40,
  sliding_window: 8,
  layer_types: ['sliding_attention', 'full_attention'],
  bos_token_id: GPT2_EOS_ID,
  eos_token_id: GPT2_EOS_ID,
};

/**
 * Models the project generates from a seed instead of committing binaries. Each is built into
 * fixtures/models/<name>/ (git-ignored) on first use and checked against the committed
 * fixtures/models/<name>.manifest.json.
 */
const EMBEDDED_MODELS: Readonly<Record<string, GeneratedModel>> = {
  /**
   * GPT-2 architecture and real GPT-2 vocabulary, tiny width. With DEFAULT_GPT2_SCALES its f64
   * forward pass gives, over 6 prompts × 12 greedy steps: mean next-token entropy 3.01 nats, mean
   * top-1 probability 0.37, mean top-1 − top-2 logit margin 1.07, the last token repeated in 3% of
   * steps, and a different argmax when the context is cut to the last token in every step.
   */
  'tiny-gpt2': {
    family: 'gpt2',
    config: TINY_GPT2_CONFIG,
    seed: 42,
    scales: DEFAULT_GPT2_SCALES,
    // As onnx-community repositories ship them: onnx/model_quantized.onnx, model_q4.onnx, model_q4f16.onnx.
    variants: ['q8', 'q4', 'q4f16'],
  },
  /**
   * tiny-gpt2 in half precision: the same weights rounded to float16, stored as F16 in
   * model.safetensors, and an ONNX graph whose weights, activations, KV cache and logits are
   * float16. The reference ts:f64 computes it exactly from the F16 weights, so its agreement report
   * shows what float16 arithmetic alone costs each backend.
   */
  'tiny-gpt2-fp16': {
    family: 'gpt2',
    config: TINY_GPT2_CONFIG,
    seed: 42,
    scales: DEFAULT_GPT2_SCALES,
    dtype: 'float16',
  },
  /**
   * Llama architecture (LlamaForCausalLM: RMSNorm, RoPE with rope_theta, grouped-query attention
   * with 2 key/value heads for 4 query heads, SwiGLU MLP, untied LM head) with GPT-2's vocabulary
   * and tokenizer, width 64, 2 layers, 6.5M parameters. With DEFAULT_LLAMA_SCALES its f64 forward
   * pass gives, over 6 prompts × 12 greedy steps: mean next-token entropy 2.84 nats, mean top-1
   * probability 0.41, mean top-1 − top-2 logit margin 1.36, the last token never repeated, and a
   * different argmax when the context is cut to the last token in every step.
   */
  'tiny-llama': {
    family: 'llama',
    config: TINY_LLAMA_CONFIG,
    seed: 42,
    scales: DEFAULT_LLAMA_SCALES,
    variants: ['q8', 'q4', 'q4f16'],
  },
  /**
   * Gemma-2 architecture (Gemma2ForCausalLM: RMSNorms by 1 + weight before and after attention and
   * the MLP, embeddings scaled by √48, GeGLU MLP of width 192, 4 query heads over 2 key/value heads
   * of width 16, so heads · head_dim = 64 ≠ 48, scores scaled by query_pre_attn_scalar 12 (as
   * gemma-2-27b's 144 is hidden_size / heads) and soft-capped at 10, layer 0 attending to the last 8
   * positions and layer 1 to all, logits soft-capped at 40, tied LM head) with GPT-2's vocabulary
   * and tokenizer plus Gemma's <start_of_turn> / <end_of_turn> and its chat template, 2 layers,
   * 2.5M parameters. With DEFAULT_GEMMA2_SCALES its f64 forward pass gives, over 6 prompts × 12
   * greedy steps: mean next-token entropy 3.06 nats, mean top-1 probability 0.37 (0.57 without the
   * final soft cap: it binds, the mean top logit 27.8 becomes 24.1), mean top-1 − top-2 logit margin
   * 1.24, the last token repeated in 13% of steps and a different argmax when the context is cut to
   * the last token in every step. Without the attention soft cap the argmax changes in 15% of steps
   * (13% of layer 0's scores pass cap / 2); without the sliding window, in 79% of the steps past
   * position 8.
   */
  'tiny-gemma2': {
    family: 'gemma2',
    config: TINY_GEMMA2_CONFIG,
    seed: 42,
    scales: DEFAULT_GEMMA2_SCALES,
  },
  /**
   * tiny-gpt2 laid out as an onnx-community repository: ONNX only (no model.safetensors), every
   * graph with num_logits_to_keep, onnx/model.onnx's weights in model.onnx_data and
   * model.onnx_data_1 (declared in config.json), and the fp16, q8, q4 and q4f16 variants.
   * The fp32 graph computes tiny-gpt2's function (layout-equivalence.test.ts).
   */
  'tiny-gpt2-onnx': {
    family: 'gpt2',
    config: TINY_GPT2_CONFIG,
    seed: 42,
    scales: DEFAULT_GPT2_SCALES,
    variants: ['fp16', 'q8', 'q4', 'q4f16'],
    repository: 'onnx-community',
  },
  /** tiny-llama laid out as tiny-gpt2-onnx is. */
  'tiny-llama-onnx': {
    family: 'llama',
    config: TINY_LLAMA_CONFIG,
    seed: 42,
    scales: DEFAULT_LLAMA_SCALES,
    variants: ['fp16', 'q8', 'q4', 'q4f16'],
    repository: 'onnx-community',
  },
  /**
   * tiny-gpt2 as Optimum exports it with a merged decoder: ONNX only, decoder_model_merged.onnx at
   * the root (one If on use_cache_branch), positions derived from attention_mask inside the graph.
   */
  'tiny-gpt2-optimum': {
    family: 'gpt2',
    config: TINY_GPT2_CONFIG,
    seed: 42,
    scales: DEFAULT_GPT2_SCALES,
    repository: 'optimum',
  },
  /** tiny-llama laid out as tiny-gpt2-optimum is. */
  'tiny-llama-optimum': {
    family: 'llama',
    config: TINY_LLAMA_CONFIG,
    seed: 42,
    scales: DEFAULT_LLAMA_SCALES,
    repository: 'optimum',
  },
  /**
   * tiny-llama as onnxruntime-genai's model builder writes it: ONNX only, model.onnx at the root
   * with one com.microsoft GroupQueryAttention per layer (RoPE inside), no position_ids, and
   * model_q4.onnx (MatMulNBits) beside it.
   */
  'tiny-llama-genai': {
    family: 'llama',
    config: TINY_LLAMA_CONFIG,
    seed: 42,
    scales: DEFAULT_LLAMA_SCALES,
    variants: ['q4'],
    repository: 'onnxruntime-genai',
  },
};

export const EMBEDDED_MODEL_NAMES: readonly string[] = Object.keys(EMBEDDED_MODELS);

/** The dtype an embedded model's files store and compute in. */
export function embeddedModelDtype(name: string): 'float32' | 'float16' {
  return embeddedModel(name).dtype ?? 'float32';
}

/** The repository layout an embedded model copies (an ONNX-only layout of another's weights), or null. */
export function embeddedModelRepository(name: string): RepositoryLayout | null {
  return embeddedModel(name).repository ?? null;
}

export function isEmbeddedModelName(name: string): boolean {
  return Object.hasOwn(EMBEDDED_MODELS, name);
}

const MODELS_ROOT = projectPath('fixtures', 'models');

/** Where an embedded model is built: fixtures/models/<name>/ (absolute). */
export function embeddedModelDir(name: string): string {
  embeddedModel(name); // throws for an unknown name
  return join(MODELS_ROOT, name);
}

export function manifestPath(name: string): string {
  return join(MODELS_ROOT, `${name}.manifest.json`);
}

function embeddedModel(name: string): GeneratedModel {
  const model = EMBEDDED_MODELS[name];
  if (model === undefined) {
    throw new ModelDirError(
      `${JSON.stringify(name)} is not an embedded model; embedded: ${EMBEDDED_MODEL_NAMES.join(', ')}`,
    );
  }
  return model;
}

/** Generate every file of an embedded model in memory (deterministic). */
export function buildEmbeddedModelFiles(name: string): ModelDirFiles {
  return materialise(generatedModelFiles(embeddedModel(name)));
}

/** The committed record of what an embedded model's files must hash to. */
export interface ModelManifest {
  readonly schema: typeof MANIFEST_SCHEMA;
  readonly model: string;
  /** Relative path → sha256 (hex) and size. */
  readonly files: Readonly<Record<string, { readonly sha256: string; readonly bytes: number }>>;
}

const MANIFEST_SCHEMA = 'decode-harness/model-manifest@1';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function manifestFromFiles(name: string, files: ModelDirFiles): ModelManifest {
  const entries = [...files].map(([path, bytes]) => [
    path,
    { sha256: sha256Hex(bytes), bytes: bytes.length },
  ]);
  return { schema: MANIFEST_SCHEMA, model: name, files: Object.fromEntries(entries) };
}

/** How to get out of a manifest mismatch; both causes are possible, so name both fixes. */
function rebuildAdvice(name: string, dir: string): string {
  return (
    `if the directory was modified or left over from an older generator, delete it ` +
    `(rm -rf ${relative(PROJECT_ROOT, dir) || dir}) and it is rebuilt on next use; if the generator changed on ` +
    `purpose, run \`npm run make-models -- --update-manifest ${name}\` and commit the manifest`
  );
}

export async function readManifest(name: string): Promise<ModelManifest> {
  const path = manifestPath(name);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new ModelDirError(
      `${path}: cannot read the manifest of embedded model ${name} (${(e as Error).message}); ` +
        `restore it from git, or create it with \`npm run make-models -- --update-manifest ${name}\``,
    );
  }
  const manifest = raw as Partial<ModelManifest>;
  if (manifest.schema !== MANIFEST_SCHEMA || typeof manifest.files !== 'object' || manifest.files === null) {
    throw new ModelDirError(
      `${path}: schema ${JSON.stringify(manifest.schema)} is not ${MANIFEST_SCHEMA}; restore it from git ` +
        `or rewrite it with \`npm run make-models -- --update-manifest ${name}\``,
    );
  }
  return manifest as ModelManifest;
}

/** Check every file of `dir` (default: the built location) against the committed manifest. */
export async function verifyEmbeddedModel(name: string, dir = embeddedModelDir(name)): Promise<void> {
  const manifest = await readManifest(name);
  for (const [file, expected] of Object.entries(manifest.files)) {
    const path = join(dir, file);
    let actual: string;
    try {
      actual = sha256Hex(await readFile(path));
    } catch {
      throw new ModelDirError(`${path} is missing from embedded model ${name}; ${rebuildAdvice(name, dir)}`);
    }
    if (actual !== expected.sha256) {
      throw new ModelDirError(
        `${path} has sha256 ${actual} but ${manifestPath(name)} says ${expected.sha256}; ` +
          rebuildAdvice(name, dir),
      );
    }
  }
}

/**
 * Build the embedded model on first use, then verify it; returns its directory. Safe when several
 * processes race: each builds into its own temp dir, one rename wins, and the rest verify that.
 */
export async function ensureEmbeddedModel(name: string): Promise<string> {
  const dir = embeddedModelDir(name);
  if (!existsSync(dir)) await writeModelDirAtomically(dir, buildEmbeddedModelFiles(name));
  await verifyEmbeddedModel(name, dir);
  return dir;
}
