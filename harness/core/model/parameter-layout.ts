import { ModelDirError } from '../errors.ts';
import type { Gpt2Config } from './gpt2-config.ts';
import type { LlamaConfig } from './llama-config.ts';
import { type ModelConfig, numLayers } from './model-config.ts';

/** One parameter a config implies: HF name, its dims in config terms (for messages) and its shape. */
export interface ExpectedParameter {
  readonly name: string;
  readonly dims: string;
  readonly shape: readonly number[];
}

/** Every parameter of a model, in file order, and how to name its layer count in messages. */
export interface ParameterLayout {
  /** config.json's key for the layer count (`n_layer`, `num_hidden_layers`). */
  readonly layersKey: string;
  readonly layers: number;
  /** Name of layer i's first parameter: missing means too few layers, present at i = layers too many. */
  layerMarker(i: number): string;
  readonly parameters: readonly ExpectedParameter[];
}

export function parameterLayout(config: ModelConfig): ParameterLayout {
  return config.model_type === 'gpt2' ? gpt2Layout(config) : llamaLayout(config);
}

/** Elements in every parameter: the model's size (a tied LM head counts once). */
export function parameterCount(config: ModelConfig): number {
  return parameterLayout(config).parameters.reduce((n, p) => n + p.shape.reduce((a, d) => a * d, 1), 0);
}

/**
 * Check that `tensors` (names as parameterLayout gives them; GPT-2's without the `transformer.`
 * prefix) hold every parameter with the shape `config` implies, so a config.json from another model
 * fails here with a message instead of as garbage logits. `file` is the weights file named in messages.
 */
export function checkWeightsMatchConfig(
  config: ModelConfig,
  tensors: ReadonlyMap<string, { readonly shape: readonly number[] }>,
  file: string,
): void {
  // Every layer holds at least one tensor: a layer count beyond the file's tensor count is refused
  // before the expected layout (a dozen entries a layer) is built for it.
  const mismatch = 'config.json and the weights come from different models; re-export them together';
  const layers = numLayers(config);
  if (layers > tensors.size) {
    throw new ModelDirError(
      `config.json says the model has ${layers} layers but ${file} holds only ${tensors.size} tensors; ${mismatch}`,
    );
  }
  const { layersKey, layerMarker, parameters } = parameterLayout(config);
  const markers = new Set(Array.from({ length: layers }, (_, i) => layerMarker(i)));
  for (const { name, dims, shape } of parameters) {
    const tensor = tensors.get(name);
    if (tensor === undefined) {
      // A whole layer missing (its first tensor) means config.json has too many layers.
      const why = markers.has(name) ? `config.json says ${layersKey} ${layers} but ` : '';
      throw new ModelDirError(`${why}${file} has no ${name}; ${mismatch}`);
    }
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
      throw new ModelDirError(
        `${file}: ${name} has shape [${tensor.shape.join(', ')}] but config.json implies ${dims} = ` +
          `[${shape.join(', ')}]; ${mismatch}`,
      );
    }
  }
  const extra = layerMarker(layers);
  if (tensors.has(extra)) {
    throw new ModelDirError(
      `config.json says ${layersKey} ${layers} but ${file} also has ${extra}; ${mismatch}`,
    );
  }
}

/** GPT2Model names (no `transformer.` prefix); Conv1D weights are [in, out]. */
function gpt2Layout(config: Gpt2Config): ParameterLayout {
  const { vocab_size: V, n_positions: P, n_embd: C, n_inner: F, n_layer: L } = config;
  const parameters: ExpectedParameter[] = [
    { name: 'wte.weight', dims: '[vocab_size, n_embd]', shape: [V, C] },
    { name: 'wpe.weight', dims: '[n_positions, n_embd]', shape: [P, C] },
  ];
  const add = (name: string, dims: string, shape: number[]): void => {
    parameters.push({ name, dims, shape });
  };
  for (let i = 0; i < L; i++) {
    const h = `h.${i}`;
    add(`${h}.ln_1.weight`, '[n_embd]', [C]);
    add(`${h}.ln_1.bias`, '[n_embd]', [C]);
    add(`${h}.attn.c_attn.weight`, '[n_embd, 3·n_embd]', [C, 3 * C]);
    add(`${h}.attn.c_attn.bias`, '[3·n_embd]', [3 * C]);
    add(`${h}.attn.c_proj.weight`, '[n_embd, n_embd]', [C, C]);
    add(`${h}.attn.c_proj.bias`, '[n_embd]', [C]);
    add(`${h}.ln_2.weight`, '[n_embd]', [C]);
    add(`${h}.ln_2.bias`, '[n_embd]', [C]);
    add(`${h}.mlp.c_fc.weight`, '[n_embd, n_inner]', [C, F]);
    add(`${h}.mlp.c_fc.bias`, '[n_inner]', [F]);
    add(`${h}.mlp.c_proj.weight`, '[n_inner, n_embd]', [F, C]);
    add(`${h}.mlp.c_proj.bias`, '[n_embd]', [C]);
  }
  add('ln_f.weight', '[n_embd]', [C]);
  add('ln_f.bias', '[n_embd]', [C]);
  if (!config.tie_word_embeddings) add('lm_head.weight', '[vocab_size, n_embd]', [V, C]);
  return { layersKey: 'n_layer', layers: L, layerMarker: (i) => `h.${i}.ln_1.weight`, parameters };
}

/**
 * LlamaForCausalLM names (`model.` prefix, `lm_head.weight` outside it); nn.Linear weights are
 * [out, in] (y = x · Wᵀ + b). q_proj has H·D outputs, k_proj and v_proj Hkv·D.
 */
function llamaLayout(config: LlamaConfig): ParameterLayout {
  const { vocab_size: V, hidden_size: C, intermediate_size: F, num_hidden_layers: L, head_dim: D } = config;
  const q = config.num_attention_heads * D;
  const kv = config.num_key_value_heads * D;
  const parameters: ExpectedParameter[] = [
    { name: 'model.embed_tokens.weight', dims: '[vocab_size, hidden_size]', shape: [V, C] },
  ];
  const add = (name: string, dims: string, shape: number[]): void => {
    parameters.push({ name, dims, shape });
  };
  const qDims = 'num_attention_heads·head_dim';
  const kvDims = 'num_key_value_heads·head_dim';
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}`;
    add(`${p}.input_layernorm.weight`, '[hidden_size]', [C]);
    add(`${p}.self_attn.q_proj.weight`, `[${qDims}, hidden_size]`, [q, C]);
    if (config.attention_bias) add(`${p}.self_attn.q_proj.bias`, `[${qDims}]`, [q]);
    add(`${p}.self_attn.k_proj.weight`, `[${kvDims}, hidden_size]`, [kv, C]);
    if (config.attention_bias) add(`${p}.self_attn.k_proj.bias`, `[${kvDims}]`, [kv]);
    add(`${p}.self_attn.v_proj.weight`, `[${kvDims}, hidden_size]`, [kv, C]);
    if (config.attention_bias) add(`${p}.self_attn.v_proj.bias`, `[${kvDims}]`, [kv]);
    add(`${p}.self_attn.o_proj.weight`, `[hidden_size, ${qDims}]`, [C, q]);
    if (config.o_proj_bias) add(`${p}.self_attn.o_proj.bias`, '[hidden_size]', [C]);
    add(`${p}.post_attention_layernorm.weight`, '[hidden_size]', [C]);
    add(`${p}.mlp.gate_proj.weight`, '[intermediate_size, hidden_size]', [F, C]);
    add(`${p}.mlp.up_proj.weight`, '[intermediate_size, hidden_size]', [F, C]);
    add(`${p}.mlp.down_proj.weight`, '[hidden_size, intermediate_size]', [C, F]);
  }
  add('model.norm.weight', '[hidden_size]', [C]);
  if (!config.tie_word_embeddings) add('lm_head.weight', '[vocab_size, hidden_size]', [V, C]);
  return {
    layersKey: 'num_hidden_layers',
    layers: L,
    layerMarker: (i) => `model.layers.${i}.input_layernorm.weight`,
    parameters,
  };
}
