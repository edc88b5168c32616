import { describe, expect, it } from 'vitest';
import { ModelDirError } from '../../harness/core/errors.ts';
import { parseGemma2Config, slidingWindowOf } from '../../harness/core/model/families/gemma2.ts';
import {
  headDim,
  maxPositions,
  numKvHeads,
  numLayers,
  padTokenId,
  parseModelConfig,
} from '../../harness/core/model/model-config.ts';
import { parameterCount } from '../../harness/core/model/parameter-layout.ts';

/** config.json of google/gemma-2-2b as Gemma2ForCausalLM saved it (transformers 4.42). */
const GEMMA2_2B = {
  architectures: ['Gemma2ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0,
  attn_logit_softcapping: 50,
  bos_token_id: 2,
  cache_implementation: 'hybrid',
  eos_token_id: [1, 107],
  final_logit_softcapping: 30,
  head_dim: 256,
  hidden_act: 'gelu_pytorch_tanh',
  hidden_activation: 'gelu_pytorch_tanh',
  hidden_size: 2304,
  initializer_range: 0.02,
  intermediate_size: 9216,
  max_position_embeddings: 8192,
  model_type: 'gemma2',
  num_attention_heads: 8,
  num_hidden_layers: 26,
  num_key_value_heads: 4,
  pad_token_id: 0,
  query_pre_attn_scalar: 256,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  sliding_window: 4096,
  torch_dtype: 'float32',
  use_cache: true,
  vocab_size: 256000,
};

const parse = (edit: Record<string, unknown>) => parseGemma2Config({ ...GEMMA2_2B, ...edit }, 'config.json');

function failure(edit: Record<string, unknown>): string {
  try {
    parseModelConfig({ ...GEMMA2_2B, ...edit }, 'config.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ModelDirError);
    return (e as Error).message;
  }
  throw new Error(`config accepted: ${JSON.stringify(edit)}`);
}

describe('parseGemma2Config', () => {
  it('reads Gemma2ForCausalLM config.json with HF names; layer 0 slides, then every other layer', () => {
    const config = parse({});
    expect(config).toMatchObject({
      model_type: 'gemma2',
      hidden_size: 2304,
      num_key_value_heads: 4,
      head_dim: 256,
      query_pre_attn_scalar: 256,
      attn_logit_softcapping: 50,
      final_logit_softcapping: 30,
      sliding_window: 4096,
      tie_word_embeddings: true,
      eos_token_id: [1, 107],
    });
    expect(config.layer_types.slice(0, 4)).toEqual([
      'sliding_attention',
      'full_attention',
      'sliding_attention',
      'full_attention',
    ]);
    expect([slidingWindowOf(config, 24), slidingWindowOf(config, 25)]).toEqual([4096, null]);
  });

  it("takes Gemma2Config's defaults for absent fields and null soft caps as none", () => {
    const bare = parse({
      num_key_value_heads: undefined,
      head_dim: undefined,
      query_pre_attn_scalar: undefined,
      attn_logit_softcapping: undefined,
      final_logit_softcapping: undefined,
      sliding_window: undefined,
      tie_word_embeddings: undefined,
      rms_norm_eps: undefined,
      hidden_activation: undefined,
      bos_token_id: undefined,
      eos_token_id: undefined,
    });
    expect(bare).toMatchObject({
      num_key_value_heads: 4,
      head_dim: 256,
      query_pre_attn_scalar: 256,
      attn_logit_softcapping: 50,
      final_logit_softcapping: 30,
      sliding_window: 4096,
      tie_word_embeddings: true,
      rms_norm_eps: 1e-6,
      hidden_activation: 'gelu_pytorch_tanh',
      bos_token_id: 2,
      eos_token_id: 1,
    });
    const uncapped = parse({ attn_logit_softcapping: null, final_logit_softcapping: null });
    expect([uncapped.attn_logit_softcapping, uncapped.final_logit_softcapping]).toEqual([null, null]);
  });

  it('reads layer_types as transformers 4.53+ saves it, and v5 rope_parameters', () => {
    const layers = ['full_attention', 'sliding_attention', 'full_attention'];
    const config = parse({ num_hidden_layers: 3, layer_types: layers });
    expect(config.layer_types).toEqual(layers);
    expect([0, 1, 2].map((i) => slidingWindowOf(config, i))).toEqual([null, 4096, null]);
    expect(parse({ rope_parameters: { rope_type: 'default', rope_theta: 5e5 } }).rope_theta).toBe(5e5);
  });

  it('counts parameters as the published checkpoint does (2,614,341,888 for gemma-2-2b)', () => {
    expect(parameterCount(parse({}))).toBe(2_614_341_888);
  });

  it('reads through the family accessors', () => {
    const config = parseModelConfig(GEMMA2_2B, 'config.json');
    expect([
      maxPositions(config),
      numLayers(config),
      numKvHeads(config),
      headDim(config),
      padTokenId(config),
    ]).toEqual([8192, 26, 4, 256, 1]);
  });
});

describe('Gemma-2 config.json refusals name the value and what is supported', () => {
  it.each([
    [
      { hidden_activation: 'gelu' },
      /hidden_activation "gelu" is not supported; supported: "gelu_pytorch_tanh"/,
    ],
    [
      { use_bidirectional_attention: true },
      /use_bidirectional_attention true is not supported; supported: false or null \(causal attention\)/,
    ],
    [
      { rope_scaling: { rope_type: 'linear', factor: 2 } },
      /rope_scaling \{"rope_type":"linear","factor":2\} is not supported; supported: null or \{"rope_type": "default"\}/,
    ],
    [
      { layer_types: ['sliding_attention', 'chunked_attention'] },
      /layer_types \["sliding_attention","chunked_attention"\] is not supported; supported: a list of num_hidden_layers 26 entries/,
    ],
    [{ sliding_window: null }, /"sliding_window" must be a positive integer, got null/],
    [{ attn_logit_softcapping: 0 }, /attn_logit_softcapping must be a positive number, got 0/],
    [{ final_logit_softcapping: 'yes' }, /final_logit_softcapping must be a positive number, got "yes"/],
    [{ query_pre_attn_scalar: -1 }, /query_pre_attn_scalar must be a positive number, got -1/],
    [
      { num_key_value_heads: 3 },
      /num_attention_heads 8 is not a multiple of num_key_value_heads 3; fix one of them/,
    ],
    [{ head_dim: 255 }, /head_dim 255 is odd; rotary embeddings rotate pairs/],
    [{ eos_token_id: 256000 }, /eos_token_id 256000 is not a token id below vocab_size 256000/],
  ] as [Record<string, unknown>, RegExp][])('%j', (edit, message) => {
    expect(failure(edit)).toMatch(message);
    expect(failure(edit)).toMatch(/^config\.json: /);
  });

  it('lists gemma2 among the supported model types, and parseGemma2Config refuses another', () => {
    expect(failure({ model_type: 'gemma' })).toMatch(
      /supported: "gpt2", "llama", "qwen2", "mistral", "gemma2"/,
    );
    expect(() => parseGemma2Config({ model_type: 'llama' }, 'c.json')).toThrow(
      /c.json: model_type "llama" is not a Gemma-2 type; supported: "gemma2"/,
    );
  });
});
