import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { ModelDirError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { readModelDir } from '../model/read-model-dir.ts';
import type { GraphChoice } from '../model/select-graph.ts';
import { EMBEDDED_MODEL_NAMES, ensureEmbeddedModel, isEmbeddedModelName } from './embedded-models.ts';
import { ensureShapeModel, isShapeModelName, SHAPE_MODEL_NAMES } from './shape-models.ts';

/** A name `loadModelDir` builds (an embedded or shape model), whose files a manifest or generator owns. */
export function isGeneratedModelName(pathOrName: string): boolean {
  return isEmbeddedModelName(pathOrName) || isShapeModelName(pathOrName);
}

/**
 * Load and validate a model directory in the Hugging Face layout (see model-dir.ts), or build and
 * load a generated model by name: an embedded one (`tiny-gpt2`, verified against its manifest) or a
 * shape model (`llama-135m-shape`, built into .cache/models/ on first use), with the graph `choice`
 * names (see select-graph.ts). A bare name means the
 * generated model; to load a local directory of the same name, write it as a path (`./tiny-gpt2`).
 */
export async function loadModelDir(pathOrName: string, choice: GraphChoice = {}): Promise<ModelDir> {
  if (isEmbeddedModelName(pathOrName)) {
    return readModelDir(await ensureEmbeddedModel(pathOrName), pathOrName, choice);
  }
  if (isShapeModelName(pathOrName)) {
    return readModelDir(await ensureShapeModel(pathOrName), pathOrName, choice);
  }
  const dir = resolve(pathOrName);
  if (!existsSync(dir)) {
    throw new ModelDirError(
      `model ${JSON.stringify(pathOrName)}: no such directory (${dir}) and not an embedded model name; ` +
        `embedded: ${EMBEDDED_MODEL_NAMES.join(', ')}; shape models: ${SHAPE_MODEL_NAMES.join(', ')}`,
    );
  }
  if (!statSync(dir).isDirectory()) {
    throw new ModelDirError(
      `model ${JSON.stringify(pathOrName)} is a file; pass the directory that holds config.json`,
    );
  }
  return readModelDir(dir, basename(dir), choice);
}
