import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { float16Value } from '../../harness/core/model/float16.ts';
import { ElemTypes, type F64Tensor, sizeOf, tensor } from './f64-tensor.ts';

/** Bytes of one element as stored in raw_data, by TensorProto.DataType. */
const RAW_BYTES: Readonly<Record<number, number>> = {
  [ElemTypes.FLOAT]: 4,
  [ElemTypes.UINT8]: 1,
  [ElemTypes.INT8]: 1,
  [ElemTypes.UINT16]: 2,
  [ElemTypes.INT16]: 2,
  [ElemTypes.INT32]: 4,
  [ElemTypes.INT64]: 8,
  [ElemTypes.BOOL]: 1,
  [ElemTypes.FLOAT16]: 2,
  [ElemTypes.DOUBLE]: 8,
  [ElemTypes.UINT32]: 4,
  [ElemTypes.UINT64]: 8,
  [ElemTypes.BFLOAT16]: 2,
};

/** Reads external-data files once each (a chunk holds many tensors). */
export class ExternalBytes {
  private readonly files = new Map<string, Buffer>();
  constructor(private readonly graphDir: string) {}

  read(location: string, offset: number, length: number | undefined): Uint8Array {
    let file = this.files.get(location);
    if (file === undefined) {
      file = readFileSync(join(this.graphDir, location));
      this.files.set(location, file);
    }
    return file.subarray(offset, length === undefined ? file.length : offset + length);
  }
}

/**
 * A TensorProto's values, decoded exactly into float64: raw_data (little-endian) or the typed
 * repeated fields, inline or as external data; float16 and bfloat16 bit patterns widen exactly.
 */
export function decodeTensor(proto: OnnxTypes.ITensorProto, external: ExternalBytes | null): F64Tensor {
  const elemType = proto.dataType ?? 0;
  const dims = (proto.dims ?? []).map(Number);
  const n = sizeOf(dims);
  const bytes = RAW_BYTES[elemType];
  if (bytes === undefined) throw new Error(`tensor ${proto.name}: data type ${elemType} is not supported`);
  let raw: Uint8Array | null = proto.rawData && proto.rawData.byteLength > 0 ? proto.rawData : null;
  if (proto.dataLocation === 1) {
    const entry = Object.fromEntries((proto.externalData ?? []).map((e) => [e.key, e.value]));
    if (external === null) throw new Error(`tensor ${proto.name}: external data where none can be read`);
    raw = external.read(
      entry.location!,
      Number(entry.offset ?? 0),
      entry.length === undefined ? undefined : Number(entry.length),
    );
  }
  const data = new Float64Array(n);
  if (raw !== null) {
    if (raw.byteLength !== n * bytes) {
      throw new Error(`tensor ${proto.name}: ${raw.byteLength} bytes for ${n} values of ${bytes} bytes`);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) data[i] = readRaw(view, i * bytes, elemType);
    return tensor(elemType, dims, data);
  }
  const typed = typedField(proto, elemType);
  if (typed.length !== n)
    throw new Error(`tensor ${proto.name}: ${typed.length} values for dims [${dims.join(', ')}]`);
  for (let i = 0; i < n; i++) data[i] = typed[i]!;
  return tensor(elemType, dims, data);
}

function readRaw(view: DataView, at: number, elemType: number): number {
  switch (elemType) {
    case ElemTypes.FLOAT:
      return view.getFloat32(at, true);
    case ElemTypes.DOUBLE:
      return view.getFloat64(at, true);
    case ElemTypes.FLOAT16:
      return float16Value(view.getUint16(at, true));
    case ElemTypes.BFLOAT16:
      return new Float32Array(new Uint32Array([view.getUint16(at, true) << 16]).buffer)[0]!;
    case ElemTypes.UINT8:
    case ElemTypes.BOOL:
      return view.getUint8(at);
    case ElemTypes.INT8:
      return view.getInt8(at);
    case ElemTypes.UINT16:
      return view.getUint16(at, true);
    case ElemTypes.INT16:
      return view.getInt16(at, true);
    case ElemTypes.INT32:
      return view.getInt32(at, true);
    case ElemTypes.UINT32:
      return view.getUint32(at, true);
    case ElemTypes.INT64:
      return Number(view.getBigInt64(at, true));
    default:
      return Number(view.getBigUint64(at, true));
  }
}

/** The repeated field a TensorProto without raw_data keeps its values in (onnx.proto's rules). */
function typedField(proto: OnnxTypes.ITensorProto, elemType: number): ArrayLike<number> {
  switch (elemType) {
    case ElemTypes.FLOAT:
      return proto.floatData ?? [];
    case ElemTypes.DOUBLE:
      return proto.doubleData ?? [];
    case ElemTypes.INT64:
      return (proto.int64Data ?? []).map(Number);
    case ElemTypes.UINT32:
    case ElemTypes.UINT64:
      return (proto.uint64Data ?? []).map(Number);
    case ElemTypes.FLOAT16:
      return (proto.int32Data ?? []).map(float16Value);
    case ElemTypes.BFLOAT16:
      return (proto.int32Data ?? []).map((b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]!);
    default:
      return proto.int32Data ?? [];
  }
}
