import { EMBEDDED_MODEL_NAMES, ensureEmbeddedModel } from '../harness/engine/model-gen/embedded-models.ts';

/** Build (or verify) every embedded model once, before test workers race to them. */
export default async function setup(): Promise<void> {
  for (const name of EMBEDDED_MODEL_NAMES) await ensureEmbeddedModel(name);
}
