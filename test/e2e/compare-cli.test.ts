import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

const scratch = mkdtempSync(join(tmpdir(), 'decode-harness-compare-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Two short prompts keep each run to a few seconds. */
const promptsFile = join(scratch, 'prompts.txt');
writeFileSync(promptsFile, 'The quick brown fox\nHello, world\n');
const quick = ['--prompts', promptsFile, '--max-new-tokens', '6'];

describe('decode-harness compare', () => {
  it('--json prints exactly one schema-tagged object; --out writes json, md and html', () => {
    const out = join(scratch, 'reports');
    const run = runCli(['compare', '--backends', 'ts:f32,ort-node:cpu', ...quick, '--json', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const record = JSON.parse(run.stdout); // the whole of stdout is one object
    expect(record.schema).toBe('decode-harness/compare@1');
    expect(record.reference.id).toBe('ts:f64');
    expect(record.backends.map((a: { backend: { id: string } }) => a.backend.id)).toEqual([
      'ts:f32',
      'ort-node:cpu',
    ]);
    expect(record.passed).toBe(true);
    expect(record.prompts.map((p: { text: string }) => p.text)).toEqual([
      'The quick brown fox',
      'Hello, world',
    ]);
    expect(JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'))).toEqual(record);
    expect(readFileSync(join(out, 'compare.md'), 'utf8')).toContain('| Mean    KLD |');
    expect(readFileSync(join(out, 'compare.html'), 'utf8')).toContain('id="plot-kld"');
    // Written atomically: no temp files left beside the three reports.
    expect(readdirSync(out).sort()).toEqual(['compare.html', 'compare.json', 'compare.md']);
  });

  it('prints the llama.cpp-style tables, and lists the reference only once when it is named too', () => {
    const run = runCli(['compare', '--backends', 'ts:f64,ts:f32', ...quick]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('====== KL divergence statistics ======');
    expect(run.stdout).toMatch(/vs ts:f64 +ts:f32\n/);
    expect(run.stdout).toMatch(/Same top p +100\.000 ± 0\.000 %/);
    expect(run.stdout).toContain('all gates passed');
  });

  it('exits 1 when a gate fails, naming the gate, the backend, the measured value and the limit', () => {
    const run = runCli(['compare', '--backends', 'ts:f32', ...quick, '--max-mean-kld', '1e-20']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /gate --max-mean-kld failed for ts:f32: Mean KLD [\d.]+e-\d+ > limit 1e-20 \(--max-mean-kld\)/,
    );
    expect(run.stdout).toContain('FAIL');
  });

  describe('bad usage: exit 2 with one line naming the value and the fix', () => {
    const badJson = join(scratch, 'bad.json');
    writeFileSync(badJson, '{"not": "an array"}');
    const cases: [string, string[], RegExp][] = [
      ['no --backends', ['compare'], /needs --backends/],
      ['unknown backend', ['compare', '--backends', 'ts:f32,gpu:magic'], /unknown backend id "gpu:magic"/],
      [
        'unknown reference',
        ['compare', '--backends', 'ts:f32', '--reference', 'nope'],
        /unknown backend id "nope"/,
      ],
      [
        'only the reference',
        ['compare', '--backends', 'ts:f64'],
        /leaves nothing to compare with the reference ts:f64/,
      ],
      [
        'a backend twice',
        ['compare', '--backends', 'ts:f32,ts:f32'],
        /lists ts:f32 twice; list each backend once/,
      ],
      [
        'bad gate number',
        ['compare', '--backends', 'ts:f32', '--max-mean-kld', 'tiny'],
        /--max-mean-kld "tiny" must be a number ≥ 0/,
      ],
      [
        'percentage out of range',
        ['compare', '--backends', 'ts:f32', '--min-same-top-p', '150'],
        /--min-same-top-p "150" must be a number from 0 to 100/,
      ],
      [
        'bad token budget',
        ['compare', '--backends', 'ts:f32', '--max-new-tokens', '0'],
        /--max-new-tokens "0" must be a whole number from 1 to 256/,
      ],
      [
        'missing prompts file',
        ['compare', '--backends', 'ts:f32', '--prompts', join(scratch, 'none.txt')],
        /no such file/,
      ],
      [
        'prompts not an array',
        ['compare', '--backends', 'ts:f32', '--prompts', badJson],
        /expected a JSON array of strings/,
      ],
    ];
    for (const [name, args, message] of cases) {
      it(name, () => {
        const run = runCli(args);
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toMatch(message);
        expect(run.stderr.trim().split('\n')).toHaveLength(1);
        expect(run.stdout).toBe('');
      });
    }
  });

  it('--help describes the command and exits 0', () => {
    const run = runCli(['compare', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--max-mean-kld');
    expect(run.stdout).toContain('--max-mean-kld 1e-9 --min-same-top-p 99 --max-abs-logit-diff 0.0001');
  });
});
