import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, runCliAsync } from '../helpers/run-cli.ts';

/** `decode-harness attention` as a user runs it: the views, the files, and every bad input refused. */

const EIGHT = 'The quick brown fox jumps over the lazy'; // 8 tokens
const scratch = mkdtempSync(join(tmpdir(), 'attention-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('decode-harness attention', () => {
  it('shows the 8-token mask, its softmax and every head of tiny-gpt2 (2 layers × 4 heads); --out writes them', () => {
    const out = join(scratch, 'reports');
    const run = runCli(['attention', '--prompt', EIGHT, '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`… reports: ${join(out, 'attention.{json,md,html}')}\n`);
    expect(run.stdout).toContain('decode-harness attention: model tiny-gpt2 on ts:f64 (float64), 8 tokens');
    expect(run.stdout).toMatch(/^3 " fox" +0 +0 +0 +0 +-inf +-inf +-inf +-inf$/m);
    expect(run.stdout).toMatch(/^2 " brown" +0\.3333 +0\.3333 +0\.3333 +0\.0000 .* 1\/3$/m);
    expect(run.stdout).toMatch(/^7 " lazy"( +0\.1250){8} +1\/8$/m);
    expect(run.stdout.match(/^layer \d, head \d: self /gm)).toHaveLength(8);
    expect(run.stdout).not.toContain('\x1b['); // not a terminal: no colour
    const html = readFileSync(join(out, 'attention.html'), 'utf8');
    expect(html.match(/<table class="heatmap">/g)).toHaveLength(8);
    expect(readFileSync(join(out, 'attention.md'), 'utf8')).toContain('**layer 1, head 3: self');
    expect(JSON.parse(readFileSync(join(out, 'attention.json'), 'utf8')).attentions).toHaveLength(8);
  });

  it('--json: one head of tiny-llama, its rows summing to 1 with zeros above the diagonal', () => {
    const run = runCli([
      'attention',
      '--model',
      'tiny-llama',
      '--prompt',
      EIGHT,
      '--layer',
      '1',
      '--head',
      '2',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json).toMatchObject({
      schema: 'decode-harness/attention@1',
      backend: 'ts:f64',
      family: 'llama',
      layers: 2,
      heads: 4,
    });
    expect(json.tokens).toHaveLength(8);
    expect(json.maskSoftmax[2]).toEqual([1 / 3, 1 / 3, 1 / 3, 0, 0, 0, 0, 0]);
    expect(json.attentions.map((a: { layer: number; head: number }) => [a.layer, a.head])).toEqual([[1, 2]]);
    json.attentions[0].probs.forEach((row: number[], q: number) => {
      expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-14);
      expect(row.slice(q + 1).every((v) => v === 0)).toBe(true);
    });
  });

  const file = join(scratch, 'a-file');
  writeFileSync(file, '');
  const refusals: [string, string[], RegExp][] = [
    [
      '--layer past the last',
      ['--layer', '2'],
      /--layer "2" must be a whole number from 0 to 1 \(model tiny-gpt2 has 2 layers/,
    ],
    [
      '--head past the last',
      ['--head', '4'],
      /--head "4" must be a whole number from 0 to 3 \(model tiny-gpt2 has 4 heads/,
    ],
    ['a negative --head', ['--head', '-1'], /--head "-1" must be a whole number from 0 to 3/],
    ['an empty prompt', ['--prompt', ''], /--prompt "" encodes to no tokens; give some text/],
    ['no prompt', ['--prompt'], /--prompt needs a value/],
    [
      'a prompt longer than the context',
      ['--prompt', ' a'.repeat(300)],
      /--prompt encodes to 300 tokens, more than model tiny-gpt2's context of 256 positions; give a shorter prompt/,
    ],
    [
      'an ONNX-only model',
      ['--model', 'tiny-gpt2-onnx'],
      /model tiny-gpt2-onnx \(.*\) has no model\.safetensors.*computes with ts:f64.*pass a model dir that has it/,
    ],
    ['--out under a file', ['--out', join(file, 'x')], /--out .* not a directory/],
  ];
  // Child processes of their own, run side by side.
  it.concurrent.each(refusals)(
    'refuses %s: exit 2, one line naming the value and the fix',
    async (_, args, message) => {
      const withPrompt = args.includes('--prompt') ? args : ['--prompt', EIGHT, ...args];
      const run = await runCliAsync(['attention', ...withPrompt]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    },
  );

  it.concurrent('refuses no --prompt at all', async () => {
    const run = await runCliAsync(['attention']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'decode-harness: `decode-harness attention` needs --prompt TEXT (the tokens whose attention to show)\n',
    );
  });
});
