import { existsSync, readdirSync } from 'node:fs';
import type { LogitsSource } from '../../core/backend/contract.ts';
import { UsageError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import type { ConfigLayer } from '../decode/resolve-generation-config.ts';
import { fileLabel, resolveGenerationConfig } from '../decode/resolve-generation-config.ts';
import { eosTokenIds } from '../model/eos-token-ids.ts';
import type { FileIdentity } from '../model/model-identity.ts';
import type { Tokenizer } from '../model/tokenizer.ts';
import type { GoldenCaseDef } from './case-list.ts';
import { diffGolden } from './golden-diff.ts';
import { goldenPath, readGoldenFile, writeGoldenFile } from './golden-dir.ts';
import type { Golden } from './golden-schema.ts';
import { recordCase } from './record-case.ts';

/** What happened to one case: written fresh, same as committed, or changed (written only if accepted). */
export interface RecordedCase {
  readonly id: string;
  readonly file: string;
  readonly status: 'new' | 'unchanged' | 'changed' | 'accepted';
  /** For changed / accepted: what differs from the committed file. */
  readonly diff: readonly string[];
}

export interface RecordOutcome {
  readonly cases: readonly RecordedCase[];
  /** Golden files in the directory that no case produces any more (left in place, reported). */
  readonly stale: readonly string[];
  /** True when some golden changed and was not written (no --yes). */
  readonly refused: boolean;
}

export interface RecordRun {
  readonly model: ModelDir;
  readonly identity: FileIdentity;
  readonly tokenizer: Tokenizer;
  /** The reference backend: goldens are only ever recorded from it. */
  readonly reference: LogitsSource;
  readonly cases: readonly GoldenCaseDef[];
  readonly goldenDir: string;
  readonly provenance: Golden['provenance'];
  /** --yes: overwrite goldens that changed. */
  readonly accept: boolean;
  readonly onCase?: (recorded: RecordedCase) => void;
}

/** The case's settings over the model's generation_config.json, validated with the case list's labels. */
function caseConfig(def: GoldenCaseDef, model: ModelDir) {
  const layers: ConfigLayer[] = [
    {
      values: { ...model.generationConfig, eos_token_id: eosTokenIds(model) },
      label: fileLabel(`${model.path}/generation_config.json`),
    },
    { values: def.generation, label: (field) => `${def.label}: generation.${field}` },
  ];
  return resolveGenerationConfig(layers, model.config.vocab_size);
}

/** What changed against the committed file; a file that no longer loads counts as changed. */
function diffCommitted(file: string, fresh: Golden): string[] {
  try {
    return diffGolden(readGoldenFile(file).golden, fresh);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return [`the committed file does not load: ${error.message}`];
  }
}

/**
 * Record every case on the reference and compare with what is committed. New goldens are written;
 * a golden whose content (anything but provenance) changed is written only when `accept` is set —
 * otherwise it is left untouched and its diff reported. Every write is atomic.
 */
export async function runRecord(run: RecordRun): Promise<RecordOutcome> {
  const configs = run.cases.map((def) => caseConfig(def, run.model)); // all settings valid before any work
  const cases: RecordedCase[] = [];
  for (const [i, def] of run.cases.entries()) {
    const promptIds = run.tokenizer.encode(def.prompt);
    if (promptIds.length === 0)
      throw new UsageError(`${def.label}: prompt ${JSON.stringify(def.prompt)} encodes to no tokens`);
    const fresh = await recordCase(
      run.reference,
      run.tokenizer,
      run.identity,
      { id: def.id, promptText: def.prompt, promptIds, config: configs[i]! },
      run.provenance,
    );
    const file = goldenPath(run.goldenDir, def.id);
    const diff = existsSync(file) ? diffCommitted(file, fresh) : null;
    let status: RecordedCase['status'];
    if (diff === null) status = 'new';
    else if (diff.length === 0) status = 'unchanged';
    else status = run.accept ? 'accepted' : 'changed';
    if (status === 'new' || status === 'accepted') writeGoldenFile(run.goldenDir, fresh);
    const recorded = { id: def.id, file, status, diff: diff ?? [] };
    run.onCase?.(recorded);
    cases.push(recorded);
  }
  const produced = new Set(run.cases.map((def) => `${def.id}.json`));
  const stale = existsSync(run.goldenDir)
    ? readdirSync(run.goldenDir).filter((name) => name.endsWith('.json') && !produced.has(name))
    : [];
  return { cases, stale, refused: cases.some((c) => c.status === 'changed') };
}
