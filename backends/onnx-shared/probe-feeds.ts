import type { ProbePass, ProbeTensor } from '../../harness/core/backend/contract.ts';
import { float16Bits, float16Value } from '../../harness/core/model/float16.ts';
import { headDim, type ModelConfig, numKvHeads, numLayers } from '../../harness/core/model/model-config.ts';
import { type DecoderInput, decoderInputs } from './decoder-inputs.ts';
import type { DecoderLayout } from './decoder-io.ts';

/** One graph input of a probe pass: a decoder input, or a past cache tensor in the graph's float type. */
export type ProbeFeed =
  | DecoderInput
  | {
      readonly name: string;
      readonly type: 'float32';
      readonly dims: readonly number[];
      readonly data: Float32Array;
    }
  | {
      readonly name: string;
      readonly type: 'float16';
      readonly dims: readonly number[];
      readonly data: Uint16Array;
    };

/**
 * The inputs `layout` declares for one batch-1 pass, built as decoding builds them (positions
 * past … past + seq − 1, a mask of ones, only the last position's logits), and the past cache in
 * the graph's cache type: float16 by round-to-nearest-even, so both sides read the same bits.
 */
export function probeFeeds(layout: DecoderLayout, config: ModelConfig, pass: ProbePass): ProbeFeed[] {
  const pastLength = pass.past?.get('past_key_values.0.key')?.dims[2] ?? 0;
  const seq = pass.tokens.length;
  const total = pastLength + seq;
  const feeds: ProbeFeed[] = decoderInputs(layout, {
    batch: 1,
    seq,
    total,
    inputIds: BigInt64Array.from(pass.tokens, BigInt),
    positionIds: BigInt64Array.from({ length: seq }, (_, i) => BigInt(pastLength + i)),
    attentionMask: new BigInt64Array(total).fill(1n),
    freshCache: pass.past === null,
    allPositions: false,
  });
  const emptyDims = [1, numKvHeads(config), 0, headDim(config)];
  for (let i = 0; i < numLayers(config); i++) {
    for (const kv of ['key', 'value']) {
      const name = `past_key_values.${i}.${kv}`;
      const given = pass.past?.get(name);
      if (pass.past !== null && given === undefined)
        throw new Error(`probe pass: no ${name} in the past given`);
      const dims = given?.dims ?? emptyDims;
      const values = given?.data ?? new Float64Array(0);
      feeds.push(
        layout.float === 'float16'
          ? { name, type: 'float16', dims, data: Uint16Array.from(values, float16Bits) }
          : { name, type: 'float32', dims, data: Float32Array.from(values) },
      );
    }
  }
  return feeds;
}

/** An onnxruntime tensor (node or web) read back as a ProbeTensor; float16 bits widen exactly. */
export function probeTensorOf(t: {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}): ProbeTensor {
  const dims = [...t.dims];
  switch (t.type) {
    case 'float16':
      // Bits in a Uint16Array, or a Float16Array where the runtime has one (onnxruntime-web does).
      return {
        type: t.type,
        dims,
        data:
          t.data instanceof Uint16Array
            ? Float64Array.from(t.data, float16Value)
            : Float64Array.from(t.data as ArrayLike<number>),
      };
    case 'int64':
    case 'uint64':
      return { type: t.type, dims, data: Float64Array.from(t.data as ArrayLike<bigint>, Number) };
    case 'bool':
      return { type: t.type, dims, data: Float64Array.from(t.data as ArrayLike<number | boolean>, Number) };
    case 'float32':
    case 'float64':
    case 'int32':
    case 'int16':
    case 'int8':
    case 'uint32':
    case 'uint16':
    case 'uint8':
      return { type: t.type, dims, data: Float64Array.from(t.data as ArrayLike<number>) };
    default:
      throw new Error(`a probe output of type ${t.type} cannot be compared (dims [${dims.join(', ')}])`);
  }
}
