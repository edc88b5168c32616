import type { BackendFactory, LogitsSource } from '../../core/backend/contract.ts';
import { openBackend } from '../../core/backend/open-backend.ts';
import { UsageError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import type { TextOf } from '../decode/stopping.ts';
import { type FileIdentity, modelIdentity } from '../model/model-identity.ts';
import { loadTokenizer } from '../model/tokenizer.ts';
import { checkCase } from './check-case.ts';
import { type BackendCheck, type CaseOutcome, CHECK_SCHEMA, type CheckReport } from './check-result.ts';
import type { GoldenFile } from './golden-dir.ts';

/**
 * Refuse goldens recorded on other weights: their tokens would mismatch for a reason no tolerance
 * should absorb. Names both identities and the fix.
 */
export function assertGoldensMatchModel(
  goldens: readonly GoldenFile[],
  identity: FileIdentity,
  modelArg: string,
): void {
  for (const { file, golden } of goldens) {
    if (golden.model.sha256 === identity.sha256) continue;
    const changed = Object.keys({ ...golden.model.files, ...identity.files }).filter(
      (f) => golden.model.files[f] !== identity.files[f],
    );
    throw new UsageError(
      `${file} was recorded for model ${golden.model.name} sha256 ${golden.model.sha256}, but ${modelArg} has ` +
        `sha256 ${identity.sha256} (differing: ${changed.join(', ') || 'none listed'}); if the model changed on purpose, ` +
        `re-record with \`decode-harness record --model ${modelArg} --yes\`, else check --model or --golden`,
    );
  }
}

/** Stop strings are the only thing a check needs the tokenizer for; load it only then. */
export async function textOfFor(
  model: ModelDir,
  goldens: readonly GoldenFile[],
): Promise<TextOf | undefined> {
  if (!goldens.some(({ golden }) => golden.config.stop_strings.length > 0)) return undefined;
  const tokenizer = await loadTokenizer(model);
  return (ids) => tokenizer.decode(ids);
}

/** Every golden on one open backend, in file order. */
export async function checkSource(
  source: LogitsSource,
  goldens: readonly GoldenFile[],
  textOf?: TextOf,
  onCase?: (outcome: CaseOutcome) => void,
): Promise<BackendCheck> {
  const t0 = performance.now();
  const cases: CaseOutcome[] = [];
  for (const golden of goldens) {
    const outcome = await checkCase(source, golden, textOf);
    onCase?.(outcome);
    cases.push(outcome);
  }
  return { backend: source.info, cases, passed: cases.every((c) => c.passed), ms: performance.now() - t0 };
}

export interface CheckRun {
  readonly model: ModelDir;
  /** How the user named the model, for messages (`tiny-gpt2`, `./my-export`). */
  readonly modelArg: string;
  readonly goldenDir: string;
  readonly goldens: readonly GoldenFile[];
  readonly backends: readonly BackendFactory[];
  readonly onCase?: (outcome: CaseOutcome) => void;
}

/** The check command's work: the model sha against every golden, then every golden on every backend. */
export async function runCheck(run: CheckRun): Promise<CheckReport> {
  const identity = await modelIdentity(run.model);
  assertGoldensMatchModel(run.goldens, identity, run.modelArg);
  const textOf = await textOfFor(run.model, run.goldens);
  const backends: BackendCheck[] = [];
  for (const factory of run.backends) {
    const source = await openBackend(factory, run.model);
    try {
      backends.push(await checkSource(source, run.goldens, textOf, run.onCase));
    } finally {
      await source.dispose();
    }
  }
  return {
    schema: CHECK_SCHEMA,
    model: { name: run.model.name, path: run.model.path, sha256: identity.sha256 },
    goldenDir: run.goldenDir,
    backends,
    passed: backends.every((b) => b.passed),
  };
}
