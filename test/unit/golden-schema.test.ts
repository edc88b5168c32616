import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../harness/core/errors.ts';
import { loadCaseList } from '../../harness/engine/golden/case-list.ts';
import {
  DEFAULT_CASE_LIST,
  defaultGoldenDir,
  readGoldenDir,
  readGoldenFile,
} from '../../harness/engine/golden/golden-dir.ts';
import { stringifyForReview } from '../../harness/engine/golden/golden-json.ts';
import { parseGolden } from '../../harness/engine/golden/parse-golden.ts';
import { assertGoldensMatchModel } from '../../harness/engine/golden/run-check.ts';
import type { FileIdentity } from '../../harness/engine/model/model-identity.ts';

const scratch = mkdtempSync(join(tmpdir(), 'decode-harness-golden-schema-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const COMMITTED = join(defaultGoldenDir('tiny-gpt2'), 'greedy--fox.json');
const SAMPLED = join(defaultGoldenDir('tiny-gpt2'), 'sample-t0.7--fox.json');
// biome-ignore lint/suspicious/noExplicitAny: tests poke at arbitrary fields of raw JSON
const raw = (file = COMMITTED): any => JSON.parse(readFileSync(file, 'utf8'));

function parseError(value: unknown): UsageError {
  try {
    parseGolden(value, 'x.json');
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('parseGolden accepted an invalid golden');
}

describe('golden schema validation', () => {
  it('accepts every committed golden, and stringifyForReview round-trips one exactly', () => {
    const goldens = readGoldenDir(defaultGoldenDir('tiny-gpt2'), 'tiny-gpt2');
    expect(goldens.length).toBeGreaterThanOrEqual(30);
    const golden = readGoldenFile(COMMITTED).golden;
    expect(JSON.parse(stringifyForReview(golden))).toEqual(golden);
    expect(readFileSync(COMMITTED, 'utf8')).toBe(`${stringifyForReview(raw())}\n`);
  });

  it('a golden written before an option existed means its default (a defaulted field)', () => {
    const old = raw(SAMPLED);
    expect('typical_p' in old.config).toBe(false);
    const golden = parseGolden(old, 'x.json');
    expect([golden.config.typical_p, golden.config.epsilon_cutoff, golden.config.eta_cutoff]).toEqual([
      1, 0, 0,
    ]);
    expect(parseError({ ...old, config: { ...old.config, typical_p: 1.5 } }).message).toMatch(
      /^x\.json: config\.typical_p 1\.5 must be in \(0, 1\]/,
    );
  });

  it('rejects another schema tag first, naming the file, the tag and the fix', () => {
    const bad = { ...raw(), schema: 'decode-harness/golden@0' };
    const error = parseError(bad);
    expect(error.message).toMatch(
      /^x\.json: schema: "decode-harness\/golden@0" is not "decode-harness\/golden@1"/,
    );
    expect(error.message).toContain('re-record');
    expect(error.exitCode).toBe(2);
    expect(parseError([]).message).toContain('x.json: schema: missing');
  });

  it('rejects a missing field, naming its path', () => {
    const bad = raw();
    delete bad.expected.sequences[0].steps[2].logprob;
    expect(parseError(bad).message).toMatch(
      /^x\.json: expected\.sequences\.0\.steps\.2\.logprob: missing; re-record/,
    );
    const noProvenance = raw();
    delete noProvenance.provenance;
    expect(parseError(noProvenance).message).toMatch(/^x\.json: provenance: missing/);
  });

  it('rejects a wrong type, naming its path', () => {
    const bad = raw();
    bad.config.temperature = 'hot';
    expect(parseError(bad).message).toMatch(
      /^x\.json: config\.temperature "hot" must be a number ≥ 0 \(0 means greedy\); re-record it/,
    );
    const badTop = raw();
    badTop.expected.sequences[0].steps[0].top[1] = [1, 2, 3];
    expect(parseError(badTop).message).toMatch(/expected\.sequences\.0\.steps\.0\.top\.1/);
    const badSha = raw();
    badSha.model.sha256 = 'abc';
    expect(parseError(badSha).message).toMatch(/model\.sha256: Invalid sha256/);
  });

  it('rejects an unknown field (strict objects: a typo never passes silently)', () => {
    const bad = raw();
    bad.expected.sequences[0].steps[0].logprb = -1;
    expect(parseError(bad).message).toMatch(/expected\.sequences\.0\.steps\.0\.logprb/);
  });

  it('rejects what types cannot say: a step that is not its token, a strategy the config does not give', () => {
    const wrongId = raw();
    wrongId.expected.sequences[0].steps[3].id += 1;
    expect(parseError(wrongId).message).toMatch(
      /expected\.sequences\.0\.steps\.3\.id: \d+ but tokenIds\[3\] is \d+/,
    );
    const wrongStrategy = raw();
    wrongStrategy.config.num_beams = 2;
    expect(parseError(wrongStrategy).message).toMatch(
      /expected\.strategy: greedy but the config decodes as beam/,
    );
    const noCoin = raw(SAMPLED);
    delete noCoin.expected.sequences[0].steps[4].coin;
    expect(parseError(noCoin).message).toMatch(/steps\.4: coin and cdf are missing in a sample case/);
    const badConfig = raw();
    badConfig.config.top_p = 2;
    expect(parseError(badConfig).message).toMatch(/x\.json: config\.top_p 2 must be in \(0, 1\]/);
  });

  it('readGoldenFile names a file whose id does not match its name, and unparseable JSON', () => {
    const renamed = join(scratch, 'other-name.json');
    writeFileSync(renamed, JSON.stringify(raw()));
    expect(() => readGoldenFile(renamed)).toThrow(
      /id "greedy--fox" does not match the file name; rename it to greedy--fox\.json/,
    );
    const broken = join(scratch, 'broken.json');
    writeFileSync(broken, '{"schema": ');
    expect(() => readGoldenFile(broken)).toThrow(/broken\.json: .*JSON/);
  });

  it('a missing or empty golden dir is bad input (exit 2) that says how to record', () => {
    const missing = join(scratch, 'nope');
    expect(() => readGoldenDir(missing, 'tiny-gpt2')).toThrow(
      new RegExp(
        `golden dir ${missing} does not exist; record them with \`decode-harness record --model tiny-gpt2\``,
      ),
    );
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    expect(() => readGoldenDir(empty, 'tiny-gpt2')).toThrow(/holds no \*\.json goldens/);
  });
});

describe('a hand-edited golden cannot loosen its own check', () => {
  it('refuses stored tolerances that differ from the ones the code derives for the config', () => {
    const bad = raw();
    bad.tolerances.logprobAbs.float32 = 1e9;
    const message = parseError(bad).message;
    expect(message).toMatch(
      /^x\.json: tolerances\.logprobAbs\.float32: 1000000000 but this version derives 0\.0002 /,
    );
    expect(message).toContain('re-record');
    const looser = raw(SAMPLED);
    looser.tolerances.cdfBoundary.float16 *= 2;
    expect(parseError(looser).message).toContain('tolerances.cdfBoundary.float16');
  });

  it('refuses a totalLogprob that is not the sum of its steps, and a step logprob its top list contradicts', () => {
    const total = raw();
    total.expected.sequences[0].totalLogprob += 5;
    expect(parseError(total).message).toMatch(
      /expected\.sequences\.0\.totalLogprob: .* but its steps' logprobs sum to/,
    );

    const shifted = raw();
    const [sequence] = shifted.expected.sequences;
    for (const step of sequence.steps) step.logprob += 5; // every logprob moved, total kept in step
    sequence.totalLogprob = sequence.steps.reduce(
      (s: number, step: { logprob: number }) => s + step.logprob,
      0,
    );
    expect(parseError(shifted).message).toMatch(
      /expected\.sequences\.0\.steps\.0\.logprob: .* but its top list gives/,
    );
  });

  it('refuses a top list out of rank order and a coin outside its CDF interval', () => {
    const unordered = raw();
    unordered.expected.sequences[0].steps[0].top.reverse();
    expect(parseError(unordered).message).toMatch(/steps\.0\.top\.1: ranks above the candidate before it/);
    const coin = raw(SAMPLED);
    const step = coin.expected.sequences[0].steps[0];
    step.coin = step.cdf[1] + 0.01 > 1 ? step.cdf[0] / 2 : step.cdf[1] + 0.01;
    expect(parseError(coin).message).toMatch(/steps\.0\.cdf: .* does not hold the coin/);
  });
});

describe('model identity of goldens', () => {
  const golden = readGoldenFile(COMMITTED);
  const identity: FileIdentity = {
    name: 'tiny-gpt2',
    sha256: golden.golden.model.sha256,
    files: golden.golden.model.files,
  };

  it('passes goldens recorded on the same model', () => {
    expect(() => assertGoldensMatchModel([golden], identity, 'tiny-gpt2')).not.toThrow();
  });

  it('refuses goldens of another model, naming both shas, the differing file and the fix', () => {
    const other = {
      ...identity,
      sha256: 'f'.repeat(64),
      files: { ...identity.files, 'model.safetensors': 'e'.repeat(64) },
    };
    let error: unknown;
    try {
      assertGoldensMatchModel([golden], other, './my-export');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as UsageError).message;
    expect(message).toContain(golden.golden.model.sha256);
    expect(message).toContain('f'.repeat(64));
    expect(message).toContain('differing: model.safetensors');
    expect(message).toContain('re-record with `decode-harness record --model ./my-export --yes`');
    expect((error as UsageError).exitCode).toBe(2);
  });
});

describe('case list validation', () => {
  const write = (name: string, value: unknown) => {
    const file = join(scratch, name);
    writeFileSync(file, JSON.stringify(value));
    return file;
  };
  const base = {
    schema: 'decode-harness/golden-cases@1',
    prompts: { fox: 'The quick brown fox' },
    cases: [{ id: 'greedy', prompts: ['fox'], generation: { max_new_tokens: 4 } }],
  };

  it('expands the committed list to one golden per case and prompt', () => {
    const defs = loadCaseList(DEFAULT_CASE_LIST);
    expect(defs.length).toBeGreaterThanOrEqual(30);
    expect(defs.length).toBeLessThanOrEqual(40);
    expect(defs[0]!.id).toBe('greedy--fox');
    expect(new Set(defs.map((d) => d.id)).size).toBe(defs.length);
  });

  it('names the file and field of a bad tag, a bad id, an unknown prompt and a duplicate', () => {
    expect(() => loadCaseList(write('tag.json', { ...base, schema: 'x' }))).toThrow(
      /tag\.json: schema "x" is not/,
    );
    const badId = { ...base, cases: [{ ...base.cases[0], id: 'Greedy Case' }] };
    expect(() => loadCaseList(write('id.json', badId))).toThrow(/id\.json: cases\.0\.id: Invalid name/);
    const unknown = { ...base, cases: [{ ...base.cases[0], prompts: ['cat'] }] };
    expect(() => loadCaseList(write('unknown.json', unknown))).toThrow(
      /cases\.0\.prompts: "cat" is not in prompts \(fox\)/,
    );
    const twice = { ...base, cases: [base.cases[0], base.cases[0]] };
    expect(() => loadCaseList(write('twice.json', twice))).toThrow(/cases\.1: greedy--fox is listed twice/);
    expect(() => loadCaseList(join(scratch, 'absent.json'))).toThrow(
      /--cases .*absent\.json: no such file; give a JSON case list file/,
    );
  });
});
