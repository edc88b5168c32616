import { AutoTokenizer } from '@huggingface/transformers';
import { ModelDirError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';

/** Text ↔ token ids for one model, as the model dir's tokenizer.json defines them. */
export interface Tokenizer {
  /** Token ids of `text`; adds no BOS/EOS (special tokens written in the text are still recognised). */
  encode(text: string): number[];
  /** Text of `ids`, special tokens included, with no clean-up of spaces. */
  decode(ids: readonly number[]): string;
  /** Decoded text of one token (for tables); a partial UTF-8 sequence decodes to U+FFFD. */
  tokenText(id: number): string;
}

/**
 * Load the model dir's tokenizer with transformers.js, strictly from disk: `local_files_only`
 * makes a missing file an error instead of a hub download. The absolute path matters: a relative
 * `a/b` looks like a hub model id and would be resolved under env.localModelPath instead.
 */
export async function loadTokenizer(dir: ModelDir): Promise<Tokenizer> {
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
  return {
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }),
    decode,
    tokenText: (id) => decode([id]),
  };
}
