import type { LogitsSource } from '../../core/backend/contract.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { CONFORMANCE_PROMPTS } from '../../engine/conformance/prompts.ts';
import { loadModelGoldens, type ModelGoldens } from '../../engine/golden/model-goldens.ts';
import { type ModelIdentity, modelIdentity } from '../../engine/model/model-identity.ts';
import type { GraphChoice } from '../../engine/model/select-graph.ts';
import { loadTokenizer, type Tokenizer } from '../../engine/model/tokenizer.ts';
import { loadModelDir } from '../../engine/model-gen/load-model-dir.ts';
import { createBackend, referenceIdFor } from '../registry.ts';

/** What every backend's checks in the main job share. */
export interface JobContext {
  readonly model: ModelDir;
  /** Which files (and which graph) the job ran: the report names them. */
  readonly identity: ModelIdentity;
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
  graph: GraphChoice,
  full: boolean,
  progress: (line: string) => void,
): Promise<JobContext> {
  const model = await loadModelDir(modelArg, graph);
  const tokenizer = await loadTokenizer(model);
  const prompts = CONFORMANCE_PROMPTS.map((text) => ({ text, ids: tokenizer.encode(text) }));
  const identity = await modelIdentity(model);
  const goldens = await loadModelGoldens(model, identity);
  let reference: Promise<LogitsSource> | undefined;
  return {
    model,
    identity,
    tokenizer,
    prompts,
    goldens,
    full,
    progress,
    reference: () => {
      reference ??= createBackend(referenceIdFor(model), model);
      return reference;
    },
    dispose: async () => {
      const opened = await reference?.catch(() => undefined);
      await opened?.dispose();
    },
  };
}
