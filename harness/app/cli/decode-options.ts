import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { parseDecimalText } from '../../core/parse-decimal.ts';
import { assertRegularFile } from '../../core/regular-file.ts';
import { type GenerationConfig, parseStrategy } from '../../engine/decode/generation-config.ts';
import {
  type ConfigLayer,
  cliLabel,
  fileLabel,
  resolveGenerationConfig,
} from '../../engine/decode/resolve-generation-config.ts';
import { eosTokenIds } from '../../engine/model/eos-token-ids.ts';
import type { OptionSpec } from './args.ts';

/** Decoding options: Hugging Face's generate() arguments in kebab case, plus --strategy and --rng. */
export const DECODE_OPTIONS = {
  strategy: { type: 'string' },
  'generation-config': { type: 'string' },
  'max-new-tokens': { type: 'string' },
  'min-new-tokens': { type: 'string' },
  'do-sample': { type: 'boolean' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'min-p': { type: 'string' },
  'repetition-penalty': { type: 'string' },
  'no-repeat-ngram-size': { type: 'string' },
  'num-beams': { type: 'string' },
  'length-penalty': { type: 'string' },
  'early-stopping': { type: 'string' },
  'num-return-sequences': { type: 'string' },
  'stop-strings': { type: 'string', multiple: true },
  seed: { type: 'string' },
  rng: { type: 'string' },
} as const satisfies OptionSpec;

export const DECODE_OPTIONS_HELP = `Decode options (Hugging Face generate() names; later sources override earlier ones:
the model's generation_config.json, then --generation-config FILE, then these flags):
  --strategy greedy|sample|beam   shorthand for --do-sample / --num-beams
  --max-new-tokens N (20)  --min-new-tokens N (0)  --do-sample  --temperature T (1; 0 = greedy)
  --top-k K (50 when sampling; 0 = off)  --top-p P (1 = off)  --min-p P (0 = off)
  --repetition-penalty R (1 = off)  --no-repeat-ngram-size N (0 = off)
  --num-beams N (1)  --length-penalty L (1)  --early-stopping true|false|never  --num-return-sequences N
  --stop-strings S (repeatable)  --seed N (required to sample)  --rng alea|…|mt19937 (alea)`;

type DecodeValues = {
  [K in keyof typeof DECODE_OPTIONS]?: K extends 'do-sample'
    ? boolean
    : K extends 'stop-strings'
      ? string[]
      : string;
};

const NUMBER_FIELDS = [
  'max-new-tokens',
  'min-new-tokens',
  'temperature',
  'top-k',
  'top-p',
  'min-p',
  'repetition-penalty',
  'no-repeat-ngram-size',
  'num-beams',
  'length-penalty',
  'num-return-sequences',
  'seed',
] as const;

/** The command line as one config layer (snake_case HF names, typed values). */
function cliLayer(values: DecodeValues): ConfigLayer {
  const layer: Record<string, unknown> = {};
  for (const flag of NUMBER_FIELDS) {
    const raw = values[flag];
    if (raw !== undefined) layer[flag.replaceAll('-', '_')] = parseDecimalText(`--${flag}`, raw);
  }
  if (values['do-sample']) layer.do_sample = true;
  const early = values['early-stopping'];
  if (early !== undefined) layer.early_stopping = early === 'true' ? true : early === 'false' ? false : early;
  if (values['stop-strings']) layer.stop_strings = values['stop-strings'];
  if (values.rng !== undefined) layer.rng = values.rng;
  const strategy = values.strategy === undefined ? undefined : parseStrategy(values.strategy);
  if (strategy !== undefined) {
    if (strategy === 'greedy') Object.assign(layer, { do_sample: false, num_beams: layer.num_beams ?? 1 });
    else if (strategy === 'sample') layer.do_sample = true;
    else {
      if (layer.num_beams === undefined) throw new UsageError('--strategy beam needs --num-beams N (N ≥ 2)');
      layer.do_sample = false;
    }
    if (strategy === 'greedy' && layer.num_beams !== 1) {
      throw new UsageError(
        `--strategy greedy conflicts with --num-beams ${layer.num_beams}; use --strategy beam`,
      );
    }
  }
  return { values: layer, label: cliLabel };
}

function fileLayer(path: string): ConfigLayer {
  let parsed: unknown;
  assertRegularFile(path, '--generation-config', 'give a JSON file of generation settings');
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `--generation-config ${path}: ${error instanceof Error ? error.message : String(error)}; give a readable JSON file`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`--generation-config ${path}: expected a JSON object of generation settings`);
  }
  return { values: parsed as Record<string, unknown>, label: fileLabel(path) };
}

/** Resolve the decode config: model generation_config.json < --generation-config FILE < flags. */
export function generationConfigFrom(values: DecodeValues, model: ModelDir): GenerationConfig {
  const modelFile = `${model.path}/generation_config.json`;
  const layers: ConfigLayer[] = [
    { values: { ...model.generationConfig, eos_token_id: eosTokenIds(model) }, label: fileLabel(modelFile) },
  ];
  if (values['generation-config'] !== undefined) layers.push(fileLayer(values['generation-config']));
  layers.push(cliLayer(values));
  return resolveGenerationConfig(layers, model.config.vocab_size);
}
