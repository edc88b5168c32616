import { describe, expect, it } from 'vitest';
import { graphSupport } from '../../harness/app/graph-support.ts';
import { backendFactory } from '../../harness/app/registry.ts';
import { backendsDocument } from '../../harness/app/report/backends-document.ts';
import { renderText } from '../../harness/app/report/render-text.ts';

describe('which backends run which graph of a model dir', () => {
  it('opens each backend on each variant: the TS kernels only on the safetensors twin, ORT CPU on all', async () => {
    const factories = ['ts:f64', 'ort-node:cpu'].map(backendFactory);
    const support = await graphSupport('tiny-gpt2', factories, () => {});
    expect(support.graphs.map((g) => [g.graph.file, g.graph.dtype])).toEqual([
      ['onnx/model.onnx', 'fp32'],
      ['onnx/model_quantized.onnx', 'q8'],
      ['onnx/model_q4.onnx', 'q4'],
      ['onnx/model_q4f16.onnx', 'q4f16'],
    ]);
    const statuses = support.graphs.map((g) => [
      g.verdicts['ts:f64']?.status,
      g.verdicts['ort-node:cpu']?.status,
    ]);
    expect(statuses).toEqual([
      ['runs', 'runs'],
      ['unavailable', 'runs'],
      ['unavailable', 'runs'],
      ['unavailable', 'runs'],
    ]);

    const text = renderText(
      backendsDocument(
        [
          { id: 'ts:f64', summary: 'reference', available: true },
          { id: 'ort-node:cpu', summary: 'ORT', available: true },
          { id: 'ort-node:cuda', summary: 'CUDA', available: false, reason: 'no GPU', fix: 'lend one' },
        ],
        support,
      ),
    );
    expect(text).toMatch(/ort-node:cuda\s+no\s+no GPU\. Fix: lend one/);
    expect(text).toMatch(/q4\s+onnx\/model_q4\.onnx \(q4, 15\.1 MB, sha256 [0-9a-f]{12}\)\s+no \[2\]\s+runs/);
    expect(text).toMatch(
      /^\[1\] ts:f64: the TS kernels compute model\.safetensors' weights, not the q8 graph/m,
    );
    expect(text).toMatch(/^\[3\] ts:f64: .* not the q4f16 graph onnx\/model_q4f16\.onnx\. Fix: /m);
  });

  it('gives a reason shared by several cells one note', () => {
    const graph = (file: string) => ({
      file,
      dtype: 'q4' as const,
      externalData: [],
      bytes: 1e6,
      sha256: 'f'.repeat(64),
    });
    const unavailable = { status: 'unavailable' as const, reason: 'no kernel', fix: 'another' };
    const text = renderText(
      backendsDocument([{ id: 'x', summary: 'x', available: true }], {
        model: { name: 'm', path: '/m' },
        graphs: [
          { graph: graph('a.onnx'), verdicts: { x: unavailable } },
          { graph: graph('b.onnx'), verdicts: { x: unavailable } },
        ],
      }),
    );
    expect(text.match(/no \[1\]/g)).toHaveLength(2);
    expect(text).toContain('[1] x: no kernel. Fix: another');
    expect(text).not.toContain('[2]');
  });
});
