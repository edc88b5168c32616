import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../harness/app/cli/args.ts';
import { DECODE_OPTIONS, generationConfigFrom } from '../../harness/app/cli/decode-options.ts';
import { HarnessError } from '../../harness/core/errors.ts';
import { readBenchReport } from '../../harness/engine/bench/parse-bench-report.ts';
import { readPromptFile } from '../../harness/engine/compare/prompt-set.ts';
import { loadCaseList } from '../../harness/engine/golden/case-list.ts';
import { readGoldenFile } from '../../harness/engine/golden/golden-dir.ts';
import { embeddedModelDir } from '../../harness/engine/model-gen/embedded-models.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';

const scratch = mkdtempSync(join(tmpdir(), 'decode-harness-inputs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const fifo = join(scratch, 'fifo');
execFileSync('mkfifo', [fifo]);
const directory = join(scratch, 'a-directory');
mkdirSync(directory);

/** The error a call throws: a HarnessError (exit 2) whose message is one line. */
async function refusal(call: () => unknown): Promise<string> {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(HarnessError);
  expect((error as HarnessError).exitCode).toBe(2);
  const { message } = error as HarnessError;
  expect(message).not.toContain('\n');
  return message;
}

describe('inputs are read only from regular files (a FIFO or a device would hang the reader)', () => {
  const special = [
    ['a FIFO', fifo, /is a FIFO, not a regular file/],
    ['/dev/zero', '/dev/zero', /is a device, not a regular file/],
    ['a directory', directory, /is a directory, not a regular file/],
  ] as const;

  it.each(special)(
    '--cases, --prompts, --generation-config, a golden and a bench report refuse %s',
    async (_, path, kind) => {
      const model = await loadModelDir('tiny-gpt2');
      expect(await refusal(() => loadCaseList(path))).toMatch(kind);
      expect(await refusal(() => readPromptFile(path))).toMatch(kind);
      expect(await refusal(() => generationConfigFrom({ 'generation-config': path }, model))).toMatch(kind);
      expect(await refusal(() => readGoldenFile(path))).toMatch(kind);
      expect(await refusal(() => readBenchReport(path))).toMatch(kind);
    },
  );

  it.each(['config.json', 'tokenizer.json', 'model.safetensors'])(
    'a model dir whose %s is a FIFO or a directory is refused, naming it',
    async (file) => {
      for (const make of [(p: string) => execFileSync('mkfifo', [p]), (p: string) => mkdirSync(p)]) {
        const dir = mkdtempSync(join(scratch, 'model-'));
        cpSync(embeddedModelDir('tiny-gpt2'), dir, { recursive: true });
        rmSync(join(dir, file));
        make(join(dir, file));
        const message = await refusal(() => loadModelDir(dir));
        expect(message).toContain(join(dir, file));
        expect(message).toMatch(/is (a FIFO|a directory), not a regular file; .*save/);
      }
    },
  );
});

describe('model config fields and sizes are checked before anything is allocated', () => {
  function modelWith(edit: (config: Record<string, unknown>) => void): string {
    const dir = mkdtempSync(join(scratch, 'model-'));
    cpSync(embeddedModelDir('tiny-gpt2'), dir, { recursive: true });
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    edit(config);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    return dir;
  }

  it('"no" is not a boolean', async () => {
    const dir = modelWith((c) => {
      c.tie_word_embeddings = 'no';
    });
    expect(await refusal(() => loadModelDir(dir))).toMatch(
      /tie_word_embeddings must be true or false, got "no"/,
    );
  });

  it('a layer count beyond the weights is refused at once, not built for', async () => {
    const dir = modelWith((c) => {
      c.n_layer = 1_000_000_000;
    });
    const t0 = performance.now();
    expect(await refusal(() => loadModelDir(dir))).toMatch(
      /says the model has 1000000000 layers but .* holds only \d+ tensors/,
    );
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe('the CLI number and flag parser', () => {
  const parse = (...argv: string[]) => parseCommandArgs('generate', argv, DECODE_OPTIONS);
  const decode = async (...argv: string[]) =>
    generationConfigFrom(parse(...argv).values, await loadModelDir('tiny-gpt2'));

  it('takes a negative number as a value and refuses it with the flag, the value and the range', async () => {
    expect(parse('--seed', '-1').values.seed).toBe('-1');
    expect(await refusal(() => decode('--do-sample', '--seed', '-1'))).toMatch(
      /^--seed -1 must be a whole number in \[0, 2\^53 - 1\]/,
    );
    expect(await refusal(() => decode('--do-sample', '--seed', '1', '--top-p', '-0.1'))).toMatch(
      /^--top-p -0\.1 must be in \(0, 1\]/,
    );
  });

  it('reads decimal notation only: no hex, no Infinity, no empty text', async () => {
    for (const raw of ['0x2a', 'Infinity', '', ' 1', '1_000', 'NaN', '1e']) {
      expect(await refusal(() => decode('--temperature', raw))).toMatch(
        /^--temperature ".*" must be a number in plain decimal notation/,
      );
    }
    expect((await decode('--do-sample', '--seed', '42', '--temperature', '7e-1')).temperature).toBe(0.7);
  });

  it('bounds beams and returned sequences, with the reason', async () => {
    expect(await refusal(() => decode('--num-beams', '1e9'))).toMatch(
      /^--num-beams 1000000000 must be a whole number from 1 to 64 \(each is a batch row/,
    );
    expect(
      await refusal(() => decode('--num-return-sequences', '1000000', '--do-sample', '--seed', '1')),
    ).toMatch(/from 1 to 64/);
  });

  it('refuses a flag given twice and an unknown flag, suggesting the nearest', async () => {
    expect(await refusal(() => parse('--seed', '1', '--seed', '2'))).toMatch(
      /^--seed is given twice \(1 and 2\); give it once/,
    );
    expect(await refusal(() => parse('--do-sample', '--do-sample'))).toMatch(/--do-sample is given twice/);
    expect(await refusal(() => parse('--sed', '1'))).toMatch(
      /^unknown option --sed for `decode-harness generate`; did you mean --seed\?/,
    );
    expect(await refusal(() => parse('--temprature=1'))).toMatch(/did you mean --temperature\?/);
    expect(await refusal(() => parse('--zzzzzzzz', '1'))).not.toMatch(/did you mean/);
  });
});
