import { describe, expect, it } from 'vitest';
import { ModelDirError } from '../../harness/core/errors.ts';
import { parseLlamaConfig } from '../../harness/core/model/families/llama.ts';
import {
  headDim,
  maxPositions,
  numKvHeads,
  numLayers,
  padTokenId,
  parseModelConfig,
} from '../../harness/core/model/model-config.ts';
import { parameterCount } from '../../harness/core/model/parameter-layout.ts';

/** A config.json as LlamaForCausalLM writes it for a SmolLM-135M-sized model. */
const SMOLLM = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  bos_token_id: 0,
  eos_token_id: 0,
  hidden_act: 'silu',
  hidden_size: 576,
  intermediate_size: 1536,
  max_position_embeddings: 2048,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 10000,
  tie_word_embeddings: true,
  vocab_size: 49152,
};

const parse = (edit: Record<string, unknown>) => parseLlamaConfig({ ...SMOLLM, ...edit }, 'config.json');

function failure(edit: Record<string, unknown>): string {
  try {
    parseModelConfig({ ...SMOLLM, ...edit }, 'config.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ModelDirError);
    return (e as Error).message;
  }
  throw new Error(`config accepted: ${JSON.stringify(edit)}`);
}

describe('parseLlamaConfig', () => {
  it('reads LlamaForCausalLM config.json with HF names and defaults', () => {
    expect(parse({})).toEqual({
      model_type: 'llama',
      vocab_size: 49152,
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
      bos_token_id: 0,
      eos_token_id: 0,
    });
    // HF defaults: kv heads = heads, head_dim = hidden / heads, untied head, rope_theta 10000, eps 1e-6.
    const bare = parse({
      num_key_value_heads: undefined,
      tie_word_embeddings: undefined,
      rope_theta: undefined,
      rms_norm_eps: undefined,
      hidden_act: undefined,
    });
    expect(bare).toMatchObject({
      num_key_value_heads: 9,
      tie_word_embeddings: false,
      rope_theta: 10000,
      rms_norm_eps: 1e-6,
      hidden_act: 'silu',
    });
    expect(parse({ head_dim: 128 }).head_dim).toBe(128);
  });

  it('maps attention_bias per model_type: llama q/k/v/o, qwen2 always q/k/v, mistral none', () => {
    expect(parse({ attention_bias: true })).toMatchObject({ attention_bias: true, o_proj_bias: true });
    const qwen2 = parse({ model_type: 'qwen2', attention_bias: undefined, use_sliding_window: false });
    expect(qwen2).toMatchObject({ model_type: 'qwen2', attention_bias: true, o_proj_bias: false });
    const mistral = parse({ model_type: 'mistral', sliding_window: null, attention_bias: true });
    expect(mistral).toMatchObject({ model_type: 'mistral', attention_bias: false, o_proj_bias: false });
  });

  it('accepts plain RoPE written as rope_scaling {rope_type: default} or v5 rope_parameters', () => {
    expect(parse({ rope_scaling: { rope_type: 'default' } }).rope_theta).toBe(10000);
    expect(parse({ rope_parameters: { rope_type: 'default', rope_theta: 500000 } }).rope_theta).toBe(500000);
  });

  it('accepts a Mistral sliding window that covers every position', () => {
    expect(parse({ model_type: 'mistral', sliding_window: 4096 }).max_position_embeddings).toBe(2048);
  });

  it('accepts eos_token_id as a list (Llama 3)', () => {
    expect(parse({ eos_token_id: [2, 5] }).eos_token_id).toEqual([2, 5]);
  });
});

describe('config.json refusals name the value and what is supported', () => {
  it.each([
    [
      { model_type: 'bert' },
      /model_type "bert" is not supported; supported: "gpt2", "llama", "qwen2", "mistral"/,
    ],
    [
      { rope_scaling: { rope_type: 'llama3', factor: 8 } },
      /rope_scaling \{"rope_type":"llama3","factor":8\} is not supported; supported: null or \{"rope_type": "default"\}/,
    ],
    [
      { rope_scaling: { type: 'linear', factor: 2 } },
      /rope_scaling \{"type":"linear","factor":2\} is not supported/,
    ],
    [{ rope_parameters: { rope_type: 'yarn' } }, /rope_parameters \{"rope_type":"yarn"\} is not supported/],
    [{ hidden_act: 'gelu' }, /hidden_act "gelu" is not supported; supported: "silu"/],
    [{ mlp_bias: true }, /mlp_bias true is not supported; supported: false/],
    [
      { model_type: 'qwen2', use_sliding_window: true },
      /use_sliding_window true is not supported; supported: false \(Qwen2's sliding-window attention is not implemented\)/,
    ],
    [
      { model_type: 'mistral', sliding_window: 1024 },
      /sliding_window 1024 is not supported; supported: null or at least max_position_embeddings 2048/,
    ],
    [
      { num_key_value_heads: 4 },
      /num_attention_heads 9 is not a multiple of num_key_value_heads 4; fix one of them/,
    ],
    [
      { hidden_size: 500 },
      /hidden_size 500 is not divisible by num_attention_heads 9 and there is no head_dim/,
    ],
    [{ head_dim: 63 }, /head_dim 63 is odd; rotary embeddings rotate pairs/],
    [{ hidden_size: 0 }, /"hidden_size" must be a positive integer, got 0/],
    [
      { max_position_embeddings: undefined },
      /"max_position_embeddings" must be a positive integer, got undefined/,
    ],
    [{ rope_theta: -1 }, /rope_theta must be a positive number, got -1/],
    [{ rms_norm_eps: 'small' }, /rms_norm_eps must be a positive number, got "small"/],
    [{ eos_token_id: 49152 }, /eos_token_id 49152 is not a token id below vocab_size 49152/],
    [{ eos_token_id: [2, null] }, /eos_token_id null is not a token id below vocab_size/],
    [{ eos_token_id: [] }, /eos_token_id \[\] lists no token; give one id or a non-empty list/],
  ] as [Record<string, unknown>, RegExp][])('%j', (edit, message) => {
    expect(failure(edit)).toMatch(message);
    expect(failure(edit)).toMatch(/^config\.json: /);
  });

  it('rejects a non-object config and a non-Llama type passed to parseLlamaConfig', () => {
    expect(() => parseModelConfig([], 'c.json')).toThrow(/c.json: expected a JSON object/);
    expect(() => parseLlamaConfig({ model_type: 'gpt2' }, 'c.json')).toThrow(
      /model_type "gpt2" is not a Llama-family type; supported: "llama", "qwen2", "mistral"/,
    );
  });
});

describe('ModelConfig accessors', () => {
  const gpt2 = parseModelConfig(
    { model_type: 'gpt2', vocab_size: 10, n_positions: 8, n_embd: 16, n_layer: 3, n_head: 4 },
    'config.json',
  );
  const llama = parseModelConfig({ ...SMOLLM, eos_token_id: [7, 8] }, 'config.json');

  it('read each family by its own names', () => {
    expect([maxPositions(gpt2), numLayers(gpt2), numKvHeads(gpt2), headDim(gpt2), padTokenId(gpt2)]).toEqual([
      8, 3, 4, 4, 9,
    ]);
    expect([
      maxPositions(llama),
      numLayers(llama),
      numKvHeads(llama),
      headDim(llama),
      padTokenId(llama),
    ]).toEqual([2048, 30, 3, 64, 7]);
  });

  it('count parameters as the published checkpoints do (a tied LM head once)', () => {
    const gpt2Small = parseModelConfig(
      { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12 },
      'config.json',
    );
    expect(parameterCount(gpt2Small)).toBe(124_439_808); // HF gpt2
    expect(parameterCount(parseModelConfig(SMOLLM, 'config.json'))).toBe(134_515_008); // SmolLM-135M
  });
});
