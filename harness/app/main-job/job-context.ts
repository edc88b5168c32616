import type { LogitsSource } from '../../core/backend/contract.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { CONFORMANCE_PROMPTS } from '../../engine/conformance/prompts.ts';
import { loadModelGoldens, type ModelGoldens } from '../../engine/golden/model-goldens.ts';
import { loadTokenizer, type Tokenizer } from '../../engine/model/tokenizer.ts';
import { loadModelDir } from '../../engine/model-gen/load-model-dir.ts';
import { createBackend, REFERENCE_BACKEND_ID } from '../registry.ts';

/** What every backend's checks in the main job share. */
export interface JobContext {
  readonly model: ModelDir;
  readonly tokenizer: Tokenizer;
  readonly prompts: readonly { readonly text: string; readonly ids: readonly number[] }[];
  readonly goldens: ModelGoldens;
  /** Every golden case on software adapters too. */
  readonly full: boolean;
  readonly progress: (line: string) => void;
  /**
   * The reference backend, opened on first use and shared by every backend's checks (each stage
   * prefills afresh); a failure to open it is each backend's error, as it would be alone.
   */
  reference(): Promise<LogitsSource>;
  /** Close the shared reference. */
  dispose(): Promise<void>;
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
  let reference: Promise<LogitsSource> | undefined;
  return {
    model,
    tokenizer,
    prompts,
    goldens,
    full,
    progress,
    reference: () => {
      reference ??= createBackend(REFERENCE_BACKEND_ID, model);
      return reference;
    },
    dispose: async () => {
      const opened = await reference?.catch(() => undefined);
      await opened?.dispose();
    },
  };
}
