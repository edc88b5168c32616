import { UsageError } from '../../core/errors.ts';
import { type ChatMessage, readChatMessages } from '../../engine/model/chat-messages.ts';
import type { ModelTokenizer } from '../../engine/model/tokenizer.ts';
import type { OptionSpec } from './args.ts';

/** The options that give a command its document: text, or a conversation through the chat template. */
export const CHAT_OPTIONS = {
  chat: { type: 'string' },
  'add-generation-prompt': { type: 'boolean' },
} as const satisfies OptionSpec;

export const CHAT_OPTIONS_HELP = `  --chat FILE    a JSON list of {"role": …, "content": …} messages: the document is the model's chat
                 template applied to them (transformers.js apply_chat_template, from tokenizer_config.json)
  --add-generation-prompt   end that document with the template's opening of the model's turn`;

/** Where the document comes from, checked before any model is loaded. */
export type PromptSource =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'chat';
      readonly file: string;
      readonly messages: readonly ChatMessage[];
      readonly addGenerationPrompt: boolean;
    };

/** The document a model reads, as text and as token ids. */
export interface PromptInput {
  readonly text: string;
  readonly ids: number[];
  /** --chat: the conversation it was written from. */
  readonly chat?: {
    readonly file: string;
    readonly messages: readonly ChatMessage[];
    readonly addGenerationPrompt: boolean;
  };
}

/**
 * `--prompt TEXT` (or `--text` for tokenize) or `--chat FILE [--add-generation-prompt]`: exactly
 * one of them; the chat file is read and validated here, before anything is loaded.
 */
export function readPromptSource(
  textFlag: '--prompt' | '--text',
  values: { text?: string; chat?: string; addGenerationPrompt?: boolean },
  what: string,
): PromptSource {
  const { text, chat, addGenerationPrompt = false } = values;
  if (chat !== undefined && text !== undefined) {
    throw new UsageError(
      `${textFlag} ${JSON.stringify(text.slice(0, 40))} and --chat ${chat} both give the document; ` +
        `give one of them (--chat writes the document from the model's chat template)`,
    );
  }
  if (chat === undefined) {
    if (addGenerationPrompt) {
      throw new UsageError(
        '--add-generation-prompt applies to a --chat conversation only; give --chat FILE, or leave it out',
      );
    }
    if (text === undefined) throw new UsageError(`${textFlag} TEXT is required (${what}), or --chat FILE`);
    return { kind: 'text', text };
  }
  return { kind: 'chat', file: chat, messages: readChatMessages(chat), addGenerationPrompt };
}

/** Write and encode the document (no special tokens added: a template writes its own). */
export function encodePrompt(
  tokenizer: ModelTokenizer,
  source: PromptSource,
  textFlag: '--prompt' | '--text',
): PromptInput {
  if (source.kind === 'text') {
    const ids = tokenizer.encode(source.text);
    if (ids.length === 0) {
      throw new UsageError(`${textFlag} ${JSON.stringify(source.text)} encodes to no tokens; give some text`);
    }
    return { text: source.text, ids };
  }
  const what = `--chat ${source.file}`;
  const text = tokenizer.applyChatTemplate(source.messages, source.addGenerationPrompt, what);
  const ids = tokenizer.encode(text);
  if (ids.length === 0) {
    throw new UsageError(`${what}: the chat template wrote an empty document; give messages with some text`);
  }
  const { file, messages, addGenerationPrompt } = source;
  return { text, ids, chat: { file, messages, addGenerationPrompt } };
}

/** `chat.json (2 messages, add_generation_prompt true)`: where a --chat document came from. */
export function chatSummary(chat: NonNullable<PromptInput['chat']>): string {
  const n = chat.messages.length;
  return `${chat.file} (${n} message${n === 1 ? '' : 's'}, add_generation_prompt ${chat.addGenerationPrompt})`;
}
