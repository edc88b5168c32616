import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { chromiumAvailability } from '../../backends/ort-web/chromium/availability.ts';
import { CHROMIUM_PATH } from '../../backends/ort-web/chromium/chromium-browser.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { runCli } from '../helpers/run-cli.ts';

const scratch = mkdtempSync(join(tmpdir(), 'decode-harness-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('decode-harness CLI', () => {
  it('a closed stdout ends the command quietly (trace | head -c 10)', () => {
    const bin = fileURLToPath(new URL('../../harness/bin.mjs', import.meta.url));
    const pipeline = `set -o pipefail; "${process.execPath}" "${bin}" trace --prompt Hello --backend ts:f64 --max-new-tokens 100 --top 20 | head -c 10`;
    const run = spawnSync('bash', ['-c', pipeline], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout).toHaveLength(10);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('backends lists every id with availability', () => {
    const run = runCli(['backends']);
    expect(run.code).toBe(0);
    for (const id of ['ts:f64', 'ts:f32', 'ort-node:cpu']) expect(run.stdout).toContain(id);
  });

  it('generate --json prints one schema-tagged object with the documented fields', () => {
    const run = runCli([
      'generate',
      '--prompt',
      'Hello, world',
      '--backend',
      'ts:f32',
      '--max-new-tokens',
      '6',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.schema).toBe('decode-harness/generate@1');
    expect(out.backend.id).toBe('ts:f32');
    expect(out.promptIds.length).toBeGreaterThan(0);
    expect(out.tokenIds).toHaveLength(out.steps.length);
    expect(out.steps[0]).toMatchObject({ id: out.tokenIds[0] });
    expect(out.steps[0].top[0][0]).toBe(out.tokenIds[0]); // greedy picks rank 1
    const sum = out.steps.reduce((s: number, step: { logprob: number }) => s + step.logprob, 0);
    expect(out.totalLogprob).toBeCloseTo(sum, 12);
    expect(typeof out.text).toBe('string');
  });

  it('generate on ts:f32 with worker threads exits cleanly with the one-thread tokens', () => {
    const generate = (threads: string) => {
      const args = ['generate', '--prompt', 'Hello, world', '--backend', 'ts:f32', '--threads', threads];
      const run = runCli([...args, '--max-new-tokens', '4', '--json']);
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout);
    };
    const [threaded, single] = [generate('2'), generate('1')];
    expect(threaded.backend.threads).toBe(2);
    expect(threaded.tokenIds).toEqual(single.tokenIds);
    expect(threaded.totalLogprob).toBe(single.totalLogprob);
  });

  it('trace prints the token document, the per-step table and the total logprob', () => {
    const run = runCli([
      'trace',
      '--prompt',
      'The quick brown',
      '--backend',
      'ts:f64',
      '--max-new-tokens',
      '3',
      '--top',
      '4',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('[The][␣quick][␣brown]');
    expect(run.stdout).toMatch(/rank\s+id\s+token\s+prob\s+cum\.prob\s+logprob/);
    expect(run.stdout).toContain('step 3:');
    expect(run.stdout).toMatch(/total logprob -?\d+\.\d+ nats over 3 tokens/);
  });

  describe('bad input: exit 2, one clear line, no stack', () => {
    const cases: [string, string[], RegExp][] = [
      ['unknown command', ['frobnicate'], /unknown command "frobnicate"/],
      [
        'unknown backend',
        ['generate', '--prompt', 'x', '--backend', 'gpu:magic'],
        /unknown backend id "gpu:magic"; valid ids/,
      ],
      ['empty prompt', ['generate', '--prompt', '', '--backend', 'ts:f32'], /encodes to no tokens/],
      ['missing prompt', ['generate', '--backend', 'ts:f32'], /--prompt TEXT is required/],
      [
        'bad number',
        ['generate', '--prompt', 'x', '--max-new-tokens', 'ten'],
        /--max-new-tokens "ten" must be a number in plain decimal notation/,
      ],
      [
        'fractional count',
        ['generate', '--prompt', 'x', '--max-new-tokens', '2.5'],
        /--max-new-tokens 2.5 must be a whole number ≥ 1/,
      ],
      [
        'top-p out of range',
        ['generate', '--prompt', 'x', '--do-sample', '--seed', '1', '--top-p', '1.5'],
        /--top-p 1.5 must be in \(0, 1\]/,
      ],
      ['sampling without a seed', ['generate', '--prompt', 'x', '--do-sample'], /sampling needs --seed N/],
      [
        'beam sampling',
        ['generate', '--prompt', 'x', '--num-beams', '2', '--do-sample', '--seed', '1'],
        /beam sampling, which is not supported/,
      ],
      [
        'beam shorthand without width',
        ['generate', '--prompt', 'x', '--strategy', 'beam'],
        /--strategy beam needs --num-beams N/,
      ],
      [
        'too many return sequences',
        ['generate', '--prompt', 'x', '--num-beams', '2', '--num-return-sequences', '3'],
        /--num-return-sequences 3 is more than --num-beams 2/,
      ],
      [
        'unknown rng',
        ['generate', '--prompt', 'x', '--do-sample', '--seed', '1', '--rng', 'dice'],
        /--rng "dice" is unknown; use one of alea/,
      ],
      [
        'unknown option',
        ['generate', '--prompt', 'x', '--temprature', '1'],
        /unknown option --temprature for `decode-harness generate`; did you mean --temperature\?/,
      ],
      [
        'missing model dir',
        ['generate', '--prompt', 'x', '--model', '/nonexistent/model'],
        /\/nonexistent\/model/,
      ],
      [
        'prompt longer than n_positions',
        ['generate', '--prompt', 'word '.repeat(300), '--backend', 'ts:f32'],
        /but the model holds at most 256 positions/,
      ],
      [
        'unknown strategy',
        ['generate', '--prompt', 'x', '--strategy', 'nucleus'],
        /--strategy "nucleus" is not supported/,
      ],
      [
        'bench: a backend twice',
        ['bench', '--backends', 'ts:f32,ts:f32'],
        /lists ts:f32 twice; list each backend once/,
      ],
      ['bench: a model twice', ['bench', '--model', 'tiny-gpt2,tiny-gpt2'], /--model lists tiny-gpt2 twice/],
      [
        'bench: a prompt beyond the model',
        ['bench', '--backends', 'ts:f32', '--prompt-tokens', '1000000'],
        /--prompt-tokens 1000000 \+ --new-tokens 64 = 1000064 positions, more than tiny-gpt2's 256/,
      ],
    ];
    it.each(cases)('%s', (_name, args, message) => {
      const run = runCli(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });

    it('a malformed config.json names the file', async () => {
      const model = await loadModelDir('tiny-gpt2');
      const dir = join(scratch, 'broken-config');
      cpSync(model.path, dir, { recursive: true });
      writeFileSync(join(dir, 'config.json'), '{ "model_type": "gpt2", ');
      const run = runCli(['generate', '--prompt', 'x', '--model', dir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('config.json');
    });

    it("a truncated graph is the model's fault on every ONNX backend that can run here: exit 2 with the fix", async () => {
      const model = await loadModelDir('tiny-gpt2');
      const dir = join(scratch, 'truncated-graph');
      cpSync(model.path, dir, { recursive: true });
      truncateSync(join(dir, 'onnx', 'model.onnx'), 100_000);
      const chromium = chromiumAvailability(CHROMIUM_PATH);
      if (!chromium.available) console.warn(`SKIP chromium:wasm truncated graph: ${chromium.reason}`);
      for (const backend of [
        'ort-node:cpu',
        'ort-web:wasm',
        ...(chromium.available ? ['chromium:wasm'] : []),
      ]) {
        const run = runCli(['generate', '--prompt', 'x', '--model', dir, '--backend', backend]);
        expect(run.code, `${backend}: ${run.stderr}`).toBe(2);
        expect(run.stderr).toMatch(/could not load .*model\.onnx.*; regenerate or re-export the model/);
      }
    });

    it('--verbose adds the stack', () => {
      const run = runCli(['generate', '--prompt', 'x', '--backend', 'gpu:magic', '--verbose']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/\n\s+at /);
    });
  });
});
