import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
export const TensorType = onnx.TensorProto.DataType;

/** A MatMul whose second input is a constant 2-D float32 weight W [K, N]. */
export interface WeightMatMul {
  readonly node: OnnxTypes.INodeProto;
  /** The activation: MatMul's first input. */
  readonly input: string;
  /** The value MatMul computed; the replacement must compute it under the same name. */
  readonly output: string;
  readonly weightName: string;
  readonly k: number;
  readonly n: number;
  readonly weight: Float32Array;
}

/** What one MatMul becomes: nodes in its place and the initializers they read. */
export interface MatMulReplacement {
  readonly nodes: readonly OnnxTypes.INodeProto[];
  readonly initializers: readonly OnnxTypes.ITensorProto[];
}

/** Fresh value and node names: `base` when unused, else `base_1`, `base_2`, … */
export interface NameAllocator {
  fresh(base: string): string;
}

export interface RewriteOptions {
  /** Opset imports the new nodes need besides the model's, e.g. com.microsoft 1. */
  readonly opsets?: readonly { readonly domain: string; readonly version: number }[];
}

/** The float32 values of an initializer, or null when it is not an inline float32 tensor. */
export function float32Values(init: OnnxTypes.ITensorProto): Float32Array | null {
  if (init.dataType !== TensorType.FLOAT || init.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    return null;
  }
  const raw = init.rawData;
  if (raw && raw.byteLength > 0) {
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(init.floatData ?? []);
}

/** An initializer with little-endian raw data (the ONNX raw_data byte order; x64 and arm64 hosts). */
export function rawInitializer(
  name: string,
  dataType: number,
  dims: readonly number[],
  data: Float32Array | Int8Array | Uint8Array,
): OnnxTypes.ITensorProto {
  return {
    name,
    dataType,
    dims: [...dims],
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  };
}

export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  name: string,
  attribute: readonly OnnxTypes.IAttributeProto[] = [],
  domain = '',
): OnnxTypes.INodeProto {
  return { name, opType, domain, input: [...inputs], output: [...outputs], attribute: [...attribute] };
}

function allNames(graph: OnnxTypes.IGraphProto): Set<string> {
  const names = new Set<string>();
  for (const n of graph.node ?? []) {
    if (n.name) names.add(n.name);
    for (const v of [...(n.input ?? []), ...(n.output ?? [])]) names.add(v);
  }
  for (const t of graph.initializer ?? []) names.add(t.name ?? '');
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    names.add(v.name ?? '');
  }
  return names;
}

/** The [cols, rows] transpose of a row-major [rows, cols] matrix. */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

/**
 * Decode an ONNX model, replace every MatMul whose second input is a 2-D float32 initializer, or
 * its 2-D Transpose, (not also a graph input, which a caller could override) by `rewrite`'s nodes, drop the float
 * weights nothing reads any more, and encode the model again. Every other node, initializer,
 * input and output is left as it was, in its order. `rewrite` runs in graph order, so state it
 * keeps (a value quantized once and shared) is defined before any later node reads it.
 */
export function rewriteWeightMatMuls(
  modelBytes: Uint8Array,
  rewrite: (matmul: WeightMatMul, names: NameAllocator) => MatMulReplacement,
  options: RewriteOptions = {},
): Uint8Array {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph!;
  const used = allNames(graph);
  const names: NameAllocator = {
    fresh(base) {
      let name = base;
      for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
      used.add(name);
      return name;
    },
  };
  const graphInputs = new Set((graph.input ?? []).map((v) => v.name));
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const constant2d = (name: string) => {
    const init = initializers.get(name);
    return init && !graphInputs.has(name) && (init.dims ?? []).length === 2 ? init : undefined;
  };
  // nn.Linear weights kept [out, in] and fed through Transpose (as the Llama graph writes them, and
  // exporters that skip constant folding): the MatMul's weight is the transpose of the initializer.
  const transposed = new Map<string, { readonly node: OnnxTypes.INodeProto; readonly source: string }>();
  for (const n of graph.node ?? []) {
    const source = n.input?.[0];
    const perm = n.attribute?.find((a) => a.name === 'perm')?.ints?.map(Number);
    const swaps = perm === undefined || (perm.length === 2 && perm[0] === 1 && perm[1] === 0);
    if (
      n.opType === 'Transpose' &&
      (n.domain ?? '') === '' &&
      source &&
      constant2d(source) &&
      swaps &&
      n.output?.[0]
    ) {
      transposed.set(n.output[0], { node: n, source });
    }
  }
  const weights = new Map<
    string,
    { readonly data: Float32Array; readonly k: number; readonly n: number } | null
  >();
  const weightOf = (name: string) => {
    if (!weights.has(name)) {
      const direct = constant2d(name);
      const viaTranspose = transposed.get(name);
      const init = direct ?? (viaTranspose ? constant2d(viaTranspose.source) : undefined);
      const values = init ? float32Values(init) : null;
      if (!init || !values) weights.set(name, null);
      else {
        const [rows, cols] = (init.dims ?? []).map(Number) as [number, number];
        weights.set(
          name,
          direct
            ? { data: values, k: rows, n: cols }
            : { data: transpose(values, rows, cols), k: cols, n: rows },
        );
      }
    }
    return weights.get(name)!;
  };

  const nodes: OnnxTypes.INodeProto[] = [];
  const added: OnnxTypes.ITensorProto[] = [];
  for (const n of graph.node ?? []) {
    const weightName = n.input?.[1];
    const weight =
      n.opType === 'MatMul' && (n.domain ?? '') === '' && weightName ? weightOf(weightName) : null;
    if (!weight || !weightName || n.input?.length !== 2 || n.output?.length !== 1) {
      nodes.push(n);
      continue;
    }
    const replacement = rewrite(
      {
        node: n,
        input: n.input[0]!,
        output: n.output[0]!,
        weightName,
        k: weight.k,
        n: weight.n,
        weight: weight.data,
      },
      names,
    );
    nodes.push(...replacement.nodes);
    added.push(...replacement.initializers);
  }

  // Drop what only the rewritten MatMuls read: their Transposes, then the float weights.
  const readBy = (list: readonly OnnxTypes.INodeProto[]) => {
    const read = new Set<string>(list.flatMap((n) => n.input ?? []));
    for (const v of graph.output ?? []) read.add(v.name ?? '');
    return read;
  };
  const readBeforePruning = readBy(nodes);
  graph.node = nodes.filter((n) => {
    const out = n.output?.[0] ?? '';
    return !(transposed.get(out)?.node === n && !readBeforePruning.has(out));
  });
  const read = readBy(graph.node);
  const replaced = new Set(
    [...weights].flatMap(([name, w]) => (w ? [transposed.get(name)?.source ?? name] : [])),
  );
  graph.initializer = [
    ...(graph.initializer ?? []).filter((t) => !replaced.has(t.name ?? '') || read.has(t.name ?? '')),
    ...added,
  ];
  for (const opset of options.opsets ?? []) {
    const imports = model.opsetImport ?? [];
    if (!imports.some((o) => (o.domain ?? '') === opset.domain)) {
      model.opsetImport = [...imports, { domain: opset.domain, version: opset.version }];
    }
  }
  return onnx.ModelProto.encode(model as OnnxTypes.IModelProto).finish();
}
