import { ensureEmbeddedModel } from '../harness/model-gen/embedded-models.ts';

/** Build (or verify) the embedded model once, before test workers race to it. */
export default async function setup(): Promise<void> {
  await ensureEmbeddedModel('tiny-gpt2');
}
