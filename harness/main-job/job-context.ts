import { CONFORMANCE_PROMPTS } from '../conformance/prompts.ts';
import { loadModelGoldens, type ModelGoldens } from '../golden/model-goldens.ts';
import { loadModelDir } from '../model/load-model-dir.ts';
import type { ModelDir } from '../model/model-dir.ts';
import { loadTokenizer, type Tokenizer } from '../model/tokenizer.ts';

/** What every backend's checks in the main job share. */
export interface JobContext {
  readonly model: ModelDir;
  readonly tokenizer: Tokenizer;
  readonly prompts: readonly { readonly text: string; readonly ids: readonly number[] }[];
  readonly goldens: ModelGoldens;
  /** Every golden case on software adapters too. */
  readonly full: boolean;
  readonly progress: (line: string) => void;
}

export async function openJobContext(
  modelArg: string,
  full: boolean,
  progress: (line: string) => void,
): Promise<JobContext> {
  const model = await loadModelDir(modelArg);
  const tokenizer = await loadTokenizer(model);
  const prompts = CONFORMANCE_PROMPTS.map((text) => ({ text, ids: tokenizer.encode(text) }));
  const goldens = await loadModelGoldens(model);
  return { model, tokenizer, prompts, goldens, full, progress };
}
