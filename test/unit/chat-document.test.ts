import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelDirError, UsageError } from '../../harness/core/errors.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { parseChatMessages, readChatMessages } from '../../harness/engine/model/chat-messages.ts';
import { loadTokenizer, type ModelTokenizer } from '../../harness/engine/model/tokenizer.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { GEMMA_CHAT_TEMPLATE, modelWithChatTemplate } from '../helpers/chat-model.ts';

const scratch = mkdtempSync(join(tmpdir(), 'decode-harness-chat-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let base: ModelDir;
let gemma: ModelTokenizer;
let plain: ModelTokenizer;
beforeAll(async () => {
  base = await loadModelDir('tiny-gpt2');
  gemma = await loadTokenizer(
    await loadModelDir(modelWithChatTemplate(base, join(scratch, 'gemma'), GEMMA_CHAT_TEMPLATE)),
  );
  plain = await loadTokenizer(await loadModelDir(modelWithChatTemplate(base, join(scratch, 'none'), null)));
});

const refusal = (call: () => unknown): HarnessLike => {
  try {
    call();
  } catch (error) {
    return error as HarnessLike;
  }
  throw new Error('expected a refusal');
};
type HarnessLike = Error & { exitCode: number };

describe('--chat messages', () => {
  it('accepts a list of {role, content} objects, other keys passed through', () => {
    const messages = [
      { role: 'user', content: 'Hi', name: 'ana' },
      { role: 'assistant', content: '' },
    ];
    expect(parseChatMessages(messages, '--chat c.json')).toEqual(messages);
  });

  it.each([
    ['an object', { role: 'user', content: 'x' }, /--chat c\.json holds an object, not a list of messages/],
    ['an empty list', [], /--chat c\.json is an empty list/],
    ['a string element', ['hi'], /message 0 \("hi"\) is string, not a \{role, content\} object/],
    [
      'a list element',
      [{ role: 'user', content: 'a' }, []],
      /message 1 \(\[\]\) is a list, not a \{role, content\}/,
    ],
    ['no role', [{ content: 'x' }], /message 0 .* has no "role"; give each message a "role"/],
    ['an empty role', [{ role: '', content: 'x' }], /has role "", not a non-empty string/],
    ['a numeric role', [{ role: 7, content: 'x' }], /has role 7, not a non-empty string/],
    ['no content', [{ role: 'user' }], /message 0 .* has no "content"; give each message its text/],
    [
      'content parts',
      [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
      /has content of type a list/,
    ],
  ])('refuses %s, naming the element and what is wrong', (_name, value, message) => {
    const error = refusal(() => parseChatMessages(value, '--chat c.json'));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/\n/);
  });

  it('reads only a regular file of JSON', () => {
    const file = join(scratch, 'bad.json');
    writeFileSync(file, '[{"role": "user", ');
    expect(() => readChatMessages(file)).toThrow(/--chat .*bad\.json: .*JSON.*; give a JSON list of/);
    expect(() => readChatMessages(scratch)).toThrow(/--chat .* is a directory, not a regular file/);
    expect(() => readChatMessages(join(scratch, 'missing.json'))).toThrow(
      /--chat .*missing\.json: no such file/,
    );
  });
});

describe("the model's chat template, through transformers.js", () => {
  it('writes the Gemma document, with the opening of the model turn when asked', () => {
    const messages = [{ role: 'user', content: 'Translate: hola ' }];
    expect(gemma.applyChatTemplate(messages, true, '--chat c.json')).toBe(
      '<|endoftext|><start_of_turn>user\nTranslate: hola<end_of_turn>\n<start_of_turn>model\n',
    );
    expect(gemma.applyChatTemplate(messages, false, '--chat c.json')).toBe(
      '<|endoftext|><start_of_turn>user\nTranslate: hola<end_of_turn>\n',
    );
  });

  it.each([
    [
      'a system role',
      [{ role: 'system', content: 'x' }],
      /refused the conversation: System role not supported/,
    ],
    [
      'two user turns in a row',
      [
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ],
      /refused the conversation: Conversation roles must alternate/,
    ],
  ])('reports %s the template rejects in one line (exit 2)', (_name, messages, message) => {
    const error = refusal(() => gemma.applyChatTemplate(messages, true, '--chat c.json'));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^--chat c\.json: the chat template of model gemma /);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/change the messages to what the template accepts$/);
  });

  it('says so when the model has no template', () => {
    const error = refusal(() =>
      plain.applyChatTemplate([{ role: 'user', content: 'x' }], true, '--chat c.json'),
    );
    expect(error).toBeInstanceOf(ModelDirError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(
      /^model none has no chat template \(no "chat_template" in .*tokenizer_config\.json\); give the document as plain text instead of --chat c\.json/,
    );
  });

  it('names a template that does not parse as the model directory’s fault', async () => {
    const broken = await loadTokenizer(
      await loadModelDir(
        modelWithChatTemplate(base, join(scratch, 'broken'), '{% for m in messages %}{{ m + }}'),
      ),
    );
    const error = refusal(() =>
      broken.applyChatTemplate([{ role: 'user', content: 'x' }], true, '--chat c.json'),
    );
    expect(error).toBeInstanceOf(ModelDirError);
    expect(error.message).toMatch(
      /the chat_template in .*tokenizer_config\.json does not parse .*; fix the template/,
    );
  });
});
