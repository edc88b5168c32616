import { ModelDirError } from '../../errors.ts';
import { booleanField, configObject, positiveInt, positiveNumber, tokenId } from '../config-fields.ts';
import type { ExpectedParameter, ModelFamily, ParameterLayout } from './model-family.ts';

/**
 * The subset of Hugging Face's GPT2Config the harness needs, with HF's field names.
 * https://huggingface.co/docs/transformers/model_doc/gpt2#transformers.GPT2Config
 */
export interface Gpt2Config {
  readonly model_type: 'gpt2';
  readonly vocab_size: number;
  /** Maximum sequence length (learned position table rows). */
  readonly n_positions: number;
  /** Hidden width C. */
  readonly n_embd: number;
  readonly n_layer: number;
  readonly n_head: number;
  /** MLP inner width; HF's null means 4 * n_embd. */
  readonly n_inner: number;
  readonly layer_norm_epsilon: number;
  readonly activation_function: 'gelu_new';
  readonly tie_word_embeddings: boolean;
  readonly bos_token_id: number;
  readonly eos_token_id: number;
}

/** Validate a parsed config.json as GPT-2; `file` is the path used in messages. */
export function parseGpt2Config(raw: unknown, file: string): Gpt2Config {
  const r = configObject(raw, file);
  if (r.model_type !== 'gpt2') {
    throw new ModelDirError(
      `${file}: model_type ${JSON.stringify(r.model_type)} is not supported; supported: "gpt2"`,
    );
  }
  const act = r.activation_function ?? 'gelu_new';
  if (act !== 'gelu_new') {
    throw new ModelDirError(
      `${file}: activation_function ${JSON.stringify(act)} is not supported; supported: "gelu_new"`,
    );
  }
  const n_embd = positiveInt(r, 'n_embd', file);
  const n_head = positiveInt(r, 'n_head', file);
  if (n_embd % n_head !== 0) {
    throw new ModelDirError(
      `${file}: n_embd ${n_embd} is not divisible by n_head ${n_head}; fix one of them`,
    );
  }
  const n_inner =
    r.n_inner === null || r.n_inner === undefined ? 4 * n_embd : positiveInt(r, 'n_inner', file);
  const vocab_size = positiveInt(r, 'vocab_size', file);
  return {
    model_type: 'gpt2',
    vocab_size,
    n_positions: positiveInt(r, 'n_positions', file),
    n_embd,
    n_layer: positiveInt(r, 'n_layer', file),
    n_head,
    n_inner,
    layer_norm_epsilon: positiveNumber(r, 'layer_norm_epsilon', 1e-5, file),
    activation_function: 'gelu_new',
    tie_word_embeddings: booleanField(r, 'tie_word_embeddings', true, file),
    bos_token_id: tokenId(r, 'bos_token_id', vocab_size - 1, vocab_size, file),
    eos_token_id: tokenId(r, 'eos_token_id', vocab_size - 1, vocab_size, file),
  };
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

/** GPT2LMHeadModel: learned positions, fused QKV, tied LM head by default. */
export const gpt2Family: ModelFamily<Gpt2Config> = {
  name: 'gpt2',
  modelTypes: ['gpt2'],
  parseConfig: parseGpt2Config,
  maxPositions: (c) => c.n_positions,
  numLayers: (c) => c.n_layer,
  numKvHeads: (c) => c.n_head,
  headDim: (c) => c.n_embd / c.n_head,
  parameterLayout: gpt2Layout,
  // wpe is a lookup table: one of its n_positions rows per token.
  parametersReadPerStep: (c, count) => count - (c.n_positions - 1) * c.n_embd,
};
