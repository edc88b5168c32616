import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { ModelDirError } from '../errors.ts';

/** One file holding initializer bytes outside the .onnx file (ONNX's external data format). */
export interface ExternalDataFile {
  /** The `location` the graph names, relative to the graph file's folder (`model.onnx_data`). */
  readonly location: string;
  /** Absolute path. */
  readonly path: string;
  /** The end of the last byte range the graph reads from it (max offset + length). */
  readonly bytesRead: number;
}

// Field numbers of onnx.proto: ModelProto.graph, GraphProto.initializer, TensorProto.{raw_data,
// external_data, data_location}, StringStringEntryProto.{key, value}.
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
const DATA_LOCATION_EXTERNAL = 1;

/**
 * The external-data files the graph at `graphPath` reads, each checked to exist inside the graph's
 * folder and to hold every byte the graph reads from it. Walks the protobuf by field headers and
 * skips every inline tensor without reading it, so a 700 MB graph with inline weights costs a few
 * hundred small reads. Initializers of the main graph only: exporters put external tensors there.
 */
export function externalDataFiles(graphPath: string): ExternalDataFile[] {
  const reader = new FileFields(graphPath);
  try {
    const ends = new Map<string, number>();
    for (const graph of reader.fields(0, reader.size, MODEL_GRAPH)) {
      for (const tensor of reader.fields(graph.start, graph.end, GRAPH_INITIALIZER)) {
        const ref = externalReference(reader, tensor.start, tensor.end);
        if (ref === null) continue;
        ends.set(ref.location, Math.max(ends.get(ref.location) ?? 0, ref.end));
      }
    }
    return [...ends].map(([location, bytesRead]) => checkedFile(graphPath, location, bytesRead));
  } finally {
    reader.close();
  }
}

function checkedFile(graphPath: string, location: string, bytesRead: number): ExternalDataFile {
  const fix = 're-download the model or re-export it with its external data beside the graph';
  const normal = normalize(location);
  if (isAbsolute(location) || normal.startsWith('..')) {
    throw new ModelDirError(
      `${graphPath} names external data ${JSON.stringify(location)} outside its folder; ${fix}`,
    );
  }
  const path = join(dirname(graphPath), normal);
  if (!existsSync(path)) {
    throw new ModelDirError(
      `${path} is missing: ${graphPath} reads ${bytesRead.toLocaleString('en-US')} bytes of weights from it; ${fix}`,
    );
  }
  const bytes = statSync(path).size;
  if (bytes < bytesRead) {
    throw new ModelDirError(
      `${path} holds ${bytes.toLocaleString('en-US')} bytes but ${graphPath} reads ` +
        `${bytesRead.toLocaleString('en-US')} from it (truncated); ${fix}`,
    );
  }
  return { location, path, bytesRead };
}

/** A TensorProto's external reference (location, end of its byte range), or null when inline. */
function externalReference(
  reader: FileFields,
  start: number,
  end: number,
): { location: string; end: number } | null {
  let external = false;
  const entries = new Map<string, string>();
  for (const field of reader.fields(start, end)) {
    if (field.number === TENSOR_DATA_LOCATION) external = field.varint === DATA_LOCATION_EXTERNAL;
    if (field.number !== TENSOR_EXTERNAL_DATA) continue;
    let key = '';
    let value = '';
    for (const part of reader.fields(field.start, field.end)) {
      if (part.number === ENTRY_KEY) key = reader.text(part.start, part.end);
      if (part.number === ENTRY_VALUE) value = reader.text(part.start, part.end);
    }
    entries.set(key, value);
  }
  if (!external) return null;
  const location = entries.get('location');
  if (location === undefined) {
    throw new ModelDirError(`${reader.path}: an external initializer has no location; re-export the model`);
  }
  const offset = Number(entries.get('offset') ?? 0);
  const length = entries.get('length');
  // Without a length the tensor runs to the end of the file; any existing file satisfies it.
  return { location, end: length === undefined ? offset : offset + Number(length) };
}

interface Field {
  readonly number: number;
  /** Wire type 0: the value; otherwise 0. */
  readonly varint: number;
  /** Wire type 2: the payload's byte range in the file. */
  readonly start: number;
  readonly end: number;
}

/** Protobuf fields of a file region, read by header through small positioned reads. */
class FileFields {
  private readonly fd: number;
  readonly size: number;
  private readonly window = Buffer.alloc(16);

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    this.size = statSync(path).size;
  }

  close(): void {
    closeSync(this.fd);
  }

  /** The fields in [start, end), only those numbered `only` when given. */
  *fields(start: number, end: number, only?: number): Generator<Field> {
    let at = start;
    while (at < end) {
      const [key, afterKey] = this.varint(at);
      const number = Math.floor(key / 8);
      const wire = key % 8;
      let field: Field;
      if (wire === 0) {
        const [value, next] = this.varint(afterKey);
        field = { number, varint: value, start: next, end: next };
      } else if (wire === 2) {
        const [length, payload] = this.varint(afterKey);
        field = { number, varint: 0, start: payload, end: payload + length };
      } else if (wire === 1 || wire === 5) {
        const next = afterKey + (wire === 1 ? 8 : 4);
        field = { number, varint: 0, start: next, end: next };
      } else {
        throw new ModelDirError(
          `could not load ${this.path}: unsupported protobuf wire type ${wire} at byte ${at}, so it is not an ONNX model; regenerate or re-export the model`,
        );
      }
      if (field.end > end)
        throw new ModelDirError(
          `could not load ${this.path}: it is truncated (a protobuf field ends at byte ${field.end}, past ${end}); regenerate or re-export the model`,
        );
      if (only === undefined || number === only) yield field;
      at = field.end;
    }
  }

  text(start: number, end: number): string {
    const bytes = Buffer.alloc(end - start);
    readSync(this.fd, bytes, 0, bytes.length, start);
    return bytes.toString('utf8');
  }

  /** A varint at `at` (values below 2^53) and the offset after it. */
  private varint(at: number): [value: number, next: number] {
    const n = readSync(this.fd, this.window, 0, 10, at);
    let value = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.window[i]!;
      value += (byte & 0x7f) * 2 ** (7 * i);
      if (byte < 0x80) return [value, at + i + 1];
    }
    throw new ModelDirError(
      `could not load ${this.path}: a malformed protobuf varint at byte ${at}; regenerate or re-export the model`,
    );
  }
}
