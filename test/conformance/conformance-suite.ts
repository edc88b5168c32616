import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogitsSource } from '../../harness/backend/contract.ts';
import { allBackendFactories, createBackend, REFERENCE_BACKEND_ID } from '../../harness/backend/registry.ts';
import { CONFORMANCE_CHECKS } from '../../harness/conformance/checks.ts';
import { CONFORMANCE_PROMPTS } from '../../harness/conformance/prompts.ts';
import { conformanceTolerance } from '../../harness/conformance/tolerances.ts';
import { loadModelDir } from '../../harness/model/load-model-dir.ts';
import { numLayers } from '../../harness/model/model-config.ts';
import type { ModelDir } from '../../harness/model/model-dir.ts';
import { loadTokenizer } from '../../harness/model/tokenizer.ts';
import { createOrSkip, requireAvailable } from '../helpers/backends.ts';

/** Backends that cannot run a model here (e.g. float16 without shader-f16), with why. */
const refusals = new Map<string, string>();

/**
 * The conformance suite of one model on every registered backend. One test file per embedded model
 * (conformance-<model>.test.ts), so the models run in parallel workers.
 */
export function conformanceSuite(modelName: string): void {
  describe(`conformance on ${modelName}`, () => {
    let model: ModelDir;
    let reference: LogitsSource;
    let prompts: number[][];

    beforeAll(async () => {
      model = await loadModelDir(modelName);
      const tokenizer = await loadTokenizer(model);
      prompts = CONFORMANCE_PROMPTS.map((text) => tokenizer.encode(text));
      reference = await createBackend(REFERENCE_BACKEND_ID, model);
    });

    afterAll(async () => {
      await reference?.dispose();
    });

    for (const factory of allBackendFactories()) {
      describe(`conformance ${factory.id}`, () => {
        let source: LogitsSource | undefined;
        afterAll(async () => {
          if (source && source !== reference) await source.dispose();
        });

        it('reports its device kind as its device describes itself (software is never called a GPU)', async (ctx) => {
          if (!(await requireAvailable(factory, ctx))) return;
          source ??=
            factory.id === REFERENCE_BACKEND_ID
              ? reference
              : await createOrSkip(factory, model, ctx, refusals);
          const { device, deviceKind } = source.info;
          expect(deviceKind === 'software-gpu', device).toBe(/software/i.test(device));
          if (/^cpu \(/.test(device)) expect(deviceKind).toBe('cpu');
        });

        for (const check of CONFORMANCE_CHECKS) {
          it(`${check.name}: ${check.description}`, async (ctx) => {
            if (!(await requireAvailable(factory, ctx))) return;
            source ??=
              factory.id === REFERENCE_BACKEND_ID
                ? reference
                : await createOrSkip(factory, model, ctx, refusals);
            const tolerance = conformanceTolerance(source.info.dtype, numLayers(model.config));
            try {
              const outcome = await check.run({ source, reference, prompts, tolerance });
              console.log(`${modelName} ${factory.id} ${outcome.name}: ${outcome.detail}`);
              expect(outcome.passed, outcome.detail).toBe(true);
            } finally {
              source.reset();
              reference.reset();
            }
          });
        }
      });
    }
  });
}
