import { describe, expect, it } from 'vitest';
import { DEFAULT_TARGET_SETTINGS, type TargetRun } from '../../harness/app/bench-targets/run-targets.ts';
import type { LaneName, LaneSample } from '../../harness/app/bench-targets/target-lanes.ts';
import { evaluateTargets } from '../../harness/app/bench-targets/targets-table.ts';
import { renderText } from '../../harness/app/report/render-text.ts';
import { targetsDocument } from '../../harness/app/report/targets-document.ts';
import { TEST_MACHINE } from '../helpers/bench-records.ts';

const renderTargetsText = (run: TargetRun, outcomes: Parameters<typeof targetsDocument>[1]) =>
  renderText(targetsDocument(run, outcomes));

/** Wall-clock figures as given; CPU time at half of them (a busy machine: we got half the CPU). */
const sample = (modelMsPerStep: number | null, endToEndMsPerToken: number): LaneSample => ({
  modelMsPerStep,
  endToEndMsPerToken,
  modelCpuMsPerStep: modelMsPerStep === null ? null : modelMsPerStep / 2,
  endToEndCpuMsPerToken: endToEndMsPerToken / 2,
  tokenIds: [],
});

/** Two rounds where every lane took the given ms (model, end to end) in both. */
function run(lanes: Partial<Record<LaneName, [number | null, number]>>, processorMs = 0.1): TargetRun {
  const all: LaneName[] = [
    'ours-greedy',
    'bare-ort',
    'transformers-js',
    'ours-beam',
    'ts-f32',
    'ort-parallel',
    'ort-web-wasm',
  ];
  const samples = Object.fromEntries(
    all.map((lane) => {
      const ms = lanes[lane];
      return [lane, ms === undefined ? [] : [sample(ms[0], ms[1]), sample(ms[0], ms[1])]];
    }),
  ) as Record<LaneName, LaneSample[]>;
  return {
    settings: DEFAULT_TARGET_SETTINGS,
    createdAt: '2026-01-01T00:00:00.000Z',
    machine: TEST_MACHINE,
    samples,
    refused: lanes['ts-f32'] === undefined ? { 'ts-f32': 'ts:f32 failed conformance: padded-batch (x)' } : {},
    processorCost: [
      {
        wallMs: processorMs,
        cpuMs: processorMs / 2,
        perProcessorMs: { temperature: processorMs / 4, top_k: (3 * processorMs) / 4 },
      },
      {
        wallMs: processorMs,
        cpuMs: processorMs / 2,
        perProcessorMs: { temperature: processorMs / 4, top_k: (3 * processorMs) / 4 },
      },
    ],
  };
}

describe('evaluateTargets', () => {
  it('judges each ratio against its goal and explains a miss with the measured figures', () => {
    const outcomes = evaluateTargets(
      run({
        'ours-greedy': [10, 11],
        'bare-ort': [10, 10.05],
        'transformers-js': [null, 11],
        'ours-beam': [14, 18],
        'ts-f32': [60, 61],
        'ort-parallel': [6, 7],
        'ort-web-wasm': [20, 21],
      }),
    );
    const byId = Object.fromEntries(outcomes.map((o) => [o.id, o]));
    expect(byId['1']).toMatchObject({ ratio: 1, cpuRatio: 1, status: 'pass' });
    expect(byId['1e']!.status).toBe('miss');
    expect(byId['1e']!.detail).toMatch(
      /limited by the harness's token choice, 1\.00 ms\/token .* float32 argmax 0\.05 ms/,
    );
    expect(byId['2']!.ratio).toBeCloseTo(1.1, 12);
    expect(byId['2']!.status).toBe('pass');
    expect(byId['2e']!.status).toBe('miss');
    expect(byId['3']).toMatchObject({ percent: true, status: 'pass' });
    expect(byId['3']!.ratio).toBeCloseTo(0.01, 12);
    const slowChain = evaluateTargets(run({ 'ours-greedy': [10, 11] }, 0.4)).find((o) => o.id === '3')!;
    expect(slowChain.status).toBe('miss');
    expect(slowChain.detail).toMatch(
      /limited by full-vocabulary passes .*: temperature 0\.10 ms, top_k 0\.30 ms$/,
    );
    expect(byId['4']!.ratio).toBeCloseTo(18 / 11, 12);
    // 5 and 5w divide by the lanes on the parallel thread count, not by the one-thread ours-greedy
    expect(byId['5']!.ratio).toBeCloseTo(6 / 60, 12);
    expect(byId['5']!.status).toBe('miss');
    expect(byId['5']!.detail).toMatch(
      /vs ort-node:cpu 166\.7 t\/s, \d+ thread\(s\) each; limited by scalar JavaScript.*run 10\.0× faster; 0\.5× needs ≤ 12\.00 ms\/step/,
    );
    expect(byId['5w']!.ratio).toBeCloseTo(20 / 60, 12);
    expect(byId['5w']!.detail).toMatch(
      /ort-web:wasm's 128-bit WebAssembly SIMD kernels run 3\.0× faster; 0\.5× needs ≤ 40\.00 ms/,
    );
    const fastTs = evaluateTargets(run({ 'ts-f32': [30, 31], 'ort-web-wasm': [20, 21] })).find(
      (o) => o.id === '5w',
    )!;
    expect(fastTs).toMatchObject({ status: 'pass', detail: expect.not.stringContaining('limited') });
  });

  it('marks targets whose lane was refused by the conformance gate as not run, with the failing check', () => {
    const outcomes = evaluateTargets(
      run({
        'ours-greedy': [10, 11],
        'bare-ort': [10, 10],
        'transformers-js': [null, 11],
        'ours-beam': [14, 18],
      }),
    );
    const five = outcomes.find((o) => o.id === '5')!;
    expect(five).toMatchObject({
      status: 'not run',
      ratio: null,
      detail: 'ts:f32 failed conformance: padded-batch (x)',
    });
    const text = renderTargetsText(
      run({
        'ours-greedy': [10, 11],
        'bare-ort': [10, 10],
        'transformers-js': [null, 11],
        'ours-beam': [14, 18],
      }),
      outcomes,
    );
    expect(text).toMatch(/^\s*5\s+ts:f32 decode tg ÷ ort-node:cpu .*—\s+≥ 0\.500×\s+NOT RUN$/m);
    expect(text).toMatch(/^\s*3\s+processors .*1\.00%\s+1\.00% … 1\.00%\s+1\.00%\s+≤ 2\.00%\s+PASS$/m);
  });

  it('says when the per-round ratios fall on both sides of the goal', () => {
    const base = run({ 'ours-greedy': [10, 11], 'bare-ort': [10, 10] });
    const samples = {
      ...base.samples,
      'bare-ort': [sample(9.5, 10), sample(10.5, 10)], // ratios 0.95 and 1.05 around the 0.98 goal
    };
    const one = evaluateTargets({ ...base, samples }).find((o) => o.id === '1')!;
    expect(one.withinNoise).toBe(true);
    expect(renderTargetsText({ ...base, samples }, evaluateTargets({ ...base, samples }))).toMatch(
      /\(within noise\): the per-round ratios fall on both sides of the goal/,
    );
    expect(evaluateTargets(base).find((o) => o.id === '1')!.withinNoise).toBe(false);
  });
});
