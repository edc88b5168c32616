import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvDecoderSource } from '../../backends/onnx-shared/decoder-source.ts';
import { OrtNodeSource } from '../../backends/ort-node/ort-node-source.ts';
import { chromiumAvailability } from '../../backends/ort-web/chromium/availability.ts';
import { CHROMIUM_PATH } from '../../backends/ort-web/chromium/chromium-browser.ts';
import { ChromiumForward, type PageProvider } from '../../backends/ort-web/chromium/chromium-forward.ts';
import { chromiumPidsUnder } from '../../backends/ort-web/chromium/chromium-processes.ts';
import { type Logits, logitsRow } from '../../harness/core/backend/contract.ts';
import type { Gpt2Config } from '../../harness/core/model/families/gpt2.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { generateGpt2Weights } from '../../harness/engine/model-gen/generate-gpt2-weights.ts';
import { buildGpt2Onnx } from '../../harness/engine/model-gen/gpt2-onnx.ts';
import { SMALL_GPT2_CONFIG } from '../helpers/small-gpt2-config.ts';

/**
 * The chromium:* backends end to end on a small random graph: what they report, numbers against
 * onnxruntime-node, the GPU-resident cache and its reorder, timing and memory, a WebGPU
 * validation error, and no process left after dispose. Skipped, with the reason, where Chromium
 * is not installed. (The page fences and lifecycle without onnxruntime: chromium-page.test.ts.)
 */
const available = chromiumAvailability(CHROMIUM_PATH);
const skipReason = available.available ? '' : `${available.reason} (fix: ${available.fix})`;
if (skipReason) console.warn(`SKIP chromium e2e: ${skipReason}`);

const CONFIG: Gpt2Config = SMALL_GPT2_CONFIG;
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'chromium-e2e-'));
const model: ModelDir = (() => {
  mkdirSync(path.join(tmpRoot, 'onnx'));
  const onnxPath = path.join(tmpRoot, 'onnx', 'model.onnx');
  writeFileSync(onnxPath, buildGpt2Onnx(CONFIG, generateGpt2Weights(CONFIG, 7)));
  return {
    path: tmpRoot,
    name: 'random',
    config: CONFIG,
    generationConfig: {},
    graph: { file: 'onnx/model.onnx', dtype: 'fp32' },
    variants: [{ file: 'onnx/model.onnx', dtype: 'fp32' }],
    onnxPath,
    externalData: [],
    safetensorsPath: null,
  };
})();
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

const PROMPT = [5, 17, 3, 88, 42, 9, 61];

function maxAbsDiff(a: Logits, b: Logits, rowA: number, rowB: number, posA?: number, posB?: number): number {
  const x = logitsRow(a, rowA, posA);
  const y = logitsRow(b, rowB, posB);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

async function openPage(
  provider: PageProvider,
): Promise<{ forward: ChromiumForward; source: KvDecoderSource }> {
  const { forward, info } = await ChromiumForward.open(model, {
    backendId: `chromium:${provider}`,
    provider,
    threads: provider === 'wasm' ? 2 : 1,
    executablePath: CHROMIUM_PATH,
  });
  return { forward, source: new KvDecoderSource(forward, info, CONFIG) };
}

function expectNoProcessesLeft(rootDir: string): void {
  expect(chromiumPidsUnder(rootDir), `Chromium processes still naming ${rootDir}`).toEqual([]);
  expect(existsSync(rootDir), `${rootDir} still exists`).toBe(false);
}

describe.skipIf(skipReason)('chromium backends on a random GPT-2', () => {
  let native: OrtNodeSource;
  beforeAll(async () => {
    native = await OrtNodeSource.open(model, { threads: 1 });
  });
  afterAll(async () => {
    await native?.dispose();
  });

  for (const provider of ['wasm', 'webgpu'] as const) {
    describe(`chromium:${provider}`, () => {
      let page: { forward: ChromiumForward; source: KvDecoderSource } | undefined;
      beforeAll(async () => {
        page = await openPage(provider);
      });
      afterAll(async () => {
        if (!page) return;
        await page.source.dispose();
        expectNoProcessesLeft(page.forward.rootDir);
      });

      it('reports the provider, adapter, threads and versions that actually ran', () => {
        const { info } = page!.source;
        expect(info.id).toBe(`chromium:${provider}`);
        expect(info.versions).toMatchObject({
          'onnxruntime-web': expect.stringMatching(/^1\./),
          chromium: expect.stringMatching(/^\d+\./),
          'playwright-core': expect.any(String),
        });
        if (provider === 'webgpu') {
          expect(info.executionProvider).toMatch(
            /^WebGpuExecutionProvider \(\d+ nodes; \d+ shape nodes on CPU\)$/,
          );
          expect(info.device).toMatch(
            /^WebGPU .+ \((fallback \(software\)|hardware) adapter; (no )?shader-f16\)$/,
          );
          // The typed kind says the same as the adapter's own words.
          expect(info.deviceKind).toBe(/fallback \(software\)/.test(info.device) ? 'software-gpu' : 'gpu');
          expect(info.threads).toBe(1);
        } else {
          expect(info.executionProvider).toMatch(/^CPUExecutionProvider \(all \d+ nodes\)$/);
          expect(info.device).toMatch(/WebAssembly SIMD in Chromium/);
          expect(info.deviceKind).toBe('cpu');
          expect(info.threads).toBe(2); // cross-origin isolated, so the threads were honoured
        }
      });

      it('matches onnxruntime-node CPU through prefill, steps and a reorder of the cache', async () => {
        const { source } = page!;
        const got = await source.prefill([PROMPT], { allPositions: true });
        const want = await native.prefill([PROMPT], { allPositions: true });
        for (let p = 0; p < PROMPT.length; p++) expect(maxAbsDiff(got, want, 0, 0, p, p)).toBeLessThan(1e-4);
        for (const token of [11, 0]) {
          expect(maxAbsDiff(await source.step([token]), await native.step([token]), 0, 0)).toBeLessThan(1e-4);
        }
        for (const s of [source, native]) {
          await s.prefill([PROMPT, [40, 2]]);
          await s.reorder([1, 1, 0]);
        }
        const stepped = await source.step([4, 5, 6]);
        const nativeStepped = await native.step([4, 5, 6]);
        for (let b = 0; b < 3; b++) expect(maxAbsDiff(stepped, nativeStepped, b, b)).toBeLessThan(1e-4);
      });

      it('times in-page model work apart from the Node ↔ page round trip, and measures browser memory', async () => {
        const { forward, source } = page!;
        await source.prefill([PROMPT]);
        await source.step([1]);
        const { last } = source.timing;
        expect(last?.call).toBe('step');
        expect(last!.modelMs).toBeGreaterThan(0);
        expect(last!.roundTripMs).toBeGreaterThan(last!.modelMs);
        expect(forward.startup.browserMs).toBeGreaterThan(0);
        const memory = forward.memory();
        expect(memory.processes).toBeGreaterThan(1);
        expect(memory.rssBytes).toBeGreaterThan(memory.pssBytes);
      });
    });
  }

  it('a WebGPU validation error on onnxruntime-web’s device fails the next call and every later one', async () => {
    const { forward, source } = await openPage('webgpu');
    try {
      await source.prefill([PROMPT]);
      // A string, not a function: vitest rewrites import() inside test functions, and this runs in the page.
      await forward.page.evaluate(`(async () => {
        const ort = await import(new URL('ort/ort.webgpu.min.mjs', location.href).href);
        const device = await ort.env.webgpu.device;
        device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE }); // invalid pair
      })()`);
      await expect(source.step([1])).rejects.toThrow(
        /chromium:webgpu: WebGPU reported 1 error\(s\) during run: /,
      );
      await expect(source.step([1])).rejects.toThrow(
        /page is unusable after an earlier failure .*create a new one/,
      );
    } finally {
      await source.dispose();
    }
    expectNoProcessesLeft(forward.rootDir);
  });
});
