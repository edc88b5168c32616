import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayWidth } from '../../harness/app/report/display-width.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { type CliRun, runCliAsync } from '../helpers/run-cli.ts';

/**
 * `trace` as a user runs it: the toy distributions of the exercise sheet, the walked distribution
 * with its coin, the beam view, temperature 0 from every source, the warning for sampling flags
 * without --do-sample, and the bad inputs of the new flags. The command lines run two at a time
 * (each is a process start of about a second).
 */
const scratch = mkdtempSync(join(tmpdir(), 'decode-harness-trace-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const EXERCISE = 'the=1.1,quick=0.5,brown=0.85,fox=0.97,jumped=1.2,over=0.3';
const FIVE = 'the=1.1,quick=0.7,brown=0.85,fox=0.9,jumped=1.02';
const MODEL = ['--backend', 'ts:f64', '--prompt', 'The quick'];

/** The refusals a user meets first; every other branch of the two parsers is a unit test (trace-views). */
const BAD: readonly (readonly [string, readonly string[], RegExp])[] = [
  [
    'a pair without =',
    ['--logits', 'the1.1,quick=0.5'],
    /--logits entry "the1.1" has no "="; write NAME=VALUE pairs/,
  ],
  ['a duplicate token', ['--logits', 'a=1,b=2,a=3'], /--logits lists token "a" twice; give each token once/],
  [
    'a negative probability',
    ['--probs', 'a=-0.5,b=1.5'],
    /--probs value for "a" "-0.5" must be a number above 0 to 1/,
  ],
  ['a non-finite probability', ['--probs', 'a=NaN,b=1'], /--probs value for "a" "NaN" must be a number/],
  [
    'a non-finite logit',
    ['--logits', 'a=Infinity,b=1'],
    /--logits value for "a" "Infinity" must be a number in plain decimal/,
  ],
  ['an empty list', ['--logits', ''], /--logits "" lists no tokens/],
  [
    'probabilities off 1',
    ['--probs', 'a=0.5,b=0.4,c=0.2'],
    /--probs "a=0.5,b=0.4,c=0.2" sums to 1.1; .*within 0.01/,
  ],
  [
    '--logits and --probs',
    ['--logits', 'a=1', '--probs', 'a=1'],
    /--logits and --probs both give the distribution/,
  ],
  [
    '--logits with --model',
    ['--logits', 'a=1', '--model', 'tiny-gpt2'],
    /--logits gives its own distribution and runs no model; drop --model/,
  ],
  [
    '--probs with --prompt',
    ['--probs', 'a=1', '--prompt', 'x'],
    /--probs gives its own distribution .*; drop --prompt/,
  ],
  [
    'temperature 0 in a table',
    ['--logits', 'a=1', '--temperatures', '1,0'],
    /--temperatures "0" must be a number from 0.01 to 100/,
  ],
  [
    'a temperature that is no number',
    ['--logits', 'a=1', '--temperatures', '1,warm'],
    /--temperatures "warm" must be a number/,
  ],
  [
    'temperature tables in beam search',
    ['--logits', 'a=1,b=2', '--num-beams', '2', '--temperatures', '1'],
    /--temperatures tables sampling or greedy steps; beam search/,
  ],
];

const runs = new Map<string, Promise<CliRun>>();
const GOOD: Record<string, readonly string[]> = {
  exerciseJson: ['--logits', EXERCISE, '--temperatures', '1,1.95', '--json'],
  fiveText: ['--logits', FIVE, '--temperatures', '0.2'],
  probsSampled: ['--probs', 'a=0.5,b=0.4,c=0.1', '--do-sample', '--seed', '7', '--temperature', '2'],
  modelSampled: [
    ...MODEL,
    '--max-new-tokens',
    '2',
    '--do-sample',
    '--seed',
    '3',
    '--top-k',
    '5',
    '--top',
    '5',
    '--temperatures',
    '1,0.5',
    '--json',
  ],
  modelBeam: [...MODEL, '--max-new-tokens', '2', '--num-beams', '2', '--top', '3'],
  zeroFlag: [...MODEL, '--max-new-tokens', '1', '--do-sample', '--temperature', '0', '--json'],
  zeroFile: [...MODEL, '--max-new-tokens', '1', '--generation-config', join(scratch, 'zero.json'), '--json'],
  zeroModel: [
    '--model',
    join(scratch, 'model'),
    '--backend',
    'ts:f64',
    '--prompt',
    'The quick',
    '--max-new-tokens',
    '1',
    '--json',
  ],
  wideDocument: [
    '--backend',
    'ts:f64',
    '--prompt',
    '日本\tdone\n',
    '--max-new-tokens',
    '1',
    '--top',
    '2',
    '--top-k',
    '1',
  ],
};

/** Start every command line, two at a time: each in a slot, after the one before it there. */
function startAll(): void {
  const lines = [...Object.entries(GOOD), ...BAD.map(([name, args]) => [name, args] as const)];
  const slots: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
  for (const [i, [name, args]] of lines.entries()) {
    const started = slots[i % slots.length]!.then(() => runCliAsync(['trace', ...args]));
    runs.set(name, started);
    slots[i % slots.length] = started;
  }
}

beforeAll(async () => {
  writeFileSync(join(scratch, 'zero.json'), JSON.stringify({ do_sample: true, temperature: 0 }));
  // A copy of tiny-gpt2 whose own generation_config.json asks to sample at temperature 0.
  const tiny = await loadModelDir('tiny-gpt2');
  mkdirSync(join(scratch, 'model', 'onnx'), { recursive: true });
  for (const file of [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'model.safetensors',
    'onnx/model.onnx',
  ]) {
    cpSync(join(tiny.path, file), join(scratch, 'model', file));
  }
  writeFileSync(
    join(scratch, 'model', 'generation_config.json'),
    JSON.stringify({ bos_token_id: 50256, eos_token_id: 50256, do_sample: true, temperature: 0 }),
  );
  startAll();
});

const run = (name: string) => runs.get(name)!;
const ok = async (name: string) => {
  const result = await run(name);
  expect(result.code, result.stderr).toBe(0);
  return result;
};

describe('trace --logits / --probs: a toy vocabulary, no model', () => {
  it('reproduces the exercise at T = 1 and T = 1.95 (to two decimals) and names every token in --json', async () => {
    const out = JSON.parse((await ok('exerciseJson')).stdout);
    expect(out.model).toEqual({ name: 'toy', path: null });
    expect(out.toy.tokens).toEqual(['the', 'quick', 'brown', 'fox', 'jumped', 'over']);
    const rows = out.steps[0].temperatures.rows;
    expect(rows.map((r: { token: string }) => r.token)).toEqual(out.toy.tokens);
    const at = (i: number) => rows.map((r: { at: { prob: number }[] }) => r.at[i]!.prob.toFixed(2));
    expect(at(0)).toEqual(['0.21', '0.12', '0.16', '0.18', '0.23', '0.09']);
    expect(at(1)).toEqual(['0.19', '0.14', '0.17', '0.18', '0.20', '0.13']);
    // Greedy, one step: the argmax, jumped; the walk (raw) and the top list carry token texts.
    expect(out.strategy).toBe('greedy');
    expect(out.steps).toHaveLength(1);
    expect(out.steps[0].token).toBe('jumped');
    expect(out.steps[0].topTokens[0]).toBe('jumped');
    expect(out.steps[0].walk.top.map((c: { token: string }) => c.token)).toEqual([
      'jumped',
      'the',
      'fox',
      'brown',
      'quick',
      'over',
    ]);
  });

  it('prints the T = 0.2 table of the five logits: 0.41 0.06 0.12 0.15 0.27', async () => {
    const { stdout } = await ok('fiveText');
    expect(stdout).toContain('toy vocabulary: 5 tokens, ids under them');
    expect(stdout).toMatch(/id\s+token\s+logit\s+logit\/0\.2\s+p at T=0\.2/);
    const probs = ['the', 'quick', 'brown', 'fox', 'jumped'].map((t) => {
      const row = new RegExp(`"${t}"\\s+-?[\\d.]+\\s+-?[\\d.]+\\s+([\\d.]+)`).exec(stdout)!;
      return Number(row[1]).toFixed(2);
    });
    expect(probs).toEqual(['0.41', '0.06', '0.12', '0.15', '0.27']);
  });

  it('samples the probabilities a/b/c with a coin a person can follow: log(p) / T, cumulative, the row marked', async () => {
    const { stdout } = await ok('probsSampled');
    expect(stdout).toContain("processors, in Hugging Face's order: temperature 2 → top_k 50");
    const coin = Number(/coin u = ([\d.]+) fell in/.exec(stdout)![1]);
    // By hand: softmax(log(p) / 2) = sqrt(p) / Σ sqrt(p); the first row whose cumulative passes u.
    const roots = [0.5, 0.4, 0.1].map(Math.sqrt);
    const total = roots.reduce((a, b) => a + b, 0);
    const cumulative = [roots[0]! / total, (roots[0]! + roots[1]!) / total, 1];
    const expected = ['a', 'b', 'c'][cumulative.findIndex((c) => c > coin)]!;
    expect(stdout).toContain(`step 1: chose "${expected}"`);
    expect(stdout).toMatch(
      new RegExp(`"${expected}"\\s+[\\d.]+\\s+[\\d.]+\\s+[\\d.]+\\s+-[\\d.]+\\s+<- coin`),
    );
    expect(stdout).toMatch(/rank\s+id\s+token\s+raw p\s+p\s+cum\. p\s+raw logprob/);
  });
});

describe('trace on a model', () => {
  it('sampling with top-k 5: the walk is the processed distribution and the coin falls in the chosen row', async () => {
    const out = JSON.parse((await ok('modelSampled')).stdout);
    expect(out.processors).toEqual([{ name: 'top_k', value: 5 }]);
    for (const step of out.steps) {
      const { walk } = step;
      expect(walk.distribution).toBe('processed');
      expect(walk.survivors).toBe(5);
      expect(walk.top).toHaveLength(5);
      expect(walk.top.at(-1).cumulative).toBeCloseTo(1, 12);
      const chosen = walk.top[walk.chosenRank - 1];
      expect(chosen.id).toBe(step.id);
      expect(chosen.cumulative - chosen.prob).toBeLessThanOrEqual(step.coin);
      expect(step.coin).toBeLessThan(chosen.cumulative);
      expect(typeof chosen.token).toBe('string');
      // Renormalised over the five: processed p = raw p / (raw mass of the five).
      const mass = walk.top.reduce((s: number, c: { rawLogprob: number }) => s + Math.exp(c.rawLogprob), 0);
      expect(chosen.prob).toBeCloseTo(Math.exp(chosen.rawLogprob) / mass, 12);
      // At T = 1 the temperature table is the raw distribution; at 0.5, p ∝ raw p².
      const [best] = step.temperatures.rows;
      expect(best.at[0].prob).toBeCloseTo(Math.exp(step.top[0][1]), 12);
      expect(best.at[1].adjusted).toBeCloseTo(best.logit * 2, 12);
    }
  });

  it('beam search: the ranked pairs with parent beam, total and fate, then the finished hypotheses', async () => {
    const { stdout } = await ok('modelBeam');
    expect(stdout).toMatch(/rank\s+beam\s+id\s+token\s+logprob\s+total\s+fate/);
    expect(stdout).toContain('beam 0: the prompt alone (total logprob 0)');
    expect(stdout).toContain('kept as beam 1');
    expect(stdout).toContain('dropped: cut (2 beams already kept)');
    expect(stdout).toMatch(/finished hypotheses, best first: score = total logprob \/ length\^1/);
    expect(stdout).toMatch(/rank\s+continuation\s+total\s+length\s+score\s+ended by/);
  });

  it.each([
    ['the flag', 'zeroFlag'],
    ['a --generation-config file', 'zeroFile'],
    ["the model's generation_config.json", 'zeroModel'],
  ])('temperature 0 with do_sample from %s decodes greedily, saying so', async (_, name) => {
    const result = await ok(name);
    expect(JSON.parse(result.stdout).strategy).toBe('greedy');
    expect(result.stderr).toBe(
      'decode-harness: warning: temperature 0 with do_sample decodes greedily (argmax); Hugging Face ' +
        'refuses temperature 0 when sampling and asks for do_sample=False\n',
    );
  });

  it('a sampling flag without --do-sample: one warning line naming it', async () => {
    const result = await ok('wideDocument');
    expect(result.stderr).toBe(
      'decode-harness: warning: --top-k 1 only applies when sampling; this run decodes greedily ' +
        '(add --do-sample --seed N to sample)\n',
    );
  });

  it('the document: partial UTF-8 bytes spelled out, whitespace visible, ids under their tokens', async () => {
    const { stdout } = await ok('wideDocument');
    expect(stdout).not.toContain('\uFFFD');
    const [doc, idLine] = stdout.split('\n').slice(3, 5) as [string, string];
    expect(doc).toMatch(/<0x[0-9A-F]{2}>/);
    expect(doc).toContain('\\t');
    expect(doc).toContain('\\n]');
    // Each id starts in the display column of its token's opening bracket.
    const columns = [...doc.matchAll(/\[/g)].map((m) => displayWidth(doc.slice(0, m.index)));
    expect([...idLine.matchAll(/\d+/g)].map((m) => m.index)).toEqual(columns);
  });
});

describe('bad input: exit 2, one line naming the value and the fix', () => {
  it.each(BAD)('%s', async (name, _args, message) => {
    const result = await run(name);
    expect(result.code, result.stdout).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
