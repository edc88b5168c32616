import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { parseDecimalText } from '../../core/parse-decimal.ts';
import { assertRegularFile } from '../../core/regular-file.ts';
import {
  cliLabel,
  type DecodeFlagSpec,
  GENERATION_FIELDS,
  GENERATION_OPTIONS,
  type GenerationConfig,
  parseStrategy,
  strategyOf,
} from '../../engine/decode/generation-config.ts';
import { ignoredSamplingSettings } from '../../engine/decode/ignored-sampling-settings.ts';
import {
  type ConfigLayer,
  fileLabel,
  resolveGenerationConfig,
} from '../../engine/decode/resolve-generation-config.ts';
import { eosTokenIds } from '../../engine/model/eos-token-ids.ts';
import type { OptionSpec } from './args.ts';

/** Decode options: every generation option's flag (Hugging Face names in kebab case), plus two. */
export const DECODE_OPTIONS = {
  strategy: { type: 'string' },
  'generation-config': { type: 'string' },
  ...(Object.fromEntries(
    GENERATION_FIELDS.flatMap((field) => {
      const flag = GENERATION_OPTIONS[field].flag;
      if (flag === null) return [];
      const spec =
        flag.type === 'boolean'
          ? { type: 'boolean' }
          : flag.type === 'strings'
            ? { type: 'string', multiple: true }
            : { type: 'string' };
      return [[cliLabel(field).slice(2), spec]];
    }),
  ) as DecodeFlagSpec),
} as const satisfies OptionSpec;

const HELP_WIDTH = 100;

/** One entry per flag, packed into lines; the values and notes come from the option table. */
function optionsHelp(): string {
  const lines = ['  --strategy greedy|sample|beam   shorthand for --do-sample / --num-beams'];
  let packed = '';
  for (const field of GENERATION_FIELDS) {
    const flag = GENERATION_OPTIONS[field].flag;
    if (flag === null) continue;
    const entry = `${cliLabel(field)}${flag.help ? ` ${flag.help}` : ''}`;
    if (packed && packed.length + 2 + entry.length > HELP_WIDTH) {
      lines.push(packed);
      packed = '';
    }
    packed += `  ${entry}`;
  }
  return [...lines, packed].join('\n');
}

export const DECODE_OPTIONS_HELP = `Decode options (Hugging Face generate() names; later sources override earlier ones:
the model's generation_config.json, then --generation-config FILE, then these flags):
${optionsHelp()}`;

type DecodeValues = {
  [K in keyof typeof DECODE_OPTIONS]?: (typeof DECODE_OPTIONS)[K] extends { type: 'boolean' }
    ? boolean
    : (typeof DECODE_OPTIONS)[K] extends { multiple: true }
      ? string[]
      : string;
};

/** The command line as one config layer (snake_case HF names, typed values). */
function cliLayer(values: DecodeValues): ConfigLayer {
  const layer: Record<string, unknown> = {};
  const given = values as Record<string, string | boolean | string[] | undefined>;
  for (const field of GENERATION_FIELDS) {
    const flag = GENERATION_OPTIONS[field].flag;
    const label = cliLabel(field);
    const raw = given[label.slice(2)];
    if (flag === null || raw === undefined) continue;
    if (flag.type === 'boolean') {
      if (raw === true) layer[field] = true;
    } else if (flag.type === 'number') layer[field] = parseDecimalText(label, raw as string);
    else if (flag.type === 'text') layer[field] = flag.fromText ? flag.fromText(raw as string) : raw;
    else layer[field] = raw;
  }
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

/** Why a resolved config will not do all it was told, one line each (Hugging Face warns too). */
function configWarnings(layers: readonly ConfigLayer[], config: GenerationConfig): string[] {
  const warnings: string[] = [];
  if (config.do_sample && config.temperature === 0 && config.num_beams === 1) {
    warnings.push(
      'temperature 0 with do_sample decodes greedily (argmax); Hugging Face refuses temperature 0 ' +
        'when sampling and asks for do_sample=False',
    );
  }
  const ignored = ignoredSamplingSettings(layers, config);
  if (ignored.length > 0) {
    const run =
      strategyOf(config) === 'beam'
        ? 'this run is beam search'
        : config.do_sample
          ? 'this run decodes greedily (temperature 0)'
          : 'this run decodes greedily (add --do-sample --seed N to sample)';
    warnings.push(
      `${ignored.join(', ')} only ${ignored.length === 1 ? 'applies' : 'apply'} when sampling; ${run}`,
    );
  }
  return warnings;
}

/** Resolve the layers; print each warning as one line on stderr. */
function resolveAndWarn(layers: ConfigLayer[], values: DecodeValues, vocabSize: number): GenerationConfig {
  if (values['generation-config'] !== undefined) layers.push(fileLayer(values['generation-config']));
  layers.push(cliLayer(values));
  const config = resolveGenerationConfig(layers, vocabSize);
  for (const warning of configWarnings(layers, config))
    process.stderr.write(`decode-harness: warning: ${warning}\n`);
  return config;
}

/** Resolve the decode config: model generation_config.json < --generation-config FILE < flags. */
export function generationConfigFrom(values: DecodeValues, model: ModelDir): GenerationConfig {
  const modelFile = `${model.path}/generation_config.json`;
  const modelLayer = {
    values: { ...model.generationConfig, eos_token_id: eosTokenIds(model) },
    label: fileLabel(modelFile),
  };
  return resolveAndWarn([modelLayer], values, model.config.vocab_size);
}

/**
 * A toy distribution's decode config: no model file, no eos, and one step unless --max-new-tokens
 * says more (a toy has no context: every step reads the same numbers, with a coin of its own).
 */
export function toyGenerationConfig(values: DecodeValues, vocabSize: number): GenerationConfig {
  return resolveAndWarn(
    [{ values: { max_new_tokens: 1 }, label: (field) => `toy ${field}` }],
    values,
    vocabSize,
  );
}
