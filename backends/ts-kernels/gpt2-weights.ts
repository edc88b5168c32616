import { ModelDirError } from '../../harness/core/errors.ts';
import type { Gpt2Config } from '../../harness/core/model/families/gpt2.ts';
import type { HostTensor, TensorMap } from '../../harness/core/model/tensor.ts';

/** The float array type a backend computes in. */
export type FloatArray = Float32Array | Float64Array;

/** Float32Array or Float64Array as a value: how weights are converted to the backend's type. */
export interface FloatArrayType<A extends FloatArray> {
  readonly BYTES_PER_ELEMENT: number;
  from(values: ArrayLike<number>): A;
}

/** One transformer block's parameters, HF names in the comments, HF layouts (Conv1D W is [in, out]). */
export interface Gpt2LayerWeights<A extends FloatArray> {
  readonly ln1Weight: A; // ln_1.weight [C]
  readonly ln1Bias: A; // ln_1.bias [C]
  readonly attnWeight: A; // attn.c_attn.weight [C, 3C], output columns q | k | v
  readonly attnBias: A; // attn.c_attn.bias [3C]
  readonly attnProjWeight: A; // attn.c_proj.weight [C, C]
  readonly attnProjBias: A; // attn.c_proj.bias [C]
  readonly ln2Weight: A; // ln_2.weight [C]
  readonly ln2Bias: A; // ln_2.bias [C]
  readonly fcWeight: A; // mlp.c_fc.weight [C, F]
  readonly fcBias: A; // mlp.c_fc.bias [F]
  readonly fcProjWeight: A; // mlp.c_proj.weight [F, C]
  readonly fcProjBias: A; // mlp.c_proj.bias [C]
}

/** Every GPT-2 parameter, validated against the config. V vocab, P positions, C width, F MLP width. */
export interface Gpt2Weights<A extends FloatArray> {
  readonly config: Gpt2Config;
  readonly wte: A; // wte.weight [V, C]
  readonly wpe: A; // wpe.weight [P, C]
  readonly layers: readonly Gpt2LayerWeights<A>[];
  readonly lnFWeight: A; // ln_f.weight [C]
  readonly lnFBias: A; // ln_f.bias [C]
  /** lm_head.weight [V, C]; the same array as `wte` when the config ties word embeddings. */
  readonly lmHead: A;
}

/** Floating dtypes the TS backends accept; half types arrive widened exactly to float32. */
const FLOAT_DTYPES: readonly HostTensor['dtype'][] = ['F32', 'F64', 'F16', 'BF16'];

/**
 * Check every tensor GPT-2 needs against `config` and convert it to `arrayType`. Tensors already
 * of that type are used without a copy. `file` names the weights file in error messages.
 */
export function gpt2Weights<A extends FloatArray>(
  tensors: TensorMap,
  config: Gpt2Config,
  arrayType: FloatArrayType<A>,
  file: string,
): Gpt2Weights<A> {
  const { vocab_size: V, n_positions: P, n_embd: C, n_inner: F, n_layer: L } = config;
  const mismatch = 'the config and weights come from different models';

  const take = (name: string, dims: string, shape: readonly number[], whenMissing: string): A => {
    const tensor = tensors.get(name);
    if (tensor === undefined) throw new ModelDirError(whenMissing);
    if (!FLOAT_DTYPES.includes(tensor.dtype)) {
      throw new ModelDirError(
        `${file}: ${name} has dtype ${tensor.dtype}; the ts backends read ${FLOAT_DTYPES.join(', ')} weights; ` +
          're-export the model with a floating-point dtype',
      );
    }
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
      throw new ModelDirError(
        `${file}: ${name} has shape [${tensor.shape.join(', ')}] but config.json implies ${dims} = ` +
          `[${shape.join(', ')}]; ${mismatch}`,
      );
    }
    // Same element size means same array type: data is a Float32Array or a Float64Array.
    return tensor.data.BYTES_PER_ELEMENT === arrayType.BYTES_PER_ELEMENT
      ? (tensor.data as A)
      : arrayType.from(tensor.data);
  };
  const gpt2 = (name: string, dims: string, shape: readonly number[]): A =>
    take(
      name,
      dims,
      shape,
      `${file} has no ${name} (GPT-2's ${dims}); it is not a GPT-2 checkpoint with Hugging Face parameter names`,
    );

  const extra = `h.${L}.ln_1.weight`;
  if (tensors.has(extra)) {
    throw new ModelDirError(`config.json says n_layer ${L} but ${file} also has ${extra}; ${mismatch}`);
  }
  const layers = Array.from({ length: L }, (_, i): Gpt2LayerWeights<A> => {
    const layer = (name: string, dims: string, shape: readonly number[]): A =>
      take(
        `h.${i}.${name}`,
        dims,
        shape,
        `config.json says n_layer ${L} but ${file} has no h.${i}.${name}; ${mismatch}`,
      );
    return {
      ln1Weight: layer('ln_1.weight', '[n_embd]', [C]),
      ln1Bias: layer('ln_1.bias', '[n_embd]', [C]),
      attnWeight: layer('attn.c_attn.weight', '[n_embd, 3*n_embd]', [C, 3 * C]),
      attnBias: layer('attn.c_attn.bias', '[3*n_embd]', [3 * C]),
      attnProjWeight: layer('attn.c_proj.weight', '[n_embd, n_embd]', [C, C]),
      attnProjBias: layer('attn.c_proj.bias', '[n_embd]', [C]),
      ln2Weight: layer('ln_2.weight', '[n_embd]', [C]),
      ln2Bias: layer('ln_2.bias', '[n_embd]', [C]),
      fcWeight: layer('mlp.c_fc.weight', '[n_embd, n_inner]', [C, F]),
      fcBias: layer('mlp.c_fc.bias', '[n_inner]', [F]),
      fcProjWeight: layer('mlp.c_proj.weight', '[n_inner, n_embd]', [F, C]),
      fcProjBias: layer('mlp.c_proj.bias', '[n_embd]', [C]),
    };
  });

  const wte = gpt2('wte.weight', '[vocab_size, n_embd]', [V, C]);
  const lmHead = config.tie_word_embeddings
    ? wte
    : take(
        'lm_head.weight',
        '[vocab_size, n_embd]',
        [V, C],
        `config.json says tie_word_embeddings false but ${file} has no lm_head.weight; ${mismatch}`,
      );
  return {
    config,
    wte,
    wpe: gpt2('wpe.weight', '[n_positions, n_embd]', [P, C]),
    layers,
    lnFWeight: gpt2('ln_f.weight', '[n_embd]', [C]),
    lnFBias: gpt2('ln_f.bias', '[n_embd]', [C]),
    lmHead,
  };
}
