import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../harness/app/cli/main.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { loadTokenizer, type Tokenizer } from '../../harness/engine/model/tokenizer.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { GEMMA_CHAT_TEMPLATE, modelWithChatTemplate } from '../helpers/chat-model.ts';
import { runCli } from '../helpers/run-cli.ts';

const scratch = mkdtempSync(join(tmpdir(), 'decode-harness-score-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let base: ModelDir;
let tokenizer: Tokenizer;
let gemmaDir: string;
let noTemplateDir: string;
const chatFile = (name: string, content: unknown): string => {
  const path = join(scratch, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
let translate: string;
beforeAll(async () => {
  base = await loadModelDir('tiny-gpt2');
  tokenizer = await loadTokenizer(base);
  gemmaDir = modelWithChatTemplate(base, join(scratch, 'gemma'), GEMMA_CHAT_TEMPLATE);
  noTemplateDir = modelWithChatTemplate(base, join(scratch, 'plain'), null);
  translate = chatFile('translate.json', [
    { role: 'user', content: 'Translate to English: Hola, ¿qué tal?' },
  ]);
});

const GEMMA_DOCUMENT =
  '<|endoftext|><start_of_turn>user\nTranslate to English: Hola, ¿qué tal?<end_of_turn>\n<start_of_turn>model\n';

describe('tokenize: the token document from the tokenizer alone', () => {
  it('marks boundaries, shows whitespace and partial UTF-8 bytes, and lines ids up in a table', () => {
    const run = runCli(['tokenize', '--text', 'Hi there\n\t“quoted”']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('tokenize: model tiny-gpt2, 10 tokens from 18 characters (22 bytes)');
    expect(run.stdout).toContain('[␣there][\\n][\\t][<0xE2><0x80>][<0x9C>][qu][oted][<0xE2><0x80>][<0x9D>]');
    expect(run.stdout).toMatch(/index\s+id\s+token\s+bytes/);
    expect(run.stdout).toMatch(/\n\s+1\s+612\s+␣there\s+20 74 68 65 72 65\n/);
    expect(run.stdout).toMatch(/\n\s+2\s+198\s+\\n\s+0A\n/);
    expect(run.stdout).toMatch(/\n\s+4\s+447\s+<0xE2><0x80>\s+E2 80\n/);
  });

  it("--chat --add-generation-prompt applies the model's template (transformers.js); --json", () => {
    const run = runCli([
      'tokenize',
      '--chat',
      translate,
      '--add-generation-prompt',
      '--model',
      gemmaDir,
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.schema).toBe('decode-harness/tokenize@1');
    expect(out.text).toBe(GEMMA_DOCUMENT);
    expect(out.ids).toEqual(tokenizer.encode(GEMMA_DOCUMENT));
    expect(out.ids[0]).toBe(50256); // the template's bos_token is the special token, not its characters
    expect(out.chat.addGenerationPrompt).toBe(true);
    expect(out.tokens.map((t: { id: number }) => t.id)).toEqual(out.ids);
    const bytes = out.tokens.slice(1).flatMap((t: { bytes: number[] }) => t.bytes);
    expect(Buffer.from(bytes).toString('utf8')).toBe(GEMMA_DOCUMENT.slice('<|endoftext|>'.length));
  });
});

describe('score: per-token logprobs, rank, loss and perplexity of a continuation', () => {
  it('agrees between the float64 reference and onnxruntime (float32) token by token', () => {
    const args = [
      'score',
      '--prompt',
      'The quick brown',
      '--continuation',
      ' fox jumps over the lazy dog',
      '--json',
    ];
    const [f64, ort] = ['ts:f64', 'ort-node:cpu'].map((backend) => {
      const run = runCli([...args, '--backend', backend]);
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout);
    });
    expect(f64.schema).toBe('decode-harness/score@1');
    expect(f64.continuation.ids).toEqual(tokenizer.encode(' fox jumps over the lazy dog'));
    expect(f64.tokenization).toEqual({
      method: 'separate',
      joint: { ids: tokenizer.encode('The quick brown fox jumps over the lazy dog'), differsAt: null },
    });
    for (const [k, t] of f64.tokens.entries()) {
      expect(Math.abs(t.logprob - ort.tokens[k].logprob)).toBeLessThan(1e-4);
      expect(t.rank).toBeGreaterThanOrEqual(1);
    }
    const total = f64.tokens.reduce((s: number, t: { logprob: number }) => s + t.logprob, 0);
    expect(f64.totalLogprob).toBeCloseTo(total, 12);
    expect(f64.meanNll).toBeCloseTo(-total / f64.tokens.length, 12);
    expect(f64.perplexity).toBeCloseTo(Math.exp(f64.meanNll), 6);
    expect(Math.abs(f64.totalLogprob - ort.totalLogprob)).toBeLessThan(1e-3);
  });

  it('prints the table, the totals and how the text was tokenised', () => {
    const run = runCli([
      'score',
      '--prompt',
      'The quick ',
      '--continuation',
      'brown fox',
      '--backend',
      'ts:f64',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/#\s+id\s+token\s+logprob\s+prob\s+rank\s+model's top\s+its prob/);
    expect(run.stdout).toMatch(/total logprob -\d+\.\d{4} nats over 2 tokens/);
    expect(run.stdout).toMatch(
      /mean NLL \d+\.\d{4} nats per token .*Hugging Face's loss.*perplexity exp\(mean NLL\) = /,
    );
    expect(run.stdout).toContain('encoding them as one text gives other ids from token 2: [␣quick][␣brown]');
    expect(run.stdout).toContain('the prompt ends in whitespace');
  });
});

describe('--force: a scored start of the continuation', () => {
  it('trace shows the forced steps, then decoding goes on', () => {
    const run = runCli([
      'trace',
      '--prompt',
      'Translate to English: Hola.',
      '--force',
      ' Hey there',
      '--backend',
      'ts:f64',
      '--max-new-tokens',
      '2',
      '--top',
      '3',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /step 1: input = prompt \+ 0 generated tokens; forced " Hey" \(id 14690, .*rank \d+\)/,
    );
    expect(run.stdout).toMatch(/step 2: .*forced " there"/);
    expect(run.stdout).toMatch(/step 3: .*chose /);
    expect(run.stdout).toMatch(/total logprob -?\d+\.\d+ nats over 4 tokens/);
  });

  it('generate --chat --force --json: the templated prompt, forced steps marked, their logprobs counted', () => {
    const run = runCli([
      ...['generate', '--chat', translate, '--add-generation-prompt', '--model', gemmaDir],
      ...['--force', 'Hey', '--backend', 'ts:f64', '--max-new-tokens', '2', '--json'],
    ]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    const forced = tokenizer.encode('Hey');
    expect(out.promptIds).toEqual(tokenizer.encode(GEMMA_DOCUMENT));
    expect(out.tokenIds.slice(0, forced.length)).toEqual(forced);
    expect(out.forcedIds).toEqual(forced);
    expect(out.tokenIds).toHaveLength(forced.length + 2);
    expect(out.steps.map((s: { forced?: boolean }) => s.forced === true)).toEqual([
      ...forced.map(() => true),
      false,
      false,
    ]);
    expect(out.steps[0].rank).toBeGreaterThanOrEqual(1);
    const sum = out.steps.reduce((s: number, step: { logprob: number }) => s + step.logprob, 0);
    expect(out.totalLogprob).toBeCloseTo(sum, 12);
  });
});

describe('bad input: exit 2, one line naming the value and the fix', () => {
  /** main() in this process (no child start per case); stdout and stderr captured. */
  async function runHere(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const capture = (into: string[]) => (chunk: unknown) => {
      into.push(String(chunk));
      return true;
    };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture(out) as never);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture(err) as never);
    try {
      const code = await main(args);
      return { code, stdout: out.join(''), stderr: err.join('') };
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  }

  const file = (name: string, content: unknown) => () => chatFile(name, content);
  const cases: [string, () => string[], RegExp][] = [
    [
      '--chat: an object',
      () => ['tokenize', '--chat', file('o.json', { role: 'user' })()],
      /holds an object, not a list/,
    ],
    [
      '--chat: a string element',
      () => ['tokenize', '--chat', file('s.json', ['hi'])()],
      /message 0 \("hi"\) is string/,
    ],
    [
      '--chat: no content',
      () => ['tokenize', '--chat', file('c.json', [{ role: 'user' }])()],
      /has no "content"/,
    ],
    ['--chat: not JSON', () => ['tokenize', '--chat', file('j.json', '[{')()], /--chat .*j\.json: .*JSON/],
    ['--chat: a directory', () => ['tokenize', '--chat', scratch], /is a directory, not a regular file/],
    [
      '--chat: a role the template rejects',
      () => [
        'score',
        '--chat',
        file('sys.json', [{ role: 'system', content: 'x' }])(),
        '--continuation',
        'y',
        '--model',
        gemmaDir,
      ],
      /the chat template of model gemma refused the conversation: System role not supported/,
    ],
    [
      '--chat: a model without a template',
      () => ['generate', '--chat', translate, '--model', noTemplateDir, '--backend', 'ts:f64'],
      /model plain has no chat template/,
    ],
    [
      '--chat with --prompt',
      () => ['trace', '--chat', translate, '--prompt', 'Hi', '--backend', 'ts:f64'],
      /--prompt "Hi" and --chat .* both give the document; give one of them/,
    ],
    [
      '--chat with --text',
      () => ['tokenize', '--chat', translate, '--text', 'Hi'],
      /--text "Hi" and --chat .* both give the document/,
    ],
    [
      '--add-generation-prompt without --chat',
      () => ['tokenize', '--text', 'Hi', '--add-generation-prompt'],
      /--add-generation-prompt applies to a --chat conversation only/,
    ],
    [
      'tokenize without a text',
      () => ['tokenize'],
      /--text TEXT is required \(the text to tokenize\), or --chat FILE/,
    ],
    ['score without --continuation', () => ['score', '--prompt', 'Hi'], /needs --continuation TEXT/],
    [
      'score: an empty continuation',
      () => ['score', '--prompt', 'Hi', '--continuation', '', '--backend', 'ts:f64'],
      /the continuation is empty \(0 tokens\); give --continuation TEXT/,
    ],
    [
      'score: an empty prompt',
      () => ['score', '--prompt', '', '--continuation', 'Hi', '--backend', 'ts:f64'],
      /--prompt "" encodes to no tokens/,
    ],
    [
      'score: beyond the positions',
      () => [
        'score',
        '--prompt',
        'word'.repeat(200),
        '--continuation',
        ' word'.repeat(100),
        '--backend',
        'ts:f64',
      ],
      /prompt \(\d+ tokens\) \+ continuation \(100 tokens\) needs \d+ positions .* holds 256; shorten them/,
    ],
    [
      '--force: empty',
      () => ['generate', '--prompt', 'Hi', '--force', '', '--backend', 'ts:f64'],
      /--force "" encodes to no tokens; give the text the continuation starts with, or leave --force out/,
    ],
    [
      '--force: beyond the positions with max-new-tokens',
      () => [
        'trace',
        '--prompt',
        'Hi',
        '--force',
        ' word'.repeat(200),
        '--max-new-tokens',
        '100',
        '--backend',
        'ts:f64',
      ],
      /prompt \(1 tokens\) \+ --force \(200 tokens\) \+ max_new_tokens \(100\) needs 300 positions .*use --max-new-tokens 56 or less/,
    ],
    [
      '--force with a toy distribution',
      () => ['trace', '--logits', 'a=1,b=2', '--force', 'a'],
      /drop --force/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    mkdirSync(scratch, { recursive: true });
    const run = await runHere(args());
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stdout).toBe('');
  });
});
