import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackendFactories, createBackend, REFERENCE_BACKEND_ID } from '../../harness/app/registry.ts';
import { type LogitsSource, toleranceDtypeOf } from '../../harness/core/backend/contract.ts';
import { numLayers } from '../../harness/core/model/model-config.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { CONFORMANCE_CHECKS } from '../../harness/engine/conformance/checks.ts';
import { CONFORMANCE_PROMPTS } from '../../harness/engine/conformance/prompts.ts';
import { conformanceTolerance } from '../../harness/engine/conformance/tolerances.ts';
import { loadTokenizer } from '../../harness/engine/model/tokenizer.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
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
            const tolerance = conformanceTolerance(toleranceDtypeOf(source.info), numLayers(model.config));
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
