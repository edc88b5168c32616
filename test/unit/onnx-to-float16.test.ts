import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { float16Value } from '../../harness/core/model/float16.ts';
import { ElemType, intAttr, OnnxGraph } from '../../harness/core/onnx/onnx-graph.ts';
import { onnxToFloat16 } from '../../harness/engine/model-gen/onnx-to-float16.ts';

const { onnx } = onnxProto;
const { FLOAT, FLOAT16, INT64 } = onnx.TensorProto.DataType;

describe('onnxToFloat16', () => {
  it('turns float32 weights, constants, graph I/O and Casts into float16, and leaves int64 alone', () => {
    const g = new OnnxGraph();
    const x = g.input('x', ElemType.float, ['batch', 2]);
    const ids = g.input('ids', ElemType.int64, ['batch']);
    const w = g.floatInitializer('w', [2], Float32Array.of(0.1, -3.4028234663852886e38));
    const idsFloat = g.op('Cast', [ids], 'ids_float', [intAttr('to', ElemType.float)]);
    const sum = g.op('Add', [g.op('Mul', [x, w], 'xw'), g.float(1)], 'sum');
    g.output(
      g.op('Add', [sum, g.op('Unsqueeze', [idsFloat, g.int64([1])], 'ids_col')], 'y'),
      ElemType.float,
      ['batch', 2],
    );
    const bytes = g.encode({ graphName: 't', irVersion: 8, opset: 17, producerName: 'test' });

    const model = onnx.ModelProto.decode(onnxToFloat16(bytes));
    const graph = model.graph!;
    const elemType = (v: { type?: { tensorType?: { elemType?: number | null } | null } | null }) =>
      v.type!.tensorType!.elemType;
    expect(graph.input!.map(elemType)).toEqual([FLOAT16, INT64]);
    expect(graph.output!.map(elemType)).toEqual([FLOAT16]);
    const wInit = graph.initializer!.find((t) => t.name === 'w')!;
    expect(wInit.dataType).toBe(FLOAT16);
    const halves = new Uint16Array(new Uint8Array(wInit.rawData!).buffer); // a copy: rawData may view a larger buffer
    // 0.1 → nearest half; finfo(float32).min saturates to -65504 instead of -Infinity.
    expect(Array.from(halves, float16Value)).toEqual([0.0999755859375, -65504]);
    expect(graph.initializer!.filter((t) => t.dataType === FLOAT)).toEqual([]);
    expect(graph.initializer!.filter((t) => t.dataType === INT64).length).toBe(1);
    const cast = graph.node!.find((n) => n.opType === 'Cast')!;
    expect(Number(cast.attribute![0]!.i)).toBe(FLOAT16);
  });
});
