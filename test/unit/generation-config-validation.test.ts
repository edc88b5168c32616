import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../harness/app/cli/args.ts';
import {
  DECODE_OPTIONS,
  DECODE_OPTIONS_HELP,
  generationConfigFrom,
} from '../../harness/app/cli/decode-options.ts';
import { UsageError } from '../../harness/core/errors.ts';
import {
  cliLabel,
  GENERATION_FIELDS,
  GENERATION_OPTIONS,
  HF_DEFAULTS,
  strategyOf,
} from '../../harness/engine/decode/generation-config.ts';
import { resolveGenerationConfig } from '../../harness/engine/decode/resolve-generation-config.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';

const scratch = mkdtempSync(join(tmpdir(), 'decode-harness-genconfig-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const resolve = (values: Record<string, unknown>) =>
  resolveGenerationConfig([{ values, label: cliLabel }], 50257);

function refusal(values: Record<string, unknown>): string {
  try {
    resolve(values);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(values)}`);
}

describe('generation config: every combination rule', () => {
  it('refuses beam sampling', () => {
    expect(refusal({ num_beams: 2, do_sample: true, seed: 1 })).toMatch(
      /^--num-beams 2 with do_sample is beam sampling, which is not supported/,
    );
  });

  it('refuses sampling without a seed', () => {
    expect(refusal({ do_sample: true })).toMatch(/^sampling needs --seed N/);
  });

  it('refuses mt19937 with top_p or min_p (transformers.js has neither)', () => {
    expect(refusal({ do_sample: true, seed: 1, rng: 'mt19937', top_p: 0.9 })).toMatch(
      /^--rng mt19937 reproduces transformers\.js, which ignores top_p/,
    );
    expect(refusal({ do_sample: true, seed: 1, rng: 'mt19937', min_p: 0.1 })).toMatch(
      /^--rng mt19937 reproduces transformers\.js/,
    );
    expect(resolve({ do_sample: true, seed: 1, rng: 'mt19937', top_k: 5 }).rng).toBe('mt19937');
  });

  it('refuses several returned sequences from greedy, and more than num_beams from beam search', () => {
    expect(refusal({ num_return_sequences: 2 })).toMatch(
      /^--num-return-sequences 2 needs sampling or beam search/,
    );
    expect(refusal({ num_beams: 2, num_return_sequences: 3 })).toMatch(
      /^--num-return-sequences 3 is more than --num-beams 2/,
    );
    expect(resolve({ num_beams: 3, num_return_sequences: 3 }).num_return_sequences).toBe(3);
    expect(resolve({ do_sample: true, seed: 1, num_return_sequences: 4 }).num_return_sequences).toBe(4);
  });

  it('refuses min_new_tokens above max_new_tokens', () => {
    expect(refusal({ min_new_tokens: 5, max_new_tokens: 4 })).toMatch(
      /^--min-new-tokens 5 exceeds --max-new-tokens 4/,
    );
    expect(resolve({ min_new_tokens: 4, max_new_tokens: 4 }).min_new_tokens).toBe(4);
  });

  it('temperature 0 is greedy, with or without do_sample', () => {
    expect(strategyOf(resolve({ temperature: 0 }))).toBe('greedy');
    expect(strategyOf(resolve({ temperature: 0, do_sample: true, seed: 1 }))).toBe('greedy');
    expect(refusal({ temperature: -0.1 })).toMatch(
      /^--temperature -0\.1 must be a number ≥ 0 \(0 means greedy\)/,
    );
  });
});

describe('generation config: every field range', () => {
  const cases: [string, unknown, RegExp][] = [
    ['max_new_tokens', 0, /must be a whole number ≥ 1/],
    ['max_new_tokens', 2.5, /must be a whole number ≥ 1/],
    ['min_new_tokens', -1, /must be a whole number ≥ 0/],
    ['top_k', -1, /must be a whole number ≥ 0/],
    ['no_repeat_ngram_size', 1.5, /must be a whole number ≥ 0/],
    ['num_beams', 65, /must be a whole number from 1 to 64/],
    ['num_return_sequences', 0, /must be a whole number from 1 to 64/],
    ['do_sample', 'yes', /must be true or false/],
    ['top_p', 0, /must be in \(0, 1\]/],
    ['top_p', 1.5, /must be in \(0, 1\]/],
    ['min_p', 2, /must be in \[0, 1\]/],
    ['repetition_penalty', 0, /must be a number > 0/],
    ['length_penalty', Number.POSITIVE_INFINITY, /must be a finite number/],
    ['early_stopping', 'sometimes', /must be true, false or "never"/],
    ['eos_token_id', 50257, /below vocab_size 50257/],
    ['stop_strings', [''], /must be a non-empty string or a list of them/],
    ['seed', -1, /must be a whole number in \[0, 2\^53 - 1\]/],
    ['rng', 'dice', /"dice" is unknown; use one of alea, /],
  ];
  it.each(cases)('%s %j is refused, naming the flag', (field, value, message) => {
    const text = refusal({ [field]: value });
    expect(text.startsWith(cliLabel(field))).toBe(true);
    expect(text).toMatch(message);
  });
});

describe('--generation-config FILE between the model and the flags', () => {
  it("the file's values apply over the model's generation_config.json, and flags over the file", async () => {
    const model = await loadModelDir('tiny-gpt2');
    const file = join(scratch, 'gen.json');
    writeFileSync(
      file,
      JSON.stringify({ do_sample: true, seed: 7, top_k: 10, temperature: 0.5, unknown_field: 1 }),
    );
    const from = (...argv: string[]) =>
      generationConfigFrom(
        parseCommandArgs('generate', ['--generation-config', file, ...argv], DECODE_OPTIONS).values,
        model,
      );
    const fromFile = from();
    expect(fromFile).toMatchObject({ do_sample: true, seed: 7, top_k: 10, temperature: 0.5 });
    expect(fromFile.eos_token_id).toEqual([50256]); // the model's own
    expect(from('--top-k', '3', '--seed', '9')).toMatchObject({ top_k: 3, seed: 9, temperature: 0.5 });
  });

  it('a bad value in the file is named by the file and the field', async () => {
    const model = await loadModelDir('tiny-gpt2');
    const file = join(scratch, 'bad.json');
    writeFileSync(file, JSON.stringify({ top_p: 2 }));
    expect(() => generationConfigFrom({ 'generation-config': file }, model)).toThrow(
      `${file}: top_p 2 must be in (0, 1]`,
    );
  });
});

describe('the option table is the one declaration of every option', () => {
  it('derives the defaults, the flags, the help and the golden keys from its rows', () => {
    for (const field of GENERATION_FIELDS) {
      const row = GENERATION_OPTIONS[field];
      expect(HF_DEFAULTS[field]).toEqual(row.default);
      const flag = cliLabel(field).slice(2);
      expect(flag in DECODE_OPTIONS, flag).toBe(row.flag !== null);
      if (row.flag !== null)
        expect(DECODE_OPTIONS_HELP).toContain(
          `${cliLabel(field)}${row.flag.help ? ` ${row.flag.help}` : ''}`,
        );
      // Each row's check accepts its own default (where a default is a value at all).
      if (row.default !== null) expect(row.check(row.default, cliLabel(field), 50257)).toEqual(row.default);
    }
    expect(Object.keys(resolve({}))).toEqual(GENERATION_FIELDS);
  });

  it("the transformers.js column refuses exactly the rows it marks, with the row's reason", () => {
    for (const field of GENERATION_FIELDS) {
      const row = GENERATION_OPTIONS[field];
      if (row.transformersJs === 'reproduced') continue;
      const value = field === 'top_p' ? 0.9 : 0.1;
      expect(refusal({ do_sample: true, seed: 1, rng: 'mt19937', [field]: value })).toContain(
        `which ${row.transformersJs.refused} (${field} ${value}); drop ${cliLabel(field)}`,
      );
    }
  });
});

describe('options added after golden@1 (typical_p, epsilon_cutoff, eta_cutoff)', () => {
  it('are flags with their ranges, and no-ops by default', () => {
    expect(refusal({ typical_p: 0 })).toMatch(/^--typical-p 0 must be in \(0, 1\]/);
    expect(refusal({ epsilon_cutoff: 1 })).toMatch(/^--epsilon-cutoff 1 must be in \[0, 1\)/);
    expect(refusal({ eta_cutoff: -0.1 })).toMatch(/^--eta-cutoff -0\.1 must be in \[0, 1\)/);
    const config = resolve({});
    expect([config.typical_p, config.epsilon_cutoff, config.eta_cutoff]).toEqual([1, 0, 0]);
    for (const field of ['typical_p', 'epsilon_cutoff', 'eta_cutoff'] as const) {
      expect(GENERATION_OPTIONS[field].golden).toBe('defaulted');
    }
  });
});
