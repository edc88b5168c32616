import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { OrtNodeSource } from '../../backends/ort-node/ort-node-source.ts';
import { ortWebWasmFactory } from '../../backends/ort-web/factories.ts';
import { openNodeWasmSource } from '../../backends/ort-web/open-sources.ts';
import { type Logits, type LogitsSource, logitsRow } from '../../harness/core/backend/contract.ts';
import { ModelDirError, UsageError } from '../../harness/core/errors.ts';
import type { Gpt2Config } from '../../harness/core/model/families/gpt2.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { SMALL_GPT2_CONFIG } from '../helpers/small-gpt2-config.ts';
import { randomGpt2OnnxDir } from './helpers/random-gpt2-onnx-dir.ts';

/** ort-web:wasm against onnxruntime-node's CPU provider on the same small random graph. */
const CONFIG: Gpt2Config = SMALL_GPT2_CONFIG;
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'ort-web-wasm-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

function randomModelDir(name: string, config: Gpt2Config, graphConfig: Gpt2Config = config): ModelDir {
  return randomGpt2OnnxDir(tmpRoot, name, 7, config, graphConfig);
}
const model = randomModelDir('random', CONFIG);

/** The whole file runs on one thread: the wasm module fixes its thread count at first use. */
const THREADS = 1;
const open: LogitsSource[] = [];
async function track<S extends LogitsSource>(source: Promise<S>): Promise<S> {
  const s = await source;
  open.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.dispose()));
});

function maxAbsDiff(a: Logits, b: Logits, rowA: number, rowB: number, posA?: number, posB?: number): number {
  const x = logitsRow(a, rowA, posA);
  const y = logitsRow(b, rowB, posB);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}
const PROMPT = [5, 17, 3, 88, 42, 9, 61];

describe('ort-web:wasm in Node', () => {
  it('reports what ran: the wasm CPU provider, float32, its thread count and versions', async () => {
    const source = await track(openNodeWasmSource(model, THREADS));
    expect(source.info).toMatchObject({
      id: 'ort-web:wasm',
      deviceKind: 'cpu',
      executionProvider: 'CPUExecutionProvider (onnxruntime-web wasm)',
      dtype: 'float32',
      threads: THREADS,
      versions: { 'onnxruntime-web': expect.stringMatching(/^1\.\d+/) },
    });
    expect(source.info.device).toMatch(/WebAssembly SIMD in Node 20/);
  });

  it('equals onnxruntime-node CPU at every prefill position, every step and after a padded reorder', async () => {
    const source = await track(openNodeWasmSource(model, THREADS));
    const native = await track(OrtNodeSource.open(model, { threads: 1 }));
    const got = await source.prefill([PROMPT], { allPositions: true });
    const want = await native.prefill([PROMPT], { allPositions: true });
    for (let p = 0; p < PROMPT.length; p++) expect(maxAbsDiff(got, want, 0, 0, p, p)).toBeLessThan(1e-5);
    for (const token of [11, 0, 96]) {
      expect(maxAbsDiff(await source.step([token]), await native.step([token]), 0, 0)).toBeLessThan(1e-5);
    }
    const rows = [PROMPT, [40, 2]];
    await source.prefill(rows);
    await native.prefill(rows);
    await source.reorder([1, 1, 0]);
    await native.reorder([1, 1, 0]);
    const stepped = await source.step([4, 5, 6]);
    const nativeStepped = await native.step([4, 5, 6]);
    for (let b = 0; b < 3; b++) expect(maxAbsDiff(stepped, nativeStepped, b, b)).toBeLessThan(1e-5);
  });

  it('times each call: model time inside onnxruntime, round trip around it', async () => {
    const source = await track(openNodeWasmSource(model, THREADS));
    await source.prefill([PROMPT]);
    await source.step([3]);
    const { last, calls } = source.timing;
    expect(calls).toBe(2);
    expect(last?.call).toBe('step');
    expect(last!.modelMs).toBeGreaterThan(0);
    expect(last!.roundTripMs).toBeGreaterThanOrEqual(last!.modelMs);
  });
});

describe('ort-web:wasm rejects what it cannot honour, naming the value and the fix', () => {
  it('a thread count other than the one the wasm module already runs', async () => {
    await track(openNodeWasmSource(model, THREADS));
    await expect(openNodeWasmSource(model, 2)).rejects.toThrow(
      /already runs 1 threads, so threads 2 cannot take effect; pass --threads 1 or use a new process/,
    );
    await expect(openNodeWasmSource(model, 0)).rejects.toBeInstanceOf(UsageError);
  });

  it('a graph that disagrees with config.json, and a file that is not ONNX', async () => {
    const heads = randomModelDir('heads', { ...CONFIG, n_head: 4 }, CONFIG);
    await expect(openNodeWasmSource(heads, THREADS)).rejects.toThrow(
      /input past_key_values.0.key has dim 1 = 2 .*config implies 4/,
    );
    const garbage = randomModelDir('garbage', CONFIG);
    writeFileSync(garbage.onnxPath, 'not onnx');
    await expect(openNodeWasmSource(garbage, THREADS)).rejects.toBeInstanceOf(ModelDirError);
    await expect(openNodeWasmSource(garbage, THREADS)).rejects.toThrow(
      /onnxruntime-web could not load .*garbage/,
    );
  });

  it('a step before prefill and calls after dispose', async () => {
    const source = await openNodeWasmSource(model, THREADS);
    await expect(source.step([1])).rejects.toThrow(/step called with no rows; call prefill first/);
    await source.dispose();
    await expect(source.prefill([[1]])).rejects.toThrow(/prefill called after dispose\(\)/);
  });
});

describe('ortWebWasmFactory', () => {
  it('is available with the installed onnxruntime-web and creates a source with its id', async () => {
    expect(await ortWebWasmFactory.availability()).toEqual({ available: true });
    const source = await track(ortWebWasmFactory.create(model, { threads: THREADS }));
    expect(source.info.id).toBe(ortWebWasmFactory.id);
  });
});
