import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.ts';
import { assertRegularFile } from '../../core/regular-file.ts';

/** One turn of a conversation, as Hugging Face chat templates read it. */
export interface ChatMessage {
  readonly role: string;
  readonly content: string;
  /** Other keys (`name`, …) go to the template as given. */
  readonly [key: string]: unknown;
}

const FIX =
  'give a JSON list of {"role": "...", "content": "..."} objects, e.g. [{"role": "user", "content": "Hi"}]';

const describe = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'a list'
      : typeof value === 'object'
        ? 'an object'
        : typeof value;

/** Validate parsed JSON as a conversation; `what` names where it came from (`--chat FILE`). */
export function parseChatMessages(value: unknown, what: string): ChatMessage[] {
  if (!Array.isArray(value))
    throw new UsageError(`${what} holds ${describe(value)}, not a list of messages; ${FIX}`);
  if (value.length === 0) throw new UsageError(`${what} is an empty list; ${FIX}`);
  return value.map((message: unknown, i): ChatMessage => {
    const at = `${what} message ${i} (${JSON.stringify(message)?.slice(0, 60)})`;
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw new UsageError(`${at} is ${describe(message)}, not a {role, content} object; ${FIX}`);
    }
    const { role, content } = message as Record<string, unknown>;
    if (typeof role !== 'string' || role === '') {
      throw new UsageError(
        `${at} has ${role === undefined ? 'no "role"' : `role ${JSON.stringify(role)}, not a non-empty string`}; ` +
          'give each message a "role" such as "user", "assistant" or "system"',
      );
    }
    if (typeof content !== 'string') {
      throw new UsageError(
        `${at} has ${content === undefined ? 'no "content"' : `content of type ${describe(content)}`}; ` +
          'give each message its text as a "content" string',
      );
    }
    return message as ChatMessage;
  });
}

/** Read `--chat FILE`: a regular file holding a JSON list of {role, content} messages. */
export function readChatMessages(path: string): ChatMessage[] {
  assertRegularFile(path, '--chat', FIX);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--chat ${path}: ${error instanceof Error ? error.message : String(error)}; ${FIX}`);
  }
  return parseChatMessages(parsed, `--chat ${path}`);
}
