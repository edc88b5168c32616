import { ModelDirError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';

/** generation_config.json's eos_token_id (one id or a list), else config.json's. */
export function eosTokenIds(model: ModelDir): number[] {
  const raw = model.generationConfig.eos_token_id ?? model.config.eos_token_id;
  const ids = Array.isArray(raw) ? raw : [raw];
  for (const id of ids) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= model.config.vocab_size) {
      throw new ModelDirError(
        `${model.path}/generation_config.json: eos_token_id ${JSON.stringify(raw)} is not a token id ` +
          `below vocab_size ${model.config.vocab_size}; fix the file`,
      );
    }
  }
  return ids as number[];
}
