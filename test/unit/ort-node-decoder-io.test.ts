import type { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { checkDecoderIo } from '../../backends/onnx-shared/decoder-io.ts';
import { ModelDirError } from '../../harness/core/errors.ts';
import type { Gpt2Config } from '../../harness/core/model/families/gpt2.ts';
import type { LlamaConfig } from '../../harness/core/model/families/llama.ts';

type Metadata = InferenceSession.ValueMetadata;

const CONFIG = { model_type: 'gpt2', vocab_size: 97, n_embd: 16, n_head: 2, n_layer: 1 } as Gpt2Config;
const WHERE = { onnxPath: 'm/onnx/model.onnx', configPath: 'm/config.json' };
const tensor = (name: string, type: 'int64' | 'float32' | 'bool', shape: (number | string)[]): Metadata => ({
  name,
  isTensor: true,
  type,
  shape,
});
const cache = ['batch_size', 2, 'past_sequence_length', 8];

/** The I/O of a one-layer Optimum GPT-2 export for CONFIG. */
const INPUTS: readonly Metadata[] = [
  tensor('input_ids', 'int64', ['batch_size', 'sequence_length']),
  tensor('attention_mask', 'int64', ['batch_size', 'total_sequence_length']),
  tensor('position_ids', 'int64', ['batch_size', 'sequence_length']),
  tensor('past_key_values.0.key', 'float32', cache),
  tensor('past_key_values.0.value', 'float32', cache),
];
const OUTPUTS: readonly Metadata[] = [
  tensor('logits', 'float32', ['batch_size', 'sequence_length', 97]),
  tensor('present.0.key', 'float32', cache),
  tensor('present.0.value', 'float32', cache),
];

function check(inputs: readonly Metadata[], outputs: readonly Metadata[] = OUTPUTS): () => void {
  return () => checkDecoderIo({ inputMetadata: inputs, outputMetadata: outputs }, CONFIG, WHERE);
}

describe('checkDecoderIo', () => {
  it('accepts an Optimum-style KV-cache decoder that agrees with config.json', () => {
    expect(check(INPUTS)).not.toThrow();
  });

  it('reads the layout from the inputs the graph declares: position_ids, num_logits_to_keep, use_cache_branch', () => {
    const layout = (inputs: readonly Metadata[]) =>
      checkDecoderIo({ inputMetadata: inputs, outputMetadata: OUTPUTS }, CONFIG, WHERE);
    expect(layout(INPUTS)).toEqual({
      float: 'float32',
      positionIds: true,
      numLogitsToKeep: false,
      useCacheBranch: false,
    });
    const merged = [
      ...INPUTS.filter((m) => m.name !== 'position_ids'),
      tensor('num_logits_to_keep', 'int64', []),
      tensor('use_cache_branch', 'bool', [1]),
    ];
    expect(layout(merged)).toEqual({
      float: 'float32',
      positionIds: false,
      numLogitsToKeep: true,
      useCacheBranch: true,
    });
  });

  it('names the graph, config.json and both values on every mismatch', () => {
    const replace = (list: readonly Metadata[], i: number, m: Metadata) =>
      list.map((x, j) => (j === i ? m : x));
    const cases: [() => void, RegExp][] = [
      [
        check([...INPUTS, tensor('token_type_ids', 'int64', ['b', 's'])]),
        /graph input "token_type_ids" \(int64 \[b, s\]\) is not one the decoder can feed \(input_ids, attention_mask, .*num_logits_to_keep, use_cache_branch\)/,
      ],
      [
        check([...INPUTS, tensor('use_cache_branch', 'int64', [1])]),
        /input use_cache_branch is int64, expected bool/,
      ],
      [check(INPUTS.slice(0, 4)), /the graph has no input "past_key_values.0.value"/],
      [
        check(INPUTS, OUTPUTS.slice(0, 1)),
        /the graph has 0 layers of present outputs but config.json says 1/,
      ],
      [
        check(replace(INPUTS, 0, tensor('input_ids', 'float32', ['b', 's']))),
        /input input_ids is float32, expected int64/,
      ],
      [
        check(replace(INPUTS, 2, { name: 'position_ids', isTensor: false })),
        /input position_ids is not a tensor/,
      ],
      [
        check(replace(INPUTS, 1, tensor('attention_mask', 'int64', ['b']))),
        /input attention_mask has rank 1 \[b\], expected rank 2/,
      ],
      [
        check(replace(INPUTS, 3, tensor('past_key_values.0.key', 'float32', ['b', 2, 'p', 4]))),
        /input past_key_values.0.key has dim 3 = 4 \[b, 2, p, 4\], config implies 8/,
      ],
    ];
    for (const [run, message] of cases) {
      expect(run).toThrow(ModelDirError);
      expect(run).toThrow(message);
      expect(run).toThrow(
        /^m\/onnx\/model\.onnx does not match m\/config\.json: .*; re-export the model or fix config\.json$/,
      );
    }
  });

  it('expects num_key_value_heads cache heads of head_dim for a Llama-family config', () => {
    // 4 query heads share 2 key/value heads of width 8: the cache is [batch, 2, length, 8].
    const llama = {
      model_type: 'llama',
      vocab_size: 97,
      num_hidden_layers: 1,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 8,
    } as LlamaConfig;
    const run = (inputs: readonly Metadata[]) => () =>
      checkDecoderIo({ inputMetadata: inputs, outputMetadata: OUTPUTS }, llama, WHERE);
    expect(run(INPUTS)).not.toThrow();
    const queryHeads = INPUTS.map((m) =>
      m.name === 'past_key_values.0.key' ? tensor(m.name, 'float32', ['batch_size', 4, 'p', 8]) : m,
    );
    expect(run(queryHeads)).toThrow(
      /input past_key_values.0.key has dim 1 = 4 \[batch_size, 4, p, 8\], config implies 2/,
    );
  });
});
