import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../harness/app/registry.ts';
import { projectPath } from '../../harness/core/project-root.ts';
import { readTextFile } from '../../harness/engine/compare/text-chunks.ts';
import { loadTokenizer } from '../../harness/engine/model/tokenizer.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { runCli } from '../helpers/run-cli.ts';

const scratch = mkdtempSync(join(tmpdir(), 'compare-text-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const README = projectPath('README.md');
const CTX = 24;
const CHUNKS = 3;

interface TextRecord {
  text: { tokens: number; ctx: number; chunks: number; firstScored: number; scoredPerChunk: number };
  prompts: unknown[];
  backends: {
    backend: { id: string };
    greedy: null;
    positions: {
      prompt: number;
      position: number;
      scoredId: number;
      referenceLogprob: number;
      logprob: number;
    }[];
    summary: { perplexity: { ours: number; reference: number } };
  }[];
}

/** log softmax of one row in float64, written out here as the check's own arithmetic. */
function logSoftmaxAt(row: ArrayLike<number>, id: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]!);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max);
  return row[id]! - max - Math.log(sum);
}

describe('compare --text: llama.cpp perplexity scoring of a text', () => {
  it("scores the second half of each chunk on the text's next token, as a hand-run of the reference computes", async () => {
    const run = runCli([
      'compare',
      '--backends',
      'ort-node:cpu',
      '--text',
      README,
      '--ctx',
      String(CTX),
      '--chunks',
      String(CHUNKS),
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const record = JSON.parse(run.stdout) as TextRecord;
    expect(record.text).toMatchObject({ ctx: CTX, chunks: CHUNKS, firstScored: 12, scoredPerChunk: 11 });
    expect(record.prompts).toEqual([]);
    const [ort] = record.backends;
    expect(ort!.greedy).toBeNull();
    expect(ort!.positions).toHaveLength(CHUNKS * 11);

    // The same chunks and positions by hand: tokenise the file, cut it, run ts:f64 over each chunk.
    const model = await loadModelDir('tiny-gpt2');
    const ids = (await loadTokenizer(model)).encode(readTextFile(README));
    expect(record.text.tokens).toBe(ids.length);
    const reference = await createBackend('ts:f64', model);
    try {
      let sum = 0;
      for (let c = 0; c < CHUNKS; c++) {
        const chunk = ids.slice(c * CTX, (c + 1) * CTX);
        const logits = await reference.prefill([chunk], { allPositions: true });
        reference.reset();
        for (let j = 12; j <= CTX - 2; j++) {
          const row = logits.data.subarray(j * logits.vocab, (j + 1) * logits.vocab);
          const expected = logSoftmaxAt(row, chunk[j + 1]!);
          const scored = ort!.positions.find((p) => p.prompt === c && p.position === j)!;
          expect(scored.scoredId).toBe(chunk[j + 1]);
          expect(Math.abs(scored.referenceLogprob - expected)).toBeLessThan(1e-9);
          sum -= expected;
        }
      }
      const ppl = Math.exp(sum / (CHUNKS * 11));
      expect(Math.abs(ort!.summary.perplexity.reference / ppl - 1)).toBeLessThan(1e-9);
      // ONNX Runtime's float32 agrees with the float64 reference to float noise.
      expect(Math.abs(ort!.summary.perplexity.ours / ppl - 1)).toBeLessThan(1e-4);
    } finally {
      await reference.dispose();
    }
  });

  it('says in the report what was scored and how', () => {
    const run = runCli(['compare', '--backends', 'ts:f32', '--text', README, '--ctx', '16', '--chunks', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /text .*README\.md: \d+ tokens; 1 chunk\(s\) of 16, positions 8…14 of each scored: 7 positions/,
    );
    expect(run.stdout).toMatch(/Perplexity of the text/);
    expect(run.stdout).toMatch(/text scoring as llama\.cpp's perplexity/);
    expect(run.stdout).toMatch(/same as reference\s+not run \(--text\)/);
  });

  const binary = join(scratch, 'binary.bin');
  writeFileSync(binary, Buffer.from([0x61, 0x00, 0x62]));
  const empty = join(scratch, 'empty.txt');
  writeFileSync(empty, '');
  const short = join(scratch, 'short.txt');
  writeFileSync(short, 'Hello there');
  const latin1 = join(scratch, 'latin1.txt');
  writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  it.each([
    [['--text', binary], /holds a NUL byte at offset 1: a binary file/],
    [['--text', empty], /is empty; give a text to score/],
    [['--text', latin1], /is not valid UTF-8/],
    [
      ['--text', short],
      /is 2 tokens, shorter than one chunk of --ctx 256; give a longer text or a smaller --ctx/,
    ],
    [
      ['--text', README, '--ctx', '2'],
      /--ctx "2" must be a whole number from 3 to 256 \(a chunk scores its second half, so at least 3; the model's context is 256\)/,
    ],
    [['--text', README, '--ctx', '257'], /--ctx "257" must be a whole number from 3 to 256/],
    [['--text', README, '--prompts', README], /--prompts has no meaning beside it/],
    [['--ctx', '64'], /--ctx sets how --text is scored; add --text FILE/],
  ])('refuses %j in one line, exit 2', (args, message) => {
    const run = runCli(['compare', '--backends', 'ts:f32', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });
});
