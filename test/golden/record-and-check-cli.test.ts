import {
  existsSync,
  linkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

/** record and check as a user runs them, on a two-case list in a scratch golden dir. */
const scratch = mkdtempSync(join(tmpdir(), 'decode-harness-record-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const goldenDir = join(scratch, 'golden');
const casesFile = join(scratch, 'cases.json');
writeFileSync(
  casesFile,
  JSON.stringify({
    schema: 'decode-harness/golden-cases@1',
    prompts: { hello: 'Hello, world' },
    cases: [
      { id: 'greedy', prompts: ['hello'], generation: { max_new_tokens: 4 } },
      { id: 'sample', prompts: ['hello'], generation: { max_new_tokens: 4, do_sample: true, seed: 1 } },
    ],
  }),
);
const greedyFile = join(goldenDir, 'greedy--hello.json');
const record = (...extra: string[]) =>
  runCli(['record', '--golden', goldenDir, '--cases', casesFile, ...extra]);
const noTempFiles = () => expect(readdirSync(goldenDir).filter((f) => f.includes('.tmp-'))).toEqual([]);

describe('decode-harness record', () => {
  let firstContent: string;

  it('writes one golden per case, atomically', () => {
    const run = record();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /2 cases for tiny-gpt2 \(onnx\/model\.onnx\) on ts:f64 into .*: 2 new, 0 unchanged/,
    );
    expect(readdirSync(goldenDir).sort()).toEqual(['greedy--hello.json', 'sample--hello.json']);
    noTempFiles();
    firstContent = readFileSync(greedyFile, 'utf8');
    const golden = JSON.parse(firstContent);
    expect(golden.provenance.backend.id).toBe('ts:f64');
    expect(golden.provenance.command).toBe(
      `decode-harness record --golden ${goldenDir} --cases ${casesFile}`,
    );
  });

  it('leaves an unchanged golden untouched (provenance aside, nothing moved)', () => {
    const before = statSync(greedyFile).mtimeMs;
    const run = record();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('0 new, 2 unchanged');
    expect(readFileSync(greedyFile, 'utf8')).toBe(firstContent);
    expect(statSync(greedyFile).mtimeMs).toBe(before);
  });

  let tampered: string;

  it('refuses to overwrite a changed golden without --yes, showing the case, step, old and new values', () => {
    // Stand-in for a golden recorded before a behaviour change: one logprob and one token differ.
    // Kept self-consistent (top lists, total), as an honest older recording would be.
    const golden = JSON.parse(firstContent);
    const [sequence] = golden.expected.sequences;
    const shifted = sequence.steps[1].logprob + 0.01;
    for (const entry of sequence.steps[1].top) if (entry[1] === sequence.steps[1].logprob) entry[1] = shifted;
    sequence.steps[1].logprob = shifted;
    sequence.tokenIds[2] = 50;
    sequence.steps[2].id = 50;
    sequence.steps[2].top = sequence.steps[2].top.filter(([id]: [number]) => id !== 50);
    sequence.totalLogprob = sequence.steps.reduce(
      (sum: number, step: { logprob: number }) => sum + step.logprob,
      0,
    );
    tampered = JSON.stringify(golden);
    writeFileSync(greedyFile, tampered);
    const run = record();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('greedy--hello: CHANGED, not written');
    expect(run.stderr).toMatch(/sequence 0 step 1 logprob: -[\d.]+ → -[\d.]+/);
    expect(run.stderr).toMatch(
      /sequence 0 step 2: token 50 \(logprob -?[\d.]+\) → \d+ \(logprob -?[\d.]+\); later steps follow the new path/,
    );
    expect(run.stderr).toContain('re-run with --yes to accept');
    expect(run.stderr).toContain('sample--hello: unchanged');
    expect(readFileSync(greedyFile, 'utf8')).toBe(tampered);
  });

  it('check fails the changed golden (exit 1), naming the case and the step', () => {
    const run = runCli(['check', '--golden', goldenDir, '--backends', 'ts:f64']);
    expect(run.code, run.stderr).toBe(1);
    // The first step beyond tolerance (the root cause), with the worst one after it.
    expect(run.stdout).toMatch(
      /FAIL greedy--hello on ts:f64: step 1: teacher-forced token \d+: logprob .*; worst \|Δ\| .* at step 2/,
    );
    expect(run.stdout).toMatch(/FAIL greedy--hello on ts:f64: step 2: token \d+, golden 50/);
  });

  it('with --yes replaces the file by rename: a reader of the old file sees it whole', () => {
    const oldLink = join(scratch, 'old-greedy.json');
    linkSync(greedyFile, oldLink); // a second name for the old inode, like a reader holding it open
    const run = record('--yes');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('greedy--hello: changed, written (--yes)');
    expect(readFileSync(oldLink, 'utf8')).toBe(tampered);
    const fresh = JSON.parse(readFileSync(greedyFile, 'utf8'));
    const first = JSON.parse(firstContent);
    expect({ ...fresh, provenance: null }).toEqual({ ...first, provenance: null });
    noTempFiles();
  });
});

describe('decode-harness check', () => {
  it('passes fresh goldens, prints the table, writes JUnit and a --json object', () => {
    const junit = join(scratch, 'junit.xml');
    const run = runCli(['check', '--golden', goldenDir, '--backends', 'ts:f32', '--junit', junit, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.schema).toBe('decode-harness/check@1');
    expect(
      report.backends[0].cases.map((c: { case: string; passed: boolean }) => [c.case, c.passed]),
    ).toEqual([
      ['greedy--hello', true],
      ['sample--hello', true],
    ]);
    expect(readFileSync(junit, 'utf8')).toContain(
      '<testsuite name="golden tiny-gpt2 ts:f32" tests="2" failures="0"',
    );
    const text = runCli(['check', '--golden', goldenDir, '--backends', 'ts:f32']);
    expect(text.stdout).toMatch(
      /case\s+backend\s+result\s+first mismatch\s+label\s+margin\s+max \|Δlogprob\|\s+tolerance/,
    );
    expect(text.stdout).toMatch(/ts:f32 \(float32\): 2\/2 passed/);
    expect(text.stdout).toContain('all goldens passed: 2 case runs on 1 backend\n');
    // The same document as Markdown, for a CI job summary.
    const md = runCli(['check', '--golden', goldenDir, '--backends', 'ts:f32', '--md']);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toMatch(/^# decode-harness check: tiny-gpt2 /);
    expect(md.stdout).toContain('- all goldens passed: 2 case runs on 1 backend\n');
    expect(md.stdout).toContain(
      '| case | backend | result | first mismatch | label | margin | max \\|Δlogprob\\| | tolerance |',
    );
    expect(md.stdout).toMatch(/\| greedy--hello \| ts:f32 \| pass \|/);
    expect(runCli(['check', '--golden', goldenDir, '--json', '--md']).code).toBe(2);
  });

  it('refuses goldens recorded for another model (exit 2), naming both shas and the fix', () => {
    const other = join(scratch, 'other');
    runCli(['record', '--golden', other, '--cases', casesFile]);
    const file = join(other, 'greedy--hello.json');
    const golden = JSON.parse(readFileSync(file, 'utf8'));
    const recordedSha = golden.model.sha256;
    golden.model.sha256 = 'a'.repeat(64);
    writeFileSync(file, JSON.stringify(golden));
    const run = runCli(['check', '--golden', other, '--backends', 'ts:f32']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `recorded for model tiny-gpt2 sha256 ${'a'.repeat(64)}, but tiny-gpt2 has sha256 ${recordedSha}`,
    );
    expect(run.stderr).toContain('re-record with `decode-harness record --model tiny-gpt2 --yes`');
  });

  it('a missing golden dir or an unknown backend is bad input (exit 2)', () => {
    const missing = runCli(['check', '--golden', join(scratch, 'none'), '--backends', 'ts:f32']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /golden dir .*none does not exist; record them with `decode-harness record --model tiny-gpt2`/,
    );
    const unknown = runCli(['check', '--golden', goldenDir, '--backends', 'ts:f99']);
    expect(unknown.code).toBe(2);
    expect(existsSync(join(scratch, 'none'))).toBe(false);
  });
});
