import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelDirError } from '../../core/errors.ts';
import { parseModelConfig } from '../../core/model/model-config.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { checkWeightsMatchConfig } from '../../core/model/parameter-layout.ts';
import { readSafetensorsSpecs } from '../../core/model/safetensors.ts';
import { assertRegularFile } from '../../core/regular-file.ts';

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

/** Validate a model directory in the Hugging Face layout (see model-dir.ts) and read it. */
export function readModelDir(dir: string, name: string): ModelDir {
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
