import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { UsageError } from '../../core/errors.ts';
import { assertRegularFile } from '../../core/regular-file.ts';
import { BENCH_SCHEMA, type BenchReport } from './bench-record.ts';

const finite = v.pipe(v.number(), v.finite());
const summary = v.looseObject({
  mean: finite,
  sd: finite,
  median: finite,
  cv: finite,
  samples: v.pipe(v.array(finite), v.minLength(1)),
});
const figure = v.looseObject({ test: v.string(), tokensPerSec: summary, noisy: v.boolean() });
const model = v.looseObject({ name: v.string(), sha256: v.string() });

/**
 * What `bench compare` reads from a report, checked so a truncated or foreign file fails with its
 * field named. Loose objects: fields this reader does not use may be added without a schema bump.
 */
const reportSchema = v.looseObject({
  schema: v.literal(BENCH_SCHEMA),
  createdAt: v.string(),
  machine: v.looseObject({
    cpuModel: v.string(),
    logicalCores: v.number(),
    gitCommit: v.nullable(v.string()),
  }),
  settings: v.looseObject({
    promptTokens: v.array(v.number()),
    depths: v.array(v.number()),
    batches: v.array(v.number()),
    newTokens: v.number(),
    strategy: v.string(),
    numBeams: v.number(),
  }),
  results: v.array(
    v.variant('status', [
      v.looseObject({
        status: v.literal('ran'),
        model,
        backend: v.looseObject({ id: v.string(), threads: v.number() }),
        point: v.looseObject({ batch: v.number(), contextTokens: v.number() }),
        prefill: figure,
        decode: figure,
        timeToFirstTokenMs: summary,
        interTokenMs: v.looseObject({ p50: finite, p99: finite }),
        choiceMsPerStep: summary,
        memory: v.looseObject({ peakRssBytes: finite }),
      }),
      v.looseObject({
        status: v.picklist(['refused', 'unavailable', 'error']),
        model,
        backendId: v.string(),
      }),
    ]),
  ),
});

/** Read and check a report written by `decode-harness bench --out` or `--json`. */
export function readBenchReport(path: string): BenchReport {
  let raw: unknown;
  assertRegularFile(path, 'bench report', 'pass a bench.json written by `decode-harness bench`');
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `${path}: ${error instanceof Error ? error.message : String(error)}; pass a bench.json written by \`decode-harness bench\``,
    );
  }
  const tag = typeof raw === 'object' && raw !== null ? (raw as { schema?: unknown }).schema : undefined;
  if (tag !== BENCH_SCHEMA) {
    throw new UsageError(
      `${path}: schema ${JSON.stringify(tag) ?? 'missing'} is not ${JSON.stringify(BENCH_SCHEMA)}; ` +
        'pass a report written by `decode-harness bench` (re-run it with this version if it is older)',
    );
  }
  const parsed = v.safeParse(reportSchema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new UsageError(
      `${path}: ${v.getDotPath(issue) ?? '(top level)'}: ${issue.message}; the file is damaged or not a bench report — re-run \`decode-harness bench\``,
    );
  }
  return raw as BenchReport;
}
