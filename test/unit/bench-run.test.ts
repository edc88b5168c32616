import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tsF32Factory } from '../../backends/ts-kernels/factories.ts';
import { benchSettings } from '../../harness/app/cli/commands/bench.ts';
import { referenceFactory } from '../../harness/app/registry.ts';
import { benchCsvTable, benchDocument } from '../../harness/app/report/bench-document.ts';
import { escapeCsv } from '../../harness/app/report/escape.ts';
import { renderCsvTable } from '../../harness/app/report/render-csv.ts';
import { renderMarkdown } from '../../harness/app/report/render-markdown.ts';
import { renderText } from '../../harness/app/report/render-text.ts';
import type { BackendFactory } from '../../harness/core/backend/contract.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { benchModelOf } from '../../harness/engine/bench/bench-model.ts';
import type { BenchRan } from '../../harness/engine/bench/bench-record.ts';
import { ConformanceGate, codeSha256 } from '../../harness/engine/bench/conformance-gate.ts';
import { silentProgress } from '../../harness/engine/bench/progress.ts';
import { runBench } from '../../harness/engine/bench/run-bench.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { wrongLayerNormEps } from '../faulty-backends/wrong-layer-norm-eps.ts';

/** ts:f32 with a wrong layer-norm epsilon: fails conformance, so benchmarks must refuse it. */
const faultyFactory: BackendFactory = {
  id: 'faulty:layer-norm-eps-0.1',
  summary: 'ts:f32 with epsilon 0.1 (test only)',
  availability: async () => ({ available: true }),
  create: (model) => wrongLayerNormEps(model, 0.1),
};

const absentFactory: BackendFactory = {
  id: 'test:absent',
  summary: 'never available (test only)',
  availability: async () => ({ available: false, reason: 'its runtime is not installed', fix: 'install it' }),
  create: () => Promise.reject(new Error('unreachable')),
};

let model: ModelDir;
beforeAll(async () => {
  model = await loadModelDir('tiny-gpt2');
});

describe('ConformanceGate', () => {
  it('passes a conforming backend, caches the pass per model sha, and rechecks on request', async () => {
    const cacheRoot = mkdtempSync(join(tmpdir(), 'gate-'));
    const sha = (await benchModelOf(model)).sha256;
    const gate = new ConformanceGate(model, sha, {
      reference: referenceFactory(model),
      recheck: false,
      cacheRoot,
    });
    try {
      expect(await gate.check(tsF32Factory, {})).toEqual({ passed: true, cached: false });
      expect(readdirSync(join(cacheRoot, sha.slice(0, 16)))).toEqual(['ts_f32.json']);
      expect(await gate.check(tsF32Factory, {})).toEqual({ passed: true, cached: true });
      const recheck = new ConformanceGate(model, sha, {
        reference: referenceFactory(model),
        recheck: true,
        cacheRoot,
      });
      expect(await recheck.check(tsF32Factory, {})).toEqual({ passed: true, cached: false });
      await recheck.dispose();
      // another model (sha) does not see the pass
      const other = new ConformanceGate(model, 'f'.repeat(64), {
        reference: referenceFactory(model),
        recheck: false,
        cacheRoot,
      });
      expect(await other.check(tsF32Factory, {})).toEqual({ passed: true, cached: false });
      await other.dispose();
      // a pass recorded by other code (another harness, backend or onnxruntime version) is not reused
      const cached = join(cacheRoot, sha.slice(0, 16), 'ts_f32.json');
      const record = JSON.parse(readFileSync(cached, 'utf8'));
      expect(record.codeSha256).toBe(codeSha256());
      writeFileSync(cached, JSON.stringify({ ...record, codeSha256: '0'.repeat(64) }));
      expect(await gate.check(tsF32Factory, {})).toEqual({ passed: true, cached: false });
      expect(await gate.check(tsF32Factory, {})).toEqual({ passed: true, cached: true });
    } finally {
      await gate.dispose();
    }
  });

  it('refuses a backend that fails a check, names the checks, and never caches a failure', async () => {
    const cacheRoot = mkdtempSync(join(tmpdir(), 'gate-'));
    const gate = new ConformanceGate(model, 'e'.repeat(64), {
      reference: referenceFactory(model),
      recheck: false,
      cacheRoot,
    });
    try {
      const verdict = await gate.check(faultyFactory, {});
      expect(verdict.passed).toBe(false);
      if (verdict.passed) return;
      expect(verdict.failedChecks.map((c) => c.name)).toContain('logits-vs-reference');
      expect(existsSync(join(cacheRoot, 'e'.repeat(16), 'faulty_layer-norm-eps-0.1.json'))).toBe(false);
    } finally {
      await gate.dispose();
    }
  });
});

describe('runBench', () => {
  it('times a conforming backend at every sweep point, refuses a faulty one, and reports an unavailable one', async () => {
    const settings = benchSettings({
      'prompt-tokens': '4',
      depth: '0,3',
      'new-tokens': '3',
      repetitions: '2',
      warmup: '0',
    });
    const report = await runBench(
      {
        models: ['tiny-gpt2'],
        backends: [tsF32Factory, faultyFactory, absentFactory],
        settings,
        reference: referenceFactory,
        recheck: false,
      },
      silentProgress,
    );
    expect(report.schema).toBe('decode-harness/bench@2');
    expect(report.results.map((r) => r.status)).toEqual(['ran', 'ran', 'refused', 'unavailable']);
    const [ran, deep] = report.results as BenchRan[];
    expect(ran!.backend.id).toBe('ts:f32');
    expect(ran!.model).toMatchObject({ name: 'tiny-gpt2', modelType: 'gpt2' });
    expect([ran!.prefill.test, ran!.decode.test, deep!.prefill.test, deep!.decode.test]).toEqual([
      'pp4',
      'tg3 @ d4',
      'pp7',
      'tg3 @ d7',
    ]);
    expect(deep!.point).toEqual({ promptTokens: 4, depth: 3, batch: 1, contextTokens: 7 });
    expect(ran!.decode.tokensPerSec.samples).toHaveLength(2);
    expect(ran!.decode.tokensPerSec.median).toBeGreaterThan(0);
    expect(typeof ran!.decode.noisy).toBe('boolean');
    expect(ran!.decode.cpuTokensPerSec?.samples).toHaveLength(2); // ts:f32 is single-threaded
    expect(ran!.interTokenMs.samples).toHaveLength(4); // 2 gaps × 2 repetitions
    // one probe before the first repetition and one after each, per point, plus the first
    expect(report.bandwidth.bestReadGBps.samples).toHaveLength(1 + 2 * 3);
    expect(ran!.decode.roofline.bandwidthGBps.samples).toHaveLength(2);
    expect(ran!.decode.roofline.limitTokensPerSec.median).toBeGreaterThan(0);
    expect(['bound', 'in-cache', 'measurement-error']).toContain(ran!.decode.roofline.verdict.kind);
    expect(ran!.memory.peakRssBytes).toBeGreaterThan(0);
    expect(ran!.memory.gpu).toMatchObject({ status: 'not-applicable' });
    // keys and values of 2 layers × width 64 in float32 over the 4 + 3 positions
    expect(ran!.memory.kvCacheBytes).toBe(2 * 2 * 64 * 4 * 7);
    expect(deep!.memory.kvCacheBytes).toBe(2 * 2 * 64 * 4 * 10);
    expect(ran!.memory.baselineRssBytes).toBeGreaterThan(0);
    expect(ran!.memory.baselineRssBytes).toBeLessThanOrEqual(ran!.memory.peakRssBytes);
    expect(report.machine.versions['onnxruntime-node']).toMatch(/^\d+\.\d+/);
    expect(report.machine.load?.start?.logicalCores).toBeGreaterThan(0);
    expect(report.machine.load?.end?.busyProcesses).toBeGreaterThanOrEqual(0);
    const cache = report.machine.lastLevelCacheBytes;
    expect(cache === null || cache > 0).toBe(true);

    const refused = report.results[2]!;
    expect(refused.status === 'refused' && refused.failedChecks.map((c) => c.name)).toContain(
      'logits-vs-reference',
    );

    const doc = benchDocument(report);
    const text = renderText(doc);
    expect(text).toMatch(/tiny-gpt2 .* ts:f32 .* pp4/);
    if (cache !== null && ran!.decode.roofline.weightBytesPerStep < cache) {
      expect(text).toMatch(
        /tg3 @ d4 .*no bound \(weights [\d.]+ MiB, under the [\d.]+ MiB cache and the probe's 256\.0 MiB\)/,
      ); // tiny-gpt2 is 13 MB
    }
    expect(text).toMatch(
      /faulty:layer-norm-eps-0\.1 on tiny-gpt2: REFUSED — failed conformance \(logits-vs-reference/,
    );
    expect(text).toMatch(/test:absent on tiny-gpt2: unavailable — its runtime is not installed; install it/);
    const md = renderMarkdown(doc);
    expect(md).toMatch(/\| peak RSS \| of which baseline \| KV cache \| browser PSS \| GPU mem \|$/m);
    expect(md).toMatch(/^\| model \| size \| params \| backend \| threads \| test \| t\/s \|$/m);

    const csv = renderCsvTable(benchCsvTable(report)).trim().split('\n');
    expect(csv).toHaveLength(5); // header, pp and tg of the two points
    expect(csv[4]).toMatch(/^tiny-gpt2,\d+,\d+,ts:f32,1,1,3,4,7,tg3 @ d7,[\d.]+,/);
  });
});

describe('escapeCsv', () => {
  it('quotes cells with commas, quotes or newlines (RFC 4180)', () => {
    expect(escapeCsv('plain')).toBe('plain');
    expect(escapeCsv(1.5)).toBe('1.5');
    expect(escapeCsv('a,b')).toBe('"a,b"');
    expect(escapeCsv('say "hi"')).toBe('"say ""hi"""');
  });
});
