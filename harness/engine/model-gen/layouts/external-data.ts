import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;

/** Tensors smaller than this stay inline (onnx's convert_model_to_external_data default, 1 KiB). */
const INLINE_BELOW_BYTES = 1024;

/**
 * The graph `fileName` with its large initializers moved into `chunks` external-data files named as
 * transformers.js loads them (`<fileName>_data`, `<fileName>_data_1`, …), in graph order, no tensor
 * split: chunk i holds the tensors that start in the i-th equal share of the moved bytes. Returns
 * file name (relative to the graph's folder) → bytes, the graph first.
 */
export function toExternalData(
  graphBytes: Uint8Array,
  fileName: string,
  chunks: number,
): Map<string, Uint8Array> {
  if (!Number.isInteger(chunks) || chunks < 1) throw new Error(`toExternalData: chunks ${chunks} is not ≥ 1`);
  const model = onnx.ModelProto.decode(graphBytes);
  const moved = (model.graph?.initializer ?? []).filter(
    (t) => (t.rawData?.byteLength ?? 0) >= INLINE_BELOW_BYTES,
  );
  const total = moved.reduce((sum, t) => sum + t.rawData!.byteLength, 0);
  const names = Array.from({ length: chunks }, (_, i) => `${fileName}_data${i === 0 ? '' : `_${i}`}`);
  const parts: Uint8Array[][] = names.map(() => []);
  const offsets = names.map(() => 0);
  let before = 0;
  for (const tensor of moved) {
    const raw = tensor.rawData!;
    const chunk = Math.min(chunks - 1, Math.floor((before * chunks) / total));
    before += raw.byteLength;
    externalise(tensor, names[chunk]!, offsets[chunk]!, raw.byteLength);
    parts[chunk]!.push(raw);
    offsets[chunk]! += raw.byteLength;
  }
  const files = new Map<string, Uint8Array>([[fileName, onnx.ModelProto.encode(model).finish()]]);
  names.forEach((name, i) => {
    files.set(name, Buffer.concat(parts[i]!));
  });
  return files;
}

function externalise(tensor: OnnxTypes.ITensorProto, location: string, offset: number, length: number): void {
  tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  tensor.externalData = [
    { key: 'location', value: location },
    { key: 'offset', value: String(offset) },
    { key: 'length', value: String(length) },
  ];
  tensor.rawData = new Uint8Array(0);
}

/**
 * The graph with every external initializer read back inline from `files` (location → bytes), so a
 * graph writer that works on raw_data (the quantizers) sees all the weights.
 */
export function inlineExternalData(
  graphBytes: Uint8Array,
  files: ReadonlyMap<string, Uint8Array>,
): Uint8Array {
  const model = onnx.ModelProto.decode(graphBytes);
  inlineInitializers(model, files);
  return onnx.ModelProto.encode(model).finish();
}

/** inlineExternalData on a decoded model, in place. */
export function inlineInitializers(
  model: OnnxTypes.ModelProto,
  files: ReadonlyMap<string, Uint8Array>,
): void {
  for (const tensor of model.graph?.initializer ?? []) {
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const entry = Object.fromEntries((tensor.externalData ?? []).map((e) => [e.key, e.value]));
    const data = files.get(entry.location ?? '');
    if (data === undefined)
      throw new Error(`inlineExternalData: no bytes for ${JSON.stringify(entry.location)}`);
    const offset = Number(entry.offset ?? 0);
    const end = entry.length === undefined ? data.byteLength : offset + Number(entry.length);
    tensor.rawData = data.slice(offset, end);
    tensor.externalData = [];
    tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  }
}
