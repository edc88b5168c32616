import * as v from 'valibot';
import { strategyOf } from '../decode/generation-config.ts';
import { fileLabel, resolveGenerationConfig } from '../decode/resolve-generation-config.ts';
import { UsageError } from '../errors.ts';
import { GOLDEN_SCHEMA, type Golden, goldenSchema } from './golden-schema.ts';

/** What to do about a golden that cannot be trusted: they are never hand-edited, so re-record. */
const FIX = 're-record it with `decode-harness record --model <model> --yes` (goldens are never hand-edited)';

function invalid(file: string, field: string, problem: string): never {
  throw new UsageError(`${file}: ${field}: ${problem}; ${FIX}`);
}

/**
 * Validate a parsed golden file: the schema tag first (so a file from another harness version gets
 * one clear message), then every field's type with valibot, then what types cannot say (a step per
 * token, the strategy the config implies, a valid decode config). Errors name the file and the field.
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
  const golden = parsed.output;
  checkConsistency(golden, file);
  return golden;
}

function checkConsistency(golden: Golden, file: string): void {
  // The decode config's own rules (sampling needs a seed, num_return_sequences ≤ num_beams, ...).
  // The vocabulary bound is checked against the model when the golden's model sha is compared.
  resolveGenerationConfig([{ values: golden.config, label: fileLabel(`${file}: config`) }], Infinity);
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
