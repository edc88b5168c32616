import { variantFileName } from '../../../core/model/onnx-variants.ts';
import { onnxToFloat16 } from '../onnx-to-float16.ts';
import type { LazyModelDirFiles } from '../write-model-dir.ts';
import { quantizeGraphQ4 } from './quantize-graph-q4.ts';
import { quantizeGraphQ4F16 } from './quantize-graph-q4f16.ts';
import { quantizeGraphQ8 } from './quantize-graph-q8.ts';

/**
 * The graph variants the project can make from a float32 graph, each with the quantizer's defaults
 * (fp16: every weight, activation, cache and logit in half precision; q8: per-tensor int8 weights;
 * q4 and q4f16: asymmetric 32-weight blocks), by transformers.js's dtype names.
 */
export const QUANTIZERS = {
  fp16: (graph) => onnxToFloat16(graph),
  q8: (graph) => quantizeGraphQ8(graph),
  q4: (graph, options) => quantizeGraphQ4(graph, options),
  q4f16: (graph, options) => quantizeGraphQ4F16(graph, options),
} as const satisfies Record<string, (graph: Uint8Array, options: QuantizeOptions) => Uint8Array>;

export interface QuantizeOptions {
  /** q4 and q4f16: weights per scale (a power of two ≥ 16; default 32). */
  readonly blockSize?: number;
}

/** The dtypes whose quantizer takes a block size. */
export const BLOCKED_DTYPES: readonly QuantizedDtype[] = ['q4', 'q4f16'];

export type QuantizedDtype = keyof typeof QUANTIZERS;

export const QUANTIZED_DTYPES = Object.keys(QUANTIZERS) as readonly QuantizedDtype[];

export function isQuantizedDtype(text: string): text is QuantizedDtype {
  return Object.hasOwn(QUANTIZERS, text);
}

/**
 * `files` plus onnx/model_<suffix>.onnx for each dtype, quantized from onnx/model.onnx (made once,
 * when the first variant is asked for).
 */
export function withQuantizedVariants(
  files: LazyModelDirFiles,
  dtypes: readonly QuantizedDtype[],
): LazyModelDirFiles {
  const source = variantFileName('onnx', 'model', 'fp32');
  const makeGraph = files.get(source);
  if (makeGraph === undefined) throw new Error(`withQuantizedVariants: the files hold no ${source}`);
  let graph: Uint8Array | undefined;
  const out = new Map(files);
  for (const dtype of dtypes) {
    out.set(variantFileName('onnx', 'model', dtype), () => {
      graph ??= makeGraph();
      return QUANTIZERS[dtype](graph, {});
    });
  }
  return out;
}
