import { ModelDirError } from '../errors.ts';

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

function positiveInt(raw: Record<string, unknown>, key: string, file: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ModelDirError(
      `${file}: "${key}" must be a positive integer, got ${JSON.stringify(v)}; fix the value in ${file}`,
    );
  }
  return v;
}

/** Validate a parsed config.json as GPT-2; `file` is the path used in messages. */
export function parseGpt2Config(raw: unknown, file: string): Gpt2Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ModelDirError(`${file}: expected a JSON object; regenerate or re-export the model`);
  }
  const r = raw as Record<string, unknown>;
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
  const eps = r.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0)) {
    throw new ModelDirError(
      `${file}: layer_norm_epsilon must be a positive number, got ${JSON.stringify(eps)}`,
    );
  }
  const vocab_size = positiveInt(r, 'vocab_size', file);
  const tokenId = (key: string): number => {
    const v = r[key] ?? vocab_size - 1;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= vocab_size) {
      throw new ModelDirError(
        `${file}: ${key} ${JSON.stringify(v)} is not a token id below vocab_size ${vocab_size}`,
      );
    }
    return v;
  };
  return {
    model_type: 'gpt2',
    vocab_size,
    n_positions: positiveInt(r, 'n_positions', file),
    n_embd,
    n_layer: positiveInt(r, 'n_layer', file),
    n_head,
    n_inner,
    layer_norm_epsilon: eps,
    activation_function: 'gelu_new',
    tie_word_embeddings: r.tie_word_embeddings !== false,
    bos_token_id: tokenId('bos_token_id'),
    eos_token_id: tokenId('eos_token_id'),
  };
}
