import { describe, expect, it } from 'vitest';
import { type Script, ScriptedSource } from '../../backends/scripted/scripted-source.ts';
import { logitsOfProbs, tableScript } from '../../backends/scripted/table-script.ts';
import { type GenerationConfig, HF_DEFAULTS } from '../../harness/engine/decode/generation-config.ts';
import { checkCase } from '../../harness/engine/golden/check-case.ts';
import type { Golden } from '../../harness/engine/golden/golden-schema.ts';
import { parseGolden } from '../../harness/engine/golden/parse-golden.ts';
import { goldenProvenance } from '../../harness/engine/golden/provenance.ts';
import { recordCase } from '../../harness/engine/golden/record-case.ts';
import type { Tokenizer } from '../../harness/engine/model/tokenizer.ts';

/**
 * The check rule on scripted backends: a "reference" script records the golden, a second script
 * plays a float32 backend whose logits differ by a hair (a labelled flip that passes) or by a real
 * amount (a failure that names the step).
 */
const PROMPT = [3];
const tokenizer: Tokenizer = {
  encode: () => [...PROMPT],
  decode: (ids) => ids.join(' '),
  tokenText: (id) => String(id),
  partialBytes: () => null,
};
const identity = { name: 'scripted', sha256: '0'.repeat(64), files: {} };

async function record(script: Script, config: Partial<GenerationConfig>): Promise<Golden> {
  const reference = new ScriptedSource(script, { vocabSize: 4 });
  const golden = await recordCase(
    reference,
    tokenizer,
    identity,
    { id: 'case', promptText: '3', promptIds: PROMPT, config: { ...HF_DEFAULTS, ...config } },
    goldenProvenance(reference.info, ['record']),
  );
  return parseGolden(JSON.parse(JSON.stringify(golden)), 'case.json'); // what record writes must load
}

const float32 = (script: Script) => new ScriptedSource(script, { vocabSize: 4, dtype: 'float32' });

describe('greedy: identical, near-tie, or a failure at the step', () => {
  // Tokens 1 and 2 tie up to `gap` at the first step; afterwards every row is the same.
  const script =
    (gap: number): Script =>
    (context) =>
      context.length === 1 ? [0, 1, 1 - gap, -1] : [0, -1, 0.5, 2];

  it('passes with identical tokens and reports a zero deviation', async () => {
    const golden = await record(script(1e-5), { max_new_tokens: 3 });
    expect(golden.expected.sequences[0]!.steps[0]!.margin).toBeCloseTo(1e-5, 12);
    const outcome = await checkCase(float32(script(1e-5)), { file: 'case.json', golden });
    expect(outcome).toMatchObject({ passed: true, mismatch: null, maxLogprobDeviation: 0, failures: [] });
  });

  it('labels a flip at a top-2 margin within tolerance a near-tie, and passes', async () => {
    const golden = await record(script(1e-5), { max_new_tokens: 3 });
    const outcome = await checkCase(float32(script(-1e-5)), { file: 'case.json', golden });
    expect(outcome.passed).toBe(true);
    expect(outcome.mismatch).toMatchObject({
      at: { sequence: 0, step: 0 },
      golden: 1,
      ours: 2,
      label: 'near-tie',
    });
    expect(outcome.mismatch!.margin).toBeCloseTo(1e-5, 12);
    expect(outcome.mismatch!.tolerance).toBe(4e-4);
  });

  it('fails a flip at a margin beyond tolerance, naming the step, both tokens and the margin', async () => {
    const golden = await record(script(0.05), { max_new_tokens: 3 });
    const outcome = await checkCase(float32(script(-0.05)), { file: 'case.json', golden });
    expect(outcome.passed).toBe(false);
    expect(outcome.mismatch!.label).toBeNull();
    expect(outcome.failures[0]).toMatch(
      /^step 0: token 2, golden 1; golden margin 5\.00e-2 \(step 0 top-2 gap\) > tolerance 4\.00e-4: not float noise/,
    );
    // The teacher-forced comparison sees the 0.1 change too, at the same step.
    expect(outcome.deviationAt).toEqual({ sequence: 0, step: 0 });
    expect(outcome.failures[1]).toMatch(
      /^step 0: teacher-forced token \d: logprob .* > tolerance 2\.00e-4\)/,
    );
  });

  it('a small golden margin does not excuse a large logit error: teacher forcing catches it', async () => {
    const golden = await record(script(1e-5), { max_new_tokens: 3 });
    const outcome = await checkCase(float32(script(-0.1)), { file: 'case.json', golden });
    expect(outcome.mismatch!.label).toBe('near-tie');
    expect(outcome.passed).toBe(false);
    expect(outcome.failures).toHaveLength(1);
    expect(outcome.failures[0]).toMatch(/^step 0: teacher-forced/);
  });
});

describe('sampling: a coin at a CDF edge is labelled cdf-boundary; a different coin is an RNG fault', () => {
  // alea, seed 42: the first coin is 0.6848634964661496 (fixtures/rng/seedrandom-vectors.json).
  const coin = 0.6848634964661496;
  // Candidate order is 1, 2, 3 (descending probability); token 1's interval is [0, coin + edge), so
  // the coin sits `edge` below the boundary between tokens 1 and 2.
  const script = (edge: number) => tableScript(1, {}, [0, coin + edge, 0.2, 0.8 - coin - edge]);
  const sample = { max_new_tokens: 1, do_sample: true, top_k: 0, seed: 42 };

  it('records the coin and the interval', async () => {
    const golden = await record(script(1e-6), sample);
    const step = golden.expected.sequences[0]!.steps[0]!;
    expect(step).toMatchObject({ id: 1, coin });
    expect(step.cdf![0]).toBe(0);
    expect(step.cdf![1] - coin).toBeCloseTo(1e-6, 9);
  });

  it('passes a flip where the coin was within cdfBoundary of the edge, labelled cdf-boundary', async () => {
    const golden = await record(script(1e-6), sample);
    const outcome = await checkCase(float32(script(-1e-6)), { file: 'case.json', golden });
    expect(outcome.passed).toBe(true);
    expect(outcome.mismatch).toMatchObject({ golden: 1, ours: 2, label: 'cdf-boundary' });
    expect(outcome.mismatch!.margin).toBeCloseTo(1e-6, 9);
  });

  it('fails when the coins differ: the RNG stream changed, which no tolerance covers', async () => {
    const golden = await record(script(0.05), sample);
    const tampered = { ...golden, config: { ...golden.config, seed: 43 } };
    const outcome = await checkCase(float32(script(0.05)), { file: 'case.json', golden: tampered });
    expect(outcome.passed).toBe(false);
    expect(outcome.failures.join('\n')).toMatch(
      /step 0: coin .*, golden 0\.684863.*: the alea stream for seed 43 differs/,
    );
  });
});

describe('beam: a flip explained by a near-tie at a beam cut', () => {
  // Step 0: [1] 0.5 is kept; [2] and [3] tie up to `gap` for the second beam slot. The runner-up's
  // continuation is much better ([3,1] 0.2475 > [1,1] 0.2), so which one survives decides the result.
  const script = (gap: number) =>
    tableScript(
      1,
      { '': [0, 0.5, 0.25, 0.25 - gap], '3': [0, 0.99, 0.01, 0], '1': [0, 0.4, 0.35, 0.25] },
      [0, 0.5, 0.5, 0],
    );
  const config = { max_new_tokens: 2, num_beams: 2 };

  it('records per-step cut margins', async () => {
    const golden = await record(script(1e-6), config);
    expect(golden.expected.sequences[0]!.tokenIds).toEqual([1, 1]);
    const [cut] = golden.expected.beamMargins!;
    expect(cut).toBeCloseTo(Math.log(0.25) - Math.log(0.25 - 1e-6), 12);
  });

  it('labels the flip a near-tie when the cut margin is within tolerance', async () => {
    const golden = await record(script(1e-6), config);
    const outcome = await checkCase(float32(script(-1e-6)), { file: 'case.json', golden });
    expect(outcome.mismatch).toMatchObject({
      at: { sequence: 0, step: 0 },
      golden: 1,
      ours: 3,
      label: 'near-tie',
    });
    expect(outcome.mismatch!.marginAt).toBe('beam step 0 cut');
    expect(outcome.passed).toBe(true);
  });

  it('fails it when the cut was decided by a clear margin', async () => {
    const golden = await record(script(0.05), config);
    const flipped = tableScript(
      1,
      { '': [0, 0.5, 0.2, 0.3], '3': [0, 0.99, 0.01, 0], '1': [0, 0.4, 0.35, 0.25] },
      [0, 0.5, 0.5, 0],
    );
    const outcome = await checkCase(float32(flipped), { file: 'case.json', golden });
    expect(outcome.passed).toBe(false);
    expect(outcome.failures[0]).toMatch(/^step 0: token 3, golden 1; golden margin .* > tolerance/);
  });
});

it('logitsOfProbs writes zero probabilities as -1000, which decodes to probability 0', () => {
  expect(logitsOfProbs([0.5, 0])).toEqual([Math.log(0.5), -1000]);
});
