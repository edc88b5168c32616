import type { ModelDir } from '../../core/model/model-dir.ts';
import { parameterCount } from '../../core/model/parameter-layout.ts';
import { modelIdentity } from '../model/model-identity.ts';
import type { GraphChoice } from '../model/select-graph.ts';
import { loadModelDir } from '../model-gen/load-model-dir.ts';
import { isShapeModelName } from '../model-gen/shape-models.ts';
import type { BenchModel } from './bench-record.ts';

/**
 * `--model` for bench: a shape model's name, an embedded model's name, or a model directory, as
 * loadModelDir takes them; a shape model's first use builds it, which is worth a progress line.
 */
export async function loadBenchModel(
  spec: string,
  choice: GraphChoice,
  onProgress: (line: string) => void,
): Promise<ModelDir> {
  if (isShapeModelName(spec))
    onProgress(`${spec}: building into .cache/models/ unless already there (first time ~10 s)`);
  return loadModelDir(spec, choice);
}

/** Identity and sizes of a model (hashing ~700 MB for distilgpt2-shape takes about a second). */
export async function benchModelOf(model: ModelDir): Promise<BenchModel> {
  const identity = await modelIdentity(model);
  return {
    name: model.name,
    path: model.path,
    modelType: model.config.model_type,
    sha256: identity.sha256,
    parameters: parameterCount(model.config),
    graph: { file: identity.graph.file, dtype: identity.graph.dtype, sha256: identity.graph.sha256 },
    sizeBytes: identity.graph.bytes,
  };
}
