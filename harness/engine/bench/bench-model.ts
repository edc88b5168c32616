import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { parameterCount } from '../../core/model/parameter-layout.ts';
import { loadModelDir } from '../model-gen/load-model-dir.ts';
import { isShapeModelName } from '../model-gen/shape-models.ts';
import type { BenchModel } from './bench-record.ts';

/**
 * `--model` for bench: a shape model's name, an embedded model's name, or a model directory, as
 * loadModelDir takes them; a shape model's first use builds it, which is worth a progress line.
 */
export async function loadBenchModel(spec: string, onProgress: (line: string) => void): Promise<ModelDir> {
  if (isShapeModelName(spec))
    onProgress(`${spec}: building into .cache/models/ unless already there (first time ~10 s)`);
  return loadModelDir(spec);
}

/** The files that decide what a backend computes; their sha256 identifies the model in caches and reports. */
const IDENTITY_FILES = ['config.json', 'onnx/model.onnx', 'model.safetensors'];

/** Identity and sizes of a model (hashes ~700 MB for distilgpt2-shape: about a second). */
export async function benchModelOf(model: ModelDir): Promise<BenchModel> {
  const hash = createHash('sha256');
  for (const file of IDENTITY_FILES) {
    for await (const chunk of createReadStream(join(model.path, file))) hash.update(chunk as Buffer);
  }
  return {
    name: model.name,
    path: model.path,
    modelType: model.config.model_type,
    sha256: hash.digest('hex'),
    parameters: parameterCount(model.config),
    sizeBytes: statSync(model.safetensorsPath).size,
  };
}
