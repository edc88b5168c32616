import { ONNX_DTYPES } from '../../core/model/onnx-variants.ts';
import type { GraphChoice } from '../../engine/model/select-graph.ts';
import type { OptionSpec } from './args.ts';

/** Options of every command that loads a graph: which variant of the model dir runs. */
export const GRAPH_OPTIONS = {
  dtype: { type: 'string' },
  onnx: { type: 'string' },
} as const satisfies OptionSpec;

export const GRAPH_OPTIONS_HELP = `  --dtype D      the graph variant to run: ${ONNX_DTYPES.join('|')}, by transformers.js's file names
                 (onnx/model_q4.onnx is q4; default: config.json's transformers.js_config.dtype, else fp32)
  --onnx FILE    any other graph file inside the model dir (relative to it or to the working directory)`;

export function graphChoice(values: { dtype?: string; onnx?: string }): GraphChoice {
  return { dtype: values.dtype, onnx: values.onnx };
}
