import { ModelDirError, UsageError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import type { ChatMessage } from './chat-messages.ts';

/** The part of a transformers.js tokenizer that applies chat templates. */
export interface ChatTemplating {
  readonly chat_template: unknown;
  apply_chat_template(
    conversation: ChatMessage[],
    options: { tokenize: false; add_generation_prompt: boolean },
  ): unknown;
}

/**
 * The document a chat model reads: tokenizer_config.json's `chat_template` rendered by
 * transformers.js's `apply_chat_template(messages, { tokenize: false, add_generation_prompt })`,
 * as Hugging Face's does (its Jinja, the config's bos/eos tokens). Tokenising that text without
 * adding special tokens gives HF's `apply_chat_template(..., tokenize=True)`. `what` names the
 * conversation's source for messages (`--chat chat.json`).
 */
export function renderChatTemplate(
  tokenizer: ChatTemplating,
  model: ModelDir,
  messages: readonly ChatMessage[],
  addGenerationPrompt: boolean,
  what: string,
): string {
  if (tokenizer.chat_template === null || tokenizer.chat_template === undefined) {
    throw new ModelDirError(
      `model ${model.name} has no chat template (no "chat_template" in ${model.path}/tokenizer_config.json); ` +
        `give the document as plain text instead of ${what}, or add the model's chat_template to that file`,
    );
  }
  let rendered: unknown;
  try {
    rendered = tokenizer.apply_chat_template([...messages], {
      tokenize: false,
      add_generation_prompt: addGenerationPrompt,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof SyntaxError) {
      throw new ModelDirError(
        `model ${model.name}: the chat_template in ${model.path}/tokenizer_config.json does not parse ` +
          `(${message}); fix the template`,
      );
    }
    throw new UsageError(
      `${what}: the chat template of model ${model.name} refused the conversation: ${message}; ` +
        'change the messages to what the template accepts',
    );
  }
  if (typeof rendered !== 'string') {
    throw new ModelDirError(`model ${model.name}: the chat template rendered no text; fix the template`);
  }
  return rendered;
}
