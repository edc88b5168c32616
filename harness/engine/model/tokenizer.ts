import { AutoTokenizer } from '@huggingface/transformers';
import { ModelDirError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import type { ChatMessage } from './chat-messages.ts';
import { type ChatTemplating, renderChatTemplate } from './chat-template.ts';

/** Text ↔ token ids for one model, as the model dir's tokenizer.json defines them. */
export interface Tokenizer {
  /** Token ids of `text`; adds no BOS/EOS (special tokens written in the text are still recognised). */
  encode(text: string): number[];
  /** Text of `ids`, special tokens included, with no clean-up of spaces. */
  decode(ids: readonly number[]): string;
  /** Decoded text of one token (for tables); a partial UTF-8 sequence decodes to U+FFFD. */
  tokenText(id: number): string;
  /**
   * The bytes of a token whose text is not whole UTF-8 characters (a piece of `—` decodes to U+FFFD),
   * read from GPT-2's byte-level alphabet or a byte-fallback token's `<0xE2>`; null for every token
   * whose text is exact.
   */
  partialBytes(id: number): Uint8Array | null;
}

/** A model dir's tokenizer, which also knows the model's chat template (chat-template.ts). */
export interface ModelTokenizer extends Tokenizer {
  /** The conversation as the model's chat template writes it (text); `what` names its source in errors. */
  applyChatTemplate(messages: readonly ChatMessage[], addGenerationPrompt: boolean, what: string): string;
}

/** GPT-2's byte-level alphabet (bytes_to_unicode): the vocabulary spells each byte as one character. */
function byteLevelAlphabet(): Map<string, number> {
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const alphabet = new Map<string, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) alphabet.set(String.fromCodePoint(printable(b) ? b : 256 + shifted++), b);
  return alphabet;
}

const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;

/** A vocabulary entry's bytes, or null when it is spelled in neither byte form. */
function spelledBytes(token: string, alphabet: Map<string, number>): Uint8Array | null {
  const fallback = BYTE_FALLBACK.exec(token);
  if (fallback) return Uint8Array.of(Number.parseInt(fallback[1]!, 16));
  const bytes = [...token].map((c) => alphabet.get(c));
  return bytes.every((b) => b !== undefined) ? Uint8Array.from(bytes as number[]) : null;
}

/**
 * Load the model dir's tokenizer with transformers.js, strictly from disk: `local_files_only`
 * makes a missing file an error instead of a hub download. The absolute path matters: a relative
 * `a/b` looks like a hub model id and would be resolved under env.localModelPath instead.
 */
export async function loadTokenizer(dir: ModelDir): Promise<ModelTokenizer> {
  let tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(dir.path, { local_files_only: true });
  } catch (e) {
    throw new ModelDirError(
      `${dir.path}: cannot load tokenizer.json / tokenizer_config.json with transformers.js ` +
        `(${(e as Error).message}); re-save the tokenizer with tokenizer.save_pretrained(dir)`,
    );
  }
  const vocabSize = tokenizer.get_vocab().size;
  if (vocabSize > dir.config.vocab_size) {
    throw new ModelDirError(
      `${dir.path}: tokenizer.json has ${vocabSize} tokens but config.json vocab_size is ` +
        `${dir.config.vocab_size}; the tokenizer belongs to another model`,
    );
  }
  // transformers.js throws on an empty list; no tokens are no text.
  const decode = (ids: readonly number[]): string =>
    ids.length === 0
      ? ''
      : tokenizer.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  let spellings: string[] | undefined; // id → vocabulary entry, built on first need
  let alphabet: Map<string, number> | undefined;
  const partialBytes = (id: number): Uint8Array | null => {
    if (!decode([id]).includes('\uFFFD')) return null;
    if (spellings === undefined) {
      spellings = [];
      for (const [token, tokenId] of tokenizer.get_vocab()) spellings[tokenId] = token;
    }
    alphabet ??= byteLevelAlphabet();
    const token = spellings[id];
    return token === undefined ? null : spelledBytes(token, alphabet);
  };
  return {
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }),
    decode,
    tokenText: (id) => decode([id]),
    partialBytes,
    applyChatTemplate: (messages, addGenerationPrompt, what) =>
      renderChatTemplate(tokenizer as unknown as ChatTemplating, dir, messages, addGenerationPrompt, what),
  };
}
