import { loadTokenizer } from '../../../engine/model/tokenizer.ts';
import { loadModelDir } from '../../../engine/model-gen/load-model-dir.ts';
import { renderText } from '../../report/render-text.ts';
import { tokenLabel } from '../../report/token-text.ts';
import { type TokenizedToken, tokenizeDocument } from '../../report/tokenize-document.ts';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.ts';
import { colorWanted } from '../color.ts';
import {
  CHAT_OPTIONS,
  CHAT_OPTIONS_HELP,
  chatSummary,
  encodePrompt,
  readPromptSource,
} from '../prompt-input.ts';

export const TOKENIZE_SCHEMA = 'decode-harness/tokenize@1';

const HELP = `decode-harness tokenize --text TEXT | --chat FILE [--add-generation-prompt] [--model DIR|NAME] [--json]
The exact token document a model reads, from its tokenizer alone (no model runs): the text with its
token boundaries marked and each id under its token, then a table of index, id, token and the token's
bytes. Whitespace is visible (␣ for a space, \\n, \\t), and a token that holds part of a UTF-8
character shows its bytes (<0xE2><0x80>). No special tokens are added: what you see is what
generate, trace and score feed the model.
--json prints one schema-tagged object (${TOKENIZE_SCHEMA}) on stdout.

  --text TEXT    the text to tokenize
${CHAT_OPTIONS_HELP}`;

const utf8 = new TextEncoder();

export async function runTokenize(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('tokenize', argv, {
    ...COMMON_OPTIONS,
    model: { type: 'string', default: 'tiny-gpt2' },
    text: { type: 'string' },
    ...CHAT_OPTIONS,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const source = readPromptSource(
    '--text',
    { text: values.text, chat: values.chat, addGenerationPrompt: values['add-generation-prompt'] },
    'the text to tokenize',
  );
  const model = await loadModelDir(values.model ?? 'tiny-gpt2');
  const tokenizer = await loadTokenizer(model);
  const prompt = encodePrompt(tokenizer, source, '--text');
  const tokens: TokenizedToken[] = prompt.ids.map((id) => ({
    id,
    label: tokenLabel(tokenizer, id),
    bytes: tokenizer.partialBytes(id) ?? utf8.encode(tokenizer.tokenText(id)),
  }));
  if (values.json) {
    const json = {
      schema: TOKENIZE_SCHEMA,
      model: { name: model.name, path: model.path },
      text: prompt.text,
      ...(prompt.chat ? { chat: prompt.chat } : {}),
      ids: prompt.ids,
      tokens: tokens.map((t, index) => ({ index, id: t.id, token: t.label, bytes: [...t.bytes] })),
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
    return 0;
  }
  const { chat } = prompt;
  const context = {
    modelName: model.name,
    text: prompt.text,
    ...(chat ? { chat: chatSummary(chat) } : {}),
  };
  process.stdout.write(renderText(tokenizeDocument(context, tokens), { color: colorWanted(process.stdout) }));
  return 0;
}
