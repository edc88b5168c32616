import { readFileSync, writeFileSync } from 'node:fs';
import { float16Bits, float16Value } from '../../harness/core/model/float16.ts';
import { DataType, editModel } from '../../harness/engine/model-gen/layouts/graph-edit.ts';

/**
 * Faults injected into a copy of a graph, each in one place, so a test knows the node bisect must
 * name: one element of one initializer changed, or one attribute of one node.
 */

/** Copy `graphPath` to `outPath` with element `index` of initializer `name` (float32 or float16) set by `change`. */
export function withInitializerElement(
  graphPath: string,
  outPath: string,
  name: string,
  index: number,
  change: (value: number) => number,
): { before: number; after: number } {
  let before = Number.NaN;
  let after = Number.NaN;
  const bytes = editModel(readFileSync(graphPath), (model) => {
    const t = model.graph?.initializer?.find((i) => i.name === name);
    if (!t?.rawData) throw new Error(`no inline initializer ${name}`);
    const raw = new Uint8Array(t.rawData); // a copy: the decoded buffer may be shared
    const view = new DataView(raw.buffer);
    if (t.dataType === DataType.FLOAT) {
      before = view.getFloat32(index * 4, true);
      view.setFloat32(index * 4, change(before), true);
      after = view.getFloat32(index * 4, true);
    } else if (t.dataType === DataType.FLOAT16) {
      before = float16Value(view.getUint16(index * 2, true));
      view.setUint16(index * 2, float16Bits(change(before)), true);
      after = float16Value(view.getUint16(index * 2, true));
    } else {
      throw new Error(`initializer ${name} has data type ${t.dataType}, not float32 or float16`);
    }
    t.rawData = raw;
  });
  writeFileSync(outPath, bytes);
  return { before, after };
}

/** Copy `graphPath` to `outPath` with float attribute `attribute` of node `nodeName` set to `value`. */
export function withFloatAttribute(
  graphPath: string,
  outPath: string,
  nodeName: string,
  attribute: string,
  value: number,
): void {
  const bytes = editModel(readFileSync(graphPath), (model) => {
    const a = model.graph?.node
      ?.find((n) => n.name === nodeName)
      ?.attribute?.find((x) => x.name === attribute);
    if (!a) throw new Error(`no attribute ${attribute} on node ${nodeName}`);
    a.f = value;
  });
  writeFileSync(outPath, bytes);
}

/** Copy `graphPath` to `outPath` with node `nodeName`'s op type replaced (an op an interpreter may lack). */
export function withOpType(graphPath: string, outPath: string, nodeName: string, opType: string): void {
  const bytes = editModel(readFileSync(graphPath), (model) => {
    const n = model.graph?.node?.find((x) => x.name === nodeName);
    if (!n) throw new Error(`no node ${nodeName}`);
    n.opType = opType;
  });
  writeFileSync(outPath, bytes);
}
