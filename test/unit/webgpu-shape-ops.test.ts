import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { SHAPE_OPS } from '../../backends/onnx-shared/ort-placements.ts';
import { EP_SPECS } from '../../backends/ort-node/execution-provider.ts';
import { probePlacements } from '../../backends/ort-node/placement-probe.ts';
import { chooseVulkanDriver } from '../../backends/ort-node/vulkan-driver.ts';
import { webGpuAvailability } from '../../backends/ort-node/webgpu-availability.ts';
import { valueInfo } from '../../harness/core/onnx/onnx-graph.ts';
import { DataType, int64Initializer, node } from '../../harness/engine/model-gen/layouts/graph-edit.ts';

const { onnx } = onnxProto;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'webgpu-shape-ops-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Ops left out of the float graph: those that take or give only integers or bools (they never
 * compute a float activation), and ConstantOfShape, which onnxruntime keeps on the CPU even for a
 * float fill (measured) and which computes nothing: it writes one constant, exact on any provider.
 */
const NOT_IN_FLOAT_GRAPH = new Set(['Shape', 'Not', 'And', 'Or', 'ConstantOfShape']);

/**
 * One graph holding the float32 form of every op in SHAPE_OPS that has one, x: float [6]. Each node
 * reads x (or a float made from it) and computes floats, or compares floats to a bool.
 */
function floatFormsGraph(): Uint8Array {
  const nodes = [
    node('Gather', ['x', 'idx'], ['gather']),
    node('Sub', ['x', 'x'], ['sub']),
    node('Add', ['x', 'x'], ['add']),
    node('Range', ['start', 'limit', 'delta'], ['range']),
    node('Unsqueeze', ['x', 'axes0'], ['unsqueeze']),
    node('Squeeze', ['unsqueeze', 'axes0'], ['squeeze']),
    node(
      'Concat',
      ['x', 'x'],
      ['concat'],
      [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
    ),
    node(
      'Cast',
      ['x'],
      ['cast'],
      [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DataType.FLOAT }],
    ),
    node('Equal', ['x', 'x'], ['equal']),
    node('Less', ['x', 'x'], ['less']),
    node('LessOrEqual', ['x', 'x'], ['less_or_equal']),
    node('Greater', ['x', 'x'], ['greater']),
    node('GreaterOrEqual', ['x', 'x'], ['greater_or_equal']),
    node('Neg', ['x'], ['neg']),
    node('Reshape', ['x', 'shape'], ['reshape']),
    node('Slice', ['x', 'starts', 'ends', 'axes0'], ['slice']),
    node('CumSum', ['x', 'axis'], ['cumsum']),
    node('Where', ['greater', 'x', 'neg'], ['where']),
    node(
      'ReduceSum',
      ['x', 'axes0'],
      ['reduce_sum'],
      [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
    ),
  ];
  const outputs = nodes.map((n) => valueInfo(n.output![0]!, DataType.UNDEFINED, []));
  for (const o of outputs) delete o.type;
  const graph = {
    name: 'float_forms',
    // Graph inputs, not initializers, so that no node is constant-folded away before placement.
    input: [
      valueInfo('x', DataType.FLOAT, [6]),
      valueInfo('start', DataType.FLOAT, []),
      valueInfo('limit', DataType.FLOAT, []),
      valueInfo('delta', DataType.FLOAT, []),
      valueInfo('shape', DataType.INT64, [1]),
    ],
    output: outputs,
    initializer: [
      int64Initializer('idx', [1], [2n]),
      int64Initializer('axes0', [1], [0n]),
      int64Initializer('starts', [1], [1n]),
      int64Initializer('ends', [1], [4n]),
      int64Initializer('axis', [], [0n]),
    ],
    node: nodes,
  };
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph });
  return onnx.ModelProto.encode(model).finish();
}

describe('the ops allowed on the CPU beside WebGPU are index arithmetic only', () => {
  it('every SHAPE_OPS op with a float form is placed on WebGPU in that form, so only its integer form lands on the CPU', async (ctx) => {
    const available = await webGpuAvailability();
    if (!available.available) {
      console.warn(`SKIP webgpu shape ops: ${available.reason}`);
      ctx.skip();
    }
    const graph = floatFormsGraph();
    const covered = onnx.ModelProto.decode(graph).graph!.node!.map((n) => n.opType!);
    expect(new Set([...covered, ...NOT_IN_FLOAT_GRAPH])).toEqual(SHAPE_OPS);
    const onnxPath = path.join(tmp, 'float-forms.onnx');
    writeFileSync(onnxPath, graph);
    const choice = chooseVulkanDriver();
    if (!choice.ok) throw new Error(choice.reason);
    const summary = await probePlacements(EP_SPECS.webgpu, onnxPath, {
      ...process.env,
      VK_ICD_FILENAMES: choice.driver.icdPath,
    });
    expect(summary).toBe(`WebGpuExecutionProvider (all ${covered.length} nodes)`);
  });
});
