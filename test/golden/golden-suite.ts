import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PerturbedSource } from '../../backends/scripted/perturbed-source.ts';
import { allBackendFactories, createBackend } from '../../harness/app/registry.ts';
import type { Availability, LogitsSource } from '../../harness/core/backend/contract.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import type { TextOf } from '../../harness/engine/decode/stopping.ts';
import { checkCase } from '../../harness/engine/golden/check-case.ts';
import type { BackendCheck, CaseOutcome } from '../../harness/engine/golden/check-result.ts';
import { defaultGoldenDir, readGoldenDir } from '../../harness/engine/golden/golden-dir.ts';
import { assertGoldensMatchModel, checkSource, textOfFor } from '../../harness/engine/golden/run-check.ts';
import { selectGoldens } from '../../harness/engine/golden/software-adapter-subset.ts';
import { modelIdentity } from '../../harness/engine/model/model-identity.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { createOrSkip } from '../helpers/backends.ts';
import { FULL_MATRIX, goldenTestSkip } from '../helpers/full-matrix.ts';

/** Backends that cannot run a model here (e.g. float16 without shader-f16), with why. */
const refusals = new Map<string, string>();

/** One line per backend: what a reader of the test log wants to know about its run. */
function summary(backend: string, outcomes: readonly CaseOutcome[]): string {
  const worst = outcomes.reduce((a, c) => (c.maxLogprobDeviation > a.maxLogprobDeviation ? c : a));
  const ms = outcomes.reduce((sum, c) => sum + c.ms, 0);
  const flips = outcomes
    .filter((c) => c.mismatch)
    .map(
      (c) =>
        `${c.case} ${c.mismatch!.label ?? 'FAIL'} at step ${c.mismatch!.at.step} (margin ${c.mismatch!.margin})`,
    );
  return (
    `golden ${backend}: ${outcomes.filter((c) => c.passed).length}/${outcomes.length} passed in ` +
    `${(ms / 1000).toFixed(1)} s; max teacher-forced |Δlogprob| ${worst.maxLogprobDeviation.toExponential(2)} ` +
    `(${worst.case}); flips: ${flips.length ? flips.join('; ') : 'none'}`
  );
}

/**
 * The committed golden suite of one model on every registered backend. One test file per model
 * (golden-<model>.test.ts), so the models' suites run in parallel workers.
 */
export function goldenSuite(modelName: string): void {
  describe(`golden suite on ${modelName}`, () => {
    // Read at collection time so every case is its own test (and its own timeout).
    const goldens = readGoldenDir(defaultGoldenDir(modelName), modelName);
    let model: ModelDir;
    let textOf: TextOf | undefined;

    beforeAll(async () => {
      model = await loadModelDir(modelName);
      assertGoldensMatchModel(goldens, await modelIdentity(model), modelName);
      textOf = await textOfFor(model, goldens);
    });

    for (const factory of allBackendFactories()) {
      describe(factory.id, () => {
        let availability: Availability;
        let source: LogitsSource | undefined;
        const outcomes: CaseOutcome[] = [];
        beforeAll(async () => {
          availability = await factory.availability();
          if (!availability.available)
            console.warn(`SKIP ${factory.id}: ${availability.reason} (fix: ${availability.fix})`);
        });
        afterAll(async () => {
          await source?.dispose();
          if (outcomes.length > 0) console.log(summary(factory.id, outcomes));
        });

        for (const golden of goldens) {
          it(golden.golden.id, async (ctx) => {
            if (!availability.available) ctx.skip(`${factory.id} unavailable: ${availability.reason}`);
            source ??= await createOrSkip(factory, model, ctx, refusals);
            const selection = selectGoldens(goldens, source.info, FULL_MATRIX);
            const why = selection.run.includes(golden)
              ? goldenTestSkip(source.info, factory.id, modelName, golden.golden.id)
              : `${golden.golden.id} on ${factory.id}: ${selection.reason}`;
            if (why !== null) {
              console.warn(`SKIP ${why}`);
              ctx.skip(why);
            }
            const outcome = await checkCase(source, golden, textOf);
            outcomes.push(outcome);
            expect(outcome.failures).toEqual([]);
          });
        }
      });
    }

    describe('a backend with one logit nudged by 1e-2', () => {
      const target = 'greedy--fox';

      it(`fails ${target} at step 5 and names both`, async () => {
        const golden = goldens.find((g) => g.golden.id === target)!.golden;
        const steps = golden.expected.sequences[0]!.steps;
        const inner = await createBackend('ts:f32', model);
        const perturbed = new PerturbedSource(inner, {
          context: [...golden.prompt.ids, ...steps.slice(0, 5).map((s) => s.id)],
          tokenId: steps[5]!.id,
          delta: 1e-2,
        });
        let result: BackendCheck;
        try {
          // The target and two cases on other prompts, which the nudge never reaches.
          const subset = goldens.filter((g) =>
            [target, 'greedy--story', 'sample-t0.7--code'].includes(g.golden.id),
          );
          result = await checkSource(perturbed, subset);
        } finally {
          await perturbed.dispose();
        }
        const failed = result.cases.filter((c) => !c.passed);
        expect(failed.map((c) => c.case)).toEqual([target]);
        const outcome = failed[0]!;
        expect(outcome.backend).toBe('ts:f32+perturbed');
        expect(outcome.deviationAt).toEqual({ sequence: 0, step: 5 });
        expect(outcome.failures.join('\n')).toMatch(/^step 5: teacher-forced token \d+: logprob/m);
        console.log(`perturbed: ${outcome.case}: ${outcome.failures.join(' | ')}`);
      });
    });
  });
}
