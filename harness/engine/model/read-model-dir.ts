import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelDirError } from '../../core/errors.ts';
import { parseModelConfig } from '../../core/model/model-config.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { graphBaseName } from '../../core/model/onnx-variants.ts';
import { checkWeightsMatchConfig } from '../../core/model/parameter-layout.ts';
import { readSafetensorsSpecs } from '../../core/model/safetensors.ts';
import { externalDataFiles } from '../../core/onnx/external-data.ts';
import { assertRegularFile } from '../../core/regular-file.ts';
import { checkDeclaredExternalData } from './declared-external-data.ts';
import { type GraphChoice, listGraphVariants, selectGraph } from './select-graph.ts';

/** Every file a model dir needs, with how a user gets it (messages quote this). */
const REQUIRED_FILES: readonly (readonly [file: string, howToGet: string])[] = [
  ['config.json', 'save it with model.save_pretrained(dir) or optimum-cli export onnx'],
  [
    'generation_config.json',
    'save it with model.generation_config.save_pretrained(dir), or write {"eos_token_id": <id>}',
  ],
  ['tokenizer.json', 'save the fast tokenizer with AutoTokenizer.from_pretrained(...).save_pretrained(dir)'],
  ['tokenizer_config.json', 'it is written next to tokenizer.json by tokenizer.save_pretrained(dir)'],
];

/** The files beside the graphs that every model dir holds (a copy of a model dir needs them all). */
export const MODEL_DIR_FILES: readonly string[] = REQUIRED_FILES.map(([file]) => file);

const SAFETENSORS_ADVICE =
  'save it with model.save_pretrained(dir) (safetensors is the default), or remove it';

/**
 * Validate a model directory in the Hugging Face layout (see model-dir.ts) and read it, with the
 * graph `choice` names (default: config.json's transformers.js dtype, else fp32).
 */
export function readModelDir(dir: string, name: string, choice: GraphChoice = {}): ModelDir {
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
  const rawConfig = readJson(configPath);
  const config = parseModelConfig(rawConfig, configPath);
  const generationConfigPath = join(dir, 'generation_config.json');
  const generationConfig = readJson(generationConfigPath);
  if (typeof generationConfig !== 'object' || generationConfig === null || Array.isArray(generationConfig)) {
    throw new ModelDirError(`${generationConfigPath}: expected a JSON object; fix or re-save the file`);
  }
  // Parsed here so a broken tokenizer fails at load, not in the middle of a run.
  readJson(join(dir, 'tokenizer.json'));
  readJson(join(dir, 'tokenizer_config.json'));

  const variants = listGraphVariants(dir);
  const transformersJsConfig = (rawConfig as Record<string, unknown>)['transformers.js_config'];
  const graph = selectGraph(dir, variants, transformersJsConfig, choice);
  const onnxPath = join(dir, graph.file);
  const externalData = externalDataFiles(onnxPath);
  checkDeclaredExternalData(
    onnxPath,
    graphBaseName(graph.file, graph.dtype),
    transformersJsConfig,
    externalData,
  );

  let safetensorsPath: string | null = join(dir, 'model.safetensors');
  if (existsSync(safetensorsPath)) {
    assertRegularFile(
      safetensorsPath,
      'model file',
      `model.safetensors: ${SAFETENSORS_ADVICE}`,
      ModelDirError,
    );
    checkWeightsMatchConfig(config, readSafetensorsSpecs(safetensorsPath), safetensorsPath);
  } else {
    safetensorsPath = null;
  }
  return {
    path: dir,
    name,
    config,
    generationConfig: generationConfig as Record<string, unknown>,
    graph,
    onnxPath,
    externalData,
    variants,
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
