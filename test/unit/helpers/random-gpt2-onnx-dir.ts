import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Gpt2Config } from '../../../harness/core/model/families/gpt2.ts';
import type { ModelDir } from '../../../harness/core/model/model-dir.ts';
import { generateGpt2Weights } from '../../../harness/engine/model-gen/generate-gpt2-weights.ts';
import { buildGpt2Onnx } from '../../../harness/engine/model-gen/gpt2-onnx.ts';

/**
 * Write `root/name/onnx/model.onnx` for `graphConfig`'s random weights (seed `seed`) and return a
 * ModelDir that claims `config` (pass another graphConfig to make the two disagree). ONNX-only: the
 * ONNX backends need nothing else.
 */
export function randomGpt2OnnxDir(
  root: string,
  name: string,
  seed: number,
  config: Gpt2Config,
  graphConfig: Gpt2Config = config,
): ModelDir {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  const onnxPath = path.join(dir, 'onnx', 'model.onnx');
  writeFileSync(onnxPath, buildGpt2Onnx(graphConfig, generateGpt2Weights(graphConfig, seed)));
  return {
    path: dir,
    name,
    config,
    generationConfig: {},
    graph: { file: 'onnx/model.onnx', dtype: 'fp32' },
    variants: [{ file: 'onnx/model.onnx', dtype: 'fp32' }],
    onnxPath,
    externalData: [],
    safetensorsPath: null,
  };
}
