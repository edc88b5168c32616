import * as v from 'valibot';
import { UsageError } from '../../core/errors.ts';
import { type GenerationConfig, strategyOf } from '../decode/generation-config.ts';
import { resolveGenerationConfig } from '../decode/resolve-generation-config.ts';
import { GOLDEN_SCHEMA, type Golden, type GoldenSequence, goldenSchema } from './golden-schema.ts';
import { goldenTolerances } from './golden-tolerances.ts';

/** What to do about a golden that cannot be trusted: they are never hand-edited, so re-record. */
const FIX = 're-record it with `decode-harness record --model <model> --yes` (goldens are never hand-edited)';

function invalid(file: string, field: string, problem: string): never {
  throw new UsageError(`${file}: ${field}: ${problem}; ${FIX}`);
}

/**
 * Validate a parsed golden file: the schema tag first (so a file from another harness version gets
 * one clear message), then every field's type with valibot, then what types cannot say (a step per
 * token, the strategy the config implies, a valid decode config), then every number that the
 * recorded method derives from others (tolerances from the config, totals from the steps), so a
 * hand-edited golden cannot loosen its own check. Errors name the file and the field.
 */
export function parseGolden(raw: unknown, file: string): Golden {
  const tag = typeof raw === 'object' && raw !== null ? (raw as { schema?: unknown }).schema : undefined;
  if (tag !== GOLDEN_SCHEMA) {
    invalid(file, 'schema', `${JSON.stringify(tag) ?? 'missing'} is not ${JSON.stringify(GOLDEN_SCHEMA)}`);
  }
  const parsed = v.safeParse(goldenSchema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    invalid(
      file,
      v.getDotPath(issue) ?? '(top level)',
      issue.input === undefined ? 'missing' : issue.message,
    );
  }
  // The decode config's own rules (sampling needs a seed, num_return_sequences ≤ num_beams, ...).
  // The vocabulary bound is checked against the model when the golden's model sha is compared.
  const config = resolvedConfig(parsed.output.config, file);
  const golden: Golden = { ...parsed.output, config };
  checkConsistency(golden, file);
  checkTolerances(golden, file);
  for (const [s, sequence] of golden.expected.sequences.entries()) {
    checkDerivedNumbers(sequence, `expected.sequences.${s}`, file);
  }
  return golden;
}

/** The stored config through the resolver every source of settings goes through, or why not. */
function resolvedConfig(stored: Record<string, unknown>, file: string): GenerationConfig {
  try {
    const label = (field: string) => `${file}: config.${field}`;
    return resolveGenerationConfig([{ values: stored, label }], Number.POSITIVE_INFINITY);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${error.message}; ${FIX}`);
    throw error;
  }
}

/** The tolerances are the code's for this config, never the file's own say. */
function checkTolerances(golden: Golden, file: string): void {
  const derived = goldenTolerances(golden.config);
  for (const kind of Object.keys(derived) as (keyof typeof derived)[]) {
    for (const dtype of Object.keys(derived[kind]) as (keyof (typeof derived)[typeof kind])[]) {
      const stored = golden.tolerances[kind][dtype];
      if (stored !== derived[kind][dtype]) {
        invalid(
          file,
          `tolerances.${kind}.${dtype}`,
          `${stored} but this version derives ${derived[kind][dtype]} for the case's config ` +
            '(the file was edited, or recorded by another version)',
        );
      }
    }
  }
}

/** Numbers the recorder computes from others must be exactly what that computation gives. */
function checkDerivedNumbers(sequence: GoldenSequence, at: string, file: string): void {
  // Summed in step order, as the decoders do, so the double is reproduced bit for bit.
  const total = sequence.steps.reduce((sum, step) => sum + step.logprob, 0);
  if (sequence.totalLogprob !== total) {
    invalid(file, `${at}.totalLogprob`, `${sequence.totalLogprob} but its steps' logprobs sum to ${total}`);
  }
  for (const [n, step] of sequence.steps.entries()) {
    const listed = step.top.find(([id]) => id === step.id);
    if (listed !== undefined && listed[1] !== step.logprob) {
      invalid(file, `${at}.steps.${n}.logprob`, `${step.logprob} but its top list gives ${listed[1]}`);
    }
    for (let k = 1; k < step.top.length; k++) {
      if (step.top[k]![1] > step.top[k - 1]![1]) {
        invalid(file, `${at}.steps.${n}.top.${k}`, 'ranks above the candidate before it');
      }
    }
    if (step.coin !== undefined && step.cdf !== undefined) {
      const [low, high] = step.cdf;
      if (!(low <= step.coin && step.coin <= high && high <= 1 + 1e-12)) {
        invalid(file, `${at}.steps.${n}.cdf`, `[${low}, ${high}) does not hold the coin ${step.coin}`);
      }
    }
  }
}

function checkConsistency(golden: Golden, file: string): void {
  const strategy = strategyOf(golden.config);
  if (golden.expected.strategy !== strategy) {
    invalid(file, 'expected.strategy', `${golden.expected.strategy} but the config decodes as ${strategy}`);
  }
  const { sequences } = golden.expected;
  const wanted = strategy === 'greedy' ? 1 : golden.config.num_return_sequences;
  if (sequences.length !== wanted) {
    invalid(file, 'expected.sequences', `${sequences.length} sequences but the config returns ${wanted}`);
  }
  for (const [s, sequence] of sequences.entries()) {
    const at = `expected.sequences.${s}`;
    if (sequence.steps.length !== sequence.tokenIds.length) {
      invalid(file, `${at}.steps`, `${sequence.steps.length} steps for ${sequence.tokenIds.length} tokens`);
    }
    if (sequence.tokenIds.length > golden.config.max_new_tokens) {
      invalid(file, `${at}.tokenIds`, `more tokens than max_new_tokens ${golden.config.max_new_tokens}`);
    }
    for (const [n, step] of sequence.steps.entries()) {
      if (step.id !== sequence.tokenIds[n]) {
        invalid(file, `${at}.steps.${n}.id`, `${step.id} but tokenIds[${n}] is ${sequence.tokenIds[n]}`);
      }
      const sampled = step.coin !== undefined && step.cdf !== undefined;
      if (sampled !== (strategy === 'sample')) {
        invalid(
          file,
          `${at}.steps.${n}`,
          `coin and cdf are ${sampled ? 'present' : 'missing'} in a ${strategy} case`,
        );
      }
      if (strategy === 'greedy' && step.margin === undefined) {
        invalid(file, `${at}.steps.${n}.margin`, 'missing (greedy steps record their top-2 margin)');
      }
    }
    if (strategy === 'beam' && sequence.score === undefined) invalid(file, `${at}.score`, 'missing');
  }
  if (
    strategy === 'beam' &&
    (golden.expected.beamMargins === undefined || golden.expected.rankMargin === undefined)
  ) {
    invalid(file, 'expected.beamMargins', 'missing (beam cases record their decision margins)');
  }
}
