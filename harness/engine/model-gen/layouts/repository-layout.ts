import { variantFileName } from '../../../core/model/onnx-variants.ts';
import { jsonFile, type LazyModelDirFiles } from '../write-model-dir.ts';
import { toExternalData } from './external-data.ts';
import { withNumLogitsToKeep } from './logits-to-keep.ts';
import { mergedDecoder } from './merged-decoder.ts';
import { withoutPositionIds } from './without-position-ids.ts';

/**
 * How a model repository people download lays out an export, each without model.safetensors:
 * - `onnx-community`: transformers.js's repositories: onnx/model.onnx and its variants, every graph
 *   with `num_logits_to_keep`, the fp32 graph's weights in EXTERNAL_CHUNKS external-data files,
 *   declared in config.json's transformers.js_config;
 * - `optimum`: `optimum-cli export onnx` with a merged decoder: decoder_model_merged.onnx at the
 *   directory root, one `If` on use_cache_branch, positions derived from attention_mask;
 * - `onnxruntime-genai`: the model builder's output: model.onnx (and its variants) at the root, the
 *   graph written with GroupQueryAttention (generated-model.ts builds it), no position_ids.
 */
export type RepositoryLayout = 'onnx-community' | 'optimum' | 'onnxruntime-genai';

export const EXTERNAL_CHUNKS = 2;

const FP32_GRAPH = variantFileName('onnx', 'model', 'fp32');
const MERGED_GRAPH = variantFileName('.', 'decoder_model_merged', 'fp32');

/** A generated model dir's files (onnx/model.onnx, variants, safetensors) re-laid out as `layout`. */
export function asRepository(files: LazyModelDirFiles, layout: RepositoryLayout): LazyModelDirFiles {
  const out = new Map([...files].filter(([path]) => path !== 'model.safetensors'));
  const makeGraph = files.get(FP32_GRAPH);
  if (makeGraph === undefined) throw new Error(`asRepository: the files hold no ${FP32_GRAPH}`);
  if (layout === 'onnxruntime-genai') {
    for (const [path, make] of files) {
      if (!path.startsWith('onnx/')) continue;
      out.delete(path);
      out.set(path.slice('onnx/'.length), make);
    }
    return out;
  }
  if (layout === 'optimum') {
    out.delete(FP32_GRAPH);
    out.set(MERGED_GRAPH, () => mergedDecoder(withoutPositionIds(makeGraph())));
    return out;
  }
  for (const [path, make] of files) {
    if (path.startsWith('onnx/') && path !== FP32_GRAPH) out.set(path, () => withNumLogitsToKeep(make()));
  }
  // One split makes the graph and its chunks; each entry takes its own file from it.
  let split: Map<string, Uint8Array> | undefined;
  const externalFile = (name: string) => () => {
    split ??= toExternalData(withNumLogitsToKeep(makeGraph()), 'model.onnx', EXTERNAL_CHUNKS);
    return split.get(name)!;
  };
  out.set(FP32_GRAPH, externalFile('model.onnx'));
  for (let i = 0; i < EXTERNAL_CHUNKS; i++) {
    const chunk = `model.onnx_data${i === 0 ? '' : `_${i}`}`;
    out.set(`onnx/${chunk}`, externalFile(chunk));
  }
  const makeConfig = files.get('config.json')!;
  out.set('config.json', () => {
    const config = JSON.parse(new TextDecoder().decode(makeConfig()));
    return jsonFile({
      ...config,
      'transformers.js_config': {
        dtype: 'fp32',
        use_external_data_format: { 'model.onnx': EXTERNAL_CHUNKS },
      },
    });
  });
  return out;
}
