import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';

/** Gemma-2's chat template as its tokenizer_config.json ships it (system role refused, turns alternate). */
export const GEMMA_CHAT_TEMPLATE =
  "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" +
  "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
  "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}" +
  "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}";

/**
 * A copy of `base` under `dir` whose tokenizer_config.json has `chatTemplate` (null: none); every
 * other entry is a link to the original, whose files (pinned by manifests) stay untouched.
 */
export function modelWithChatTemplate(base: ModelDir, dir: string, chatTemplate: string | null): string {
  mkdirSync(dir, { recursive: true });
  for (const entry of readdirSync(base.path)) {
    if (entry !== 'tokenizer_config.json') symlinkSync(join(base.path, entry), join(dir, entry));
  }
  const config = JSON.parse(readFileSync(join(base.path, 'tokenizer_config.json'), 'utf8'));
  if (chatTemplate === null) delete config.chat_template;
  else config.chat_template = chatTemplate;
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
  return dir;
}
