import { existsSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { UsageError } from '../../core/errors.ts';
import { headDim, numKvHeads, numLayers } from '../../core/model/model-config.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { dtypeOfFileName } from '../../core/model/onnx-variants.ts';
import { externalDataFiles } from '../../core/onnx/external-data.ts';
import { loadModelDir } from '../model-gen/load-model-dir.ts';

/**
 * The graph `--against` names, as a model dir bisect can open: a directory (its default graph, e.g.
 * a `quantize --out DIR` copy) or a graph file anywhere (an edited copy), which runs with `model`'s
 * config and tokenizer. Its KV cache must have the same geometry, since both graphs read one cache.
 */
export async function againstGraph(model: ModelDir, against: string): Promise<ModelDir> {
  const path = resolve(against);
  if (!existsSync(path)) {
    throw new UsageError(
      `--against ${JSON.stringify(against)}: no such file or directory; pass a model dir or an .onnx file`,
    );
  }
  const other: ModelDir = statSync(path).isDirectory()
    ? await loadModelDir(path)
    : (() => {
        const file = relative(model.path, path).split(sep).join('/');
        return {
          ...model,
          graph: { file, dtype: dtypeOfFileName(file) },
          onnxPath: path,
          externalData: externalDataFiles(path),
        };
      })();
  if (other.onnxPath === model.onnxPath) {
    throw new UsageError(
      `--against ${JSON.stringify(against)} is the graph --model already runs (${model.graph.file}); name another graph`,
    );
  }
  const geometry = (m: ModelDir) => [numLayers(m.config), numKvHeads(m.config), headDim(m.config)].join('×');
  if (geometry(other) !== geometry(model)) {
    throw new UsageError(
      `--against ${JSON.stringify(against)} has a KV cache of ${geometry(other)} (layers × kv heads × head dim) but ${model.name} has ${geometry(model)}; bisect two graphs of one model`,
    );
  }
  return other;
}
