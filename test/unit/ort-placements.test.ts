import { describe, expect, it } from 'vitest';
import { checkPlacements, parsePlacements } from '../../backends/onnx-shared/ort-placements.ts';
import { BackendUnavailable } from '../../harness/core/errors.ts';

/** Lines as onnxruntime-web prints them to the console at verbose level (timestamps trimmed). */
const log = (groups: Record<string, string[]>): string[] => [
  '[I:onnxruntime:, inference_session.cc:2610 Initialize] Initializing session.',
  '[V:onnxruntime:, session_state.cc:1377 VerifyEachNodeIsAssignedToAnEp] Node placements',
  ...Object.entries(groups).flatMap(([ep, nodes]) => [
    `[V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [${ep}]. Number of nodes: ${nodes.length}`,
    ...nodes.map((n) => `[V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   ${n}`),
  ]),
  '[V:onnxruntime:, session_state.cc:1401 VerifyEachNodeIsAssignedToAnEp] done',
];

describe('node placements from the verbose onnxruntime log', () => {
  it('parses each provider and its nodes (op and name)', () => {
    const placements = parsePlacements(
      log({
        CPUExecutionProvider: ['Shape (ids_shape)', 'Gather (seq_len)'],
        WebGpuExecutionProvider: ['MatMul (h.0.attn.c_attn.matmul)', 'Concat (present.0.key)'],
      }),
    );
    expect(placements.get('CPUExecutionProvider')).toEqual({
      count: 2,
      nodes: [
        { op: 'Shape', name: 'ids_shape' },
        { op: 'Gather', name: 'seq_len' },
      ],
    });
    expect(placements.get('WebGpuExecutionProvider')?.nodes.map((n) => n.op)).toEqual(['MatMul', 'Concat']);
  });

  it('reads the one-provider form, which gives only a count', () => {
    const line =
      '[V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]  All nodes placed on [CPUExecutionProvider]. Number of nodes: 71';
    const placements = parsePlacements([line]);
    expect(placements.get('CPUExecutionProvider')).toEqual({ count: 71, nodes: [] });
    expect(checkPlacements('chromium:wasm', 'CPUExecutionProvider', placements)).toBe(
      'CPUExecutionProvider (all 71 nodes)',
    );
  });

  it('accepts shape ops on the CPU and says so', () => {
    const placements = parsePlacements(
      log({
        CPUExecutionProvider: ['Shape (ids_shape)', 'Range (query_pos)', 'LessOrEqual (causal)'],
        WebGpuExecutionProvider: ['MatMul (lm_head)', 'Softmax (h.0.attn.probs)'],
      }),
    );
    expect(checkPlacements('chromium:webgpu', 'WebGpuExecutionProvider', placements)).toBe(
      'WebGpuExecutionProvider (2 nodes; 3 shape nodes on CPU)',
    );
    expect(
      checkPlacements(
        'chromium:wasm',
        'CPUExecutionProvider',
        parsePlacements(log({ CPUExecutionProvider: ['MatMul (lm_head)'] })),
      ),
    ).toBe('CPUExecutionProvider (all 1 nodes)');
  });

  it('makes the backend unavailable for the graph when a compute op would fall back to the CPU, naming it', () => {
    const placements = parsePlacements(
      log({
        CPUExecutionProvider: ['Shape (ids_shape)', 'LayerNormalization (h.0.ln_1)'],
        WebGpuExecutionProvider: ['MatMul (lm_head)'],
      }),
    );
    const check = () => checkPlacements('chromium:webgpu', 'WebGpuExecutionProvider', placements);
    expect(check).toThrow(BackendUnavailable);
    expect(check).toThrow(
      /backend chromium:webgpu is unavailable: 1 compute node\(s\) of this graph would fall back from WebGpuExecutionProvider to CPUExecutionProvider: LayerNormalization \(first: h\.0\.ln_1\)/,
    );
  });

  it('fails when nothing ran on the provider, or the placement log is missing', () => {
    const cpuOnly = parsePlacements(log({ CPUExecutionProvider: ['MatMul (lm_head)'] }));
    expect(() => checkPlacements('chromium:webgpu', 'WebGpuExecutionProvider', cpuOnly)).toThrow(
      /placed no node on WebGpuExecutionProvider \(saw: CPUExecutionProvider\)/,
    );
    expect(() => checkPlacements('chromium:webgpu', 'WebGpuExecutionProvider', parsePlacements([]))).toThrow(
      /saw: no placement log at all/,
    );
  });
});
