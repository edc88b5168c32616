import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ModelDirError } from '../../core/errors.ts';
import { parseModelConfig } from '../../core/model/model-config.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { checkWeightsMatchConfig } from '../../core/model/parameter-layout.ts';
import { readSafetensorsSpecs } from '../../core/model/safetensors.ts';
import { assertRegularFile } from '../../core/regular-file.ts';
import {
  EMBEDDED_MODEL_NAMES,
  ensureEmbeddedModel,
  isEmbeddedModelName,
} from '../model-gen/embedded-models.ts';
import { ensureShapeModel, isShapeModelName, SHAPE_MODEL_NAMES } from '../model-gen/shape-models.ts';

/** Every file a model dir needs, with how a user gets it (messages quote this). */
const REQUIRED_FILES: readonly (readonly [file: string, howToGet: string])[] = [
  ['config.json', 'save it with model.save_pretrained(dir) or optimum-cli export onnx'],
  [
    'generation_config.json',
    'save it with model.generation_config.save_pretrained(dir), or write {"eos_token_id": <id>}',
  ],
  ['tokenizer.json', 'save the fast tokenizer with AutoTokenizer.from_pretrained(...).save_pretrained(dir)'],
  ['tokenizer_config.json', 'it is written next to tokenizer.json by tokenizer.save_pretrained(dir)'],
  [
    'onnx/model.onnx',
    'export with `optimum-cli export onnx --task text-generation-with-past --model <model> <out>` ' +
      'and move model.onnx into onnx/',
  ],
  ['model.safetensors', 'save it with model.save_pretrained(dir) (safetensors is the default)'],
];

/**
 * Load and validate a model directory in the Hugging Face layout (see model-dir.ts), or build and
 * load a generated model by name: an embedded one (`tiny-gpt2`, verified against its manifest) or a
 * shape model (`llama-135m-shape`, built into .cache/models/ on first use). A bare name means the
 * generated model; to load a local directory of the same name, write it as a path (`./tiny-gpt2`).
 */
export async function loadModelDir(pathOrName: string): Promise<ModelDir> {
  if (isEmbeddedModelName(pathOrName)) {
    return readModelDir(await ensureEmbeddedModel(pathOrName), pathOrName);
  }
  if (isShapeModelName(pathOrName)) {
    return readModelDir(await ensureShapeModel(pathOrName), pathOrName);
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
  return readModelDir(dir, basename(dir));
}

function readModelDir(dir: string, name: string): ModelDir {
  const missing = REQUIRED_FILES.filter(([file]) => !existsSync(join(dir, file)));
  if (missing.length > 0) {
    throw new ModelDirError(
      `model dir ${dir} is missing ${missing.map(([file]) => file).join(', ')}. ` +
        missing.map(([file, howToGet]) => `${file}: ${howToGet}.`).join(' '),
    );
  }
  for (const [file, howToGet] of REQUIRED_FILES) {
    assertRegularFile(join(dir, file), 'model file', `${file}: ${howToGet}`, ModelDirError);
  }
  const configPath = join(dir, 'config.json');
  const config = parseModelConfig(readJson(configPath), configPath);
  const generationConfigPath = join(dir, 'generation_config.json');
  const generationConfig = readJson(generationConfigPath);
  if (typeof generationConfig !== 'object' || generationConfig === null || Array.isArray(generationConfig)) {
    throw new ModelDirError(`${generationConfigPath}: expected a JSON object; fix or re-save the file`);
  }
  // Parsed here so a broken tokenizer fails at load, not in the middle of a run.
  readJson(join(dir, 'tokenizer.json'));
  readJson(join(dir, 'tokenizer_config.json'));

  const safetensorsPath = join(dir, 'model.safetensors');
  checkWeightsMatchConfig(config, readSafetensorsSpecs(safetensorsPath), safetensorsPath);
  return {
    path: dir,
    name,
    config,
    generationConfig: generationConfig as Record<string, unknown>,
    onnxPath: join(dir, 'onnx', 'model.onnx'),
    safetensorsPath,
  };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ModelDirError(`${path} is not valid JSON (${(e as Error).message}); fix or re-save the file`);
  }
}
