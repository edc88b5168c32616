import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BackendFactory, BackendOptions, LogitsSource } from '../../core/backend/contract.ts';
import { openBackend } from '../../core/backend/open-backend.ts';
import { writeFileAtomic } from '../../core/io/atomic-write.ts';
import { numLayers } from '../../core/model/model-config.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { PROJECT_ROOT, projectPath } from '../../core/project-root.ts';
import type { CheckOutcome } from '../conformance/checks.ts';
import { CONFORMANCE_PROMPTS } from '../conformance/prompts.ts';
import { runConformance } from '../conformance/run-conformance.ts';
import { loadTokenizer } from '../model/tokenizer.ts';

const CACHE_ROOT = projectPath('.cache', 'conformance');
const CACHE_SCHEMA = 'decode-harness/conformance-pass@2';

let codeSha: string | undefined;

/**
 * sha256 of the code a pass depends on: every source file under harness/ and backends/ and
 * package-lock.json (so the onnxruntime, transformers.js and playwright versions), plus the Node
 * version. Any change there invalidates every cached pass. ~40 ms, once per process.
 */
export function codeSha256(): string {
  if (codeSha !== undefined) return codeSha;
  const files: string[] = [join(PROJECT_ROOT, 'package-lock.json')];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|mjs|js|html)$/.test(entry.name)) files.push(path);
    }
  };
  for (const dir of ['harness', 'backends']) walk(join(PROJECT_ROOT, dir));
  const hash = createHash('sha256').update(`node ${process.version}\n`);
  for (const file of files.sort())
    hash.update(`${relative(PROJECT_ROOT, file)}\n`).update(readFileSync(file));
  codeSha = hash.digest('hex');
  return codeSha;
}

export type GateVerdict =
  | { readonly passed: true; readonly cached: boolean }
  | { readonly passed: false; readonly failedChecks: readonly CheckOutcome[] };

/**
 * Benchmarks only time backends that compute the right thing: before a backend is timed on a
 * model, it must pass the conformance suite against the float64 reference on that model. A pass is
 * cached per (backend id, model sha256, code sha256) in .cache/conformance/ (the suite takes ~10 s
 * on distilgpt2-shape, mostly the reference), so a changed backend or library is checked again; a
 * failure is never cached, so a fixed backend is rechecked next time. `recheck` ignores the cache. One reference backend serves every check.
 */
export class ConformanceGate {
  #reference: LogitsSource | undefined;
  #prompts: number[][] | undefined;

  constructor(
    private readonly model: ModelDir,
    private readonly modelSha256: string,
    private readonly options: {
      /** The float64 reference every backend is checked against. */
      readonly reference: BackendFactory;
      readonly recheck: boolean;
      readonly cacheRoot?: string;
    },
  ) {}

  async check(factory: BackendFactory, backendOptions: BackendOptions): Promise<GateVerdict> {
    const backendId = factory.id;
    const cacheFile = this.#cacheFile(backendId);
    if (!this.options.recheck && isCachedPass(cacheFile, backendId, this.modelSha256, codeSha256())) {
      return { passed: true, cached: true };
    }
    const reference = await this.#referenceSource();
    const source =
      backendId === this.options.reference.id
        ? reference
        : await openBackend(factory, this.model, backendOptions);
    try {
      const result = await runConformance(
        source,
        reference,
        await this.#conformancePrompts(),
        numLayers(this.model.config),
      );
      if (!result.passed) return { passed: false, failedChecks: result.checks.filter((c) => !c.passed) };
      const record = {
        schema: CACHE_SCHEMA,
        backendId,
        modelSha256: this.modelSha256,
        codeSha256: codeSha256(),
        checkedAt: new Date().toISOString(),
        result,
      };
      writeFileAtomic(cacheFile, `${JSON.stringify(record, null, 2)}\n`);
      return { passed: true, cached: false };
    } finally {
      if (source !== reference) await source.dispose();
    }
  }

  /** Release the reference backend (its float64 weights are the largest thing the gate holds). */
  async dispose(): Promise<void> {
    await this.#reference?.dispose();
    this.#reference = undefined;
  }

  #cacheFile(backendId: string): string {
    const root = this.options.cacheRoot ?? CACHE_ROOT;
    return join(root, this.modelSha256.slice(0, 16), `${backendId.replaceAll(/[^\w.-]/g, '_')}.json`);
  }

  async #referenceSource(): Promise<LogitsSource> {
    this.#reference ??= await openBackend(this.options.reference, this.model);
    return this.#reference;
  }

  async #conformancePrompts(): Promise<number[][]> {
    if (this.#prompts === undefined) {
      const tokenizer = await loadTokenizer(this.model);
      this.#prompts = CONFORMANCE_PROMPTS.map((text) => tokenizer.encode(text));
    }
    return this.#prompts;
  }
}

/** A readable cache record for exactly this backend and model that says passed. */
function isCachedPass(file: string, backendId: string, modelSha256: string, code: string): boolean {
  if (!existsSync(file)) return false;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return (
      record.schema === CACHE_SCHEMA &&
      record.backendId === backendId &&
      record.modelSha256 === modelSha256 &&
      record.codeSha256 === code &&
      (record.result as { passed?: unknown } | undefined)?.passed === true
    );
  } catch {
    return false; // a torn or foreign file: run the suite again and overwrite it
  }
}
