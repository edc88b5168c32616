import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { ModelDirError } from '../errors.ts';
import { assertRegularFile } from '../regular-file.ts';
import { fromFloat16Bits } from './float16.ts';
import { elementCount, type HostTensor, type TensorMap } from './tensor.ts';

/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`,
 * then the data section, offsets relative to its start. All numbers little-endian, row-major.
 */

type Dtype = HostTensor['dtype'];

const BYTES_PER_ELEMENT: Readonly<Record<Dtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
};

/** GPT2LMHeadModel exports name parameters `transformer.h.0...`; GPT2Model's names lack it. */
const PREFIX = 'transformer.';

/** A tensor's name (prefix stripped), dtype and shape, without its data. */
export interface TensorSpec {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
}

interface Entry extends TensorSpec {
  readonly name: string;
  /** Byte range in the data section. */
  readonly begin: number;
  readonly end: number;
}

interface Header {
  /** File offset of the data section. */
  readonly dataStart: number;
  /** Sorted by data offset. */
  readonly entries: readonly Entry[];
}

const SAFETENSORS_FIX = 'save the weights with model.save_pretrained(dir) (safetensors is the default)';

/** Read and validate a .safetensors file. Names lose a leading `transformer.`. */
export function readSafetensors(path: string): TensorMap {
  let bytes: Uint8Array;
  assertRegularFile(path, 'safetensors file', SAFETENSORS_FIX, ModelDirError);
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ModelDirError(`${path}: cannot read safetensors file (${(e as Error).message})`);
  }
  return decodeSafetensors(bytes, path);
}

/**
 * Validate a .safetensors file and return its tensors' dtypes and shapes, reading only the header
 * (cheap even for a multi-gigabyte model). Names lose a leading `transformer.`.
 */
export function readSafetensorsSpecs(path: string): ReadonlyMap<string, TensorSpec> {
  let fd: number;
  assertRegularFile(path, 'safetensors file', SAFETENSORS_FIX, ModelDirError);
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new ModelDirError(`${path}: cannot read safetensors file (${(e as Error).message})`);
  }
  try {
    const fileBytes = fstatSync(fd).size;
    const lengthBytes = new Uint8Array(8);
    readSync(fd, lengthBytes, 0, 8, 0);
    const headerBytes = Number(readU64(lengthBytes));
    // Only read a header that fits in the file; parseHeader reports the lie otherwise.
    const prefix = new Uint8Array(8 + Math.min(headerBytes, Math.max(0, fileBytes - 8)));
    readSync(fd, prefix, 0, prefix.length, 0);
    const { entries } = parseHeader(prefix, fileBytes, path);
    return new Map(entries.map((e) => [e.name, { dtype: e.dtype, shape: e.shape }]));
  } finally {
    closeSync(fd);
  }
}

/** Decode a whole safetensors image; `file` names the source in error messages. */
export function decodeSafetensors(bytes: Uint8Array, file: string): TensorMap {
  const { dataStart, entries } = parseHeader(bytes, bytes.length, file);
  const tensors = new Map<string, HostTensor>();
  for (const e of entries) {
    // Copy into a fresh ArrayBuffer: typed arrays need aligned offsets and the data section is not
    // aligned in general. (Not bytes.slice(): on a Node Buffer that is a view, not a copy.)
    const raw = new ArrayBuffer(e.end - e.begin);
    new Uint8Array(raw).set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decodeData(e.dtype, raw) });
  }
  return tensors;
}

function decodeData(dtype: Dtype, raw: ArrayBuffer): Float32Array | Float64Array {
  switch (dtype) {
    case 'F32':
      return new Float32Array(raw);
    case 'F64':
      return new Float64Array(raw);
    // Half types widen exactly to float32.
    case 'F16':
      return fromFloat16Bits(new Uint16Array(raw));
    case 'BF16':
      return Float32Array.from(new Uint16Array(raw), bf16ToFloat);
    // Integer tensors (buffers such as position ids) are exact in float64 up to 2^53.
    case 'I32':
      return Float64Array.from(new Int32Array(raw));
    case 'I64':
      return Float64Array.from(new BigInt64Array(raw), Number);
  }
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** bfloat16 is the top half of a float32. */
function bf16ToFloat(h: number): number {
  u32Scratch[0] = h << 16;
  return f32Scratch[0]!;
}

function readU64(bytes: Uint8Array): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
}

/**
 * Parse and validate the header. `prefix` holds at least the length and the header (or the whole
 * file); `fileBytes` is the file's size, against which every offset is checked.
 */
function parseHeader(prefix: Uint8Array, fileBytes: number, file: string): Header {
  const fail = (what: string): ModelDirError =>
    new ModelDirError(
      `${file}: truncated or lying safetensors header: ${what}; regenerate the file / re-export the model`,
    );
  if (fileBytes < 8) throw fail(`file is ${fileBytes} bytes, shorter than the 8-byte header length`);
  const headerBytes = readU64(prefix);
  if (headerBytes > BigInt(fileBytes - 8)) {
    throw fail(`header length ${headerBytes} runs past the end of the ${fileBytes}-byte file`);
  }
  const dataStart = 8 + Number(headerBytes);
  const dataBytes = fileBytes - dataStart;

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(prefix.subarray(8, dataStart)));
  } catch (e) {
    throw fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw fail('header is not a JSON object');
  }

  const entries: Entry[] = [];
  const names = new Set<string>();
  for (const [rawName, value] of Object.entries(header as Record<string, unknown>)) {
    if (rawName === '__metadata__') continue;
    const name = rawName.startsWith(PREFIX) ? rawName.slice(PREFIX.length) : rawName;
    if (names.has(name)) {
      throw fail(`tensor ${JSON.stringify(name)} appears both with and without the "${PREFIX}" prefix`);
    }
    names.add(name);
    entries.push(parseEntry(rawName, name, value, dataBytes, fail));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);

  // The format lays tensors end to end from byte 0 (the reference reader refuses gaps): a hole
  // would be bytes that belong to no tensor, which only a damaged or hand-built file has.
  let previous: Entry | undefined;
  for (const e of entries) {
    const expectedBegin = previous?.end ?? 0;
    if (previous !== undefined && e.begin < previous.end) {
      throw fail(
        `tensor ${JSON.stringify(e.name)} bytes [${e.begin}, ${e.end}) overlap ` +
          `${JSON.stringify(previous.name)} bytes [${previous.begin}, ${previous.end})`,
      );
    }
    if (e.begin > expectedBegin) {
      throw fail(
        `data bytes [${expectedBegin}, ${e.begin}) before tensor ${JSON.stringify(e.name)} belong to no tensor (a hole)`,
      );
    }
    previous = e;
  }
  const usedBytes = previous?.end ?? 0;
  if (usedBytes !== dataBytes) {
    throw fail(`tensors end at data byte ${usedBytes} but the data section holds ${dataBytes} bytes`);
  }
  return { dataStart, entries };
}

function parseEntry(
  rawName: string,
  name: string,
  value: unknown,
  dataBytes: number,
  fail: (what: string) => ModelDirError,
): Entry {
  const where = `tensor ${JSON.stringify(rawName)}`;
  if (typeof value !== 'object' || value === null) throw fail(`${where} is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;

  if (typeof dtype !== 'string' || !Object.hasOwn(BYTES_PER_ELEMENT, dtype)) {
    throw fail(
      `${where} has dtype ${JSON.stringify(dtype)}; supported: ${Object.keys(BYTES_PER_ELEMENT).join(', ')}`,
    );
  }
  const bytesPerElement = BYTES_PER_ELEMENT[dtype as Dtype];

  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw fail(`${where} has shape ${JSON.stringify(shape)}; expected an array of non-negative integers`);
  }
  const dims = shape as number[];

  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
  ) {
    throw fail(`${where} has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] byte offsets`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataBytes) {
    throw fail(`${where} data_offsets [${begin}, ${end}] are outside the ${dataBytes}-byte data section`);
  }
  const expectedBytes = elementCount(dims) * bytesPerElement;
  if (end - begin !== expectedBytes) {
    throw fail(
      `${where} spans ${end - begin} bytes but shape ${JSON.stringify(dims)} of ${dtype} needs ${expectedBytes}`,
    );
  }
  return { name, dtype: dtype as Dtype, shape: dims, begin, end };
}

/** One float32 tensor to write. */
export interface F32Tensor {
  readonly dtype: 'F32';
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** One float16 tensor to write, as binary16 bits. */
export interface F16Tensor {
  readonly dtype: 'F16';
  readonly shape: readonly number[];
  readonly data: Uint16Array;
}

/**
 * Serialize float32 or float16 tensors in the given order, laid out as Hugging Face's writer does: header
 * padded with spaces to a multiple of 8 bytes, data contiguous. Equal input gives equal bytes.
 */
export function encodeSafetensors(
  tensors: readonly ((F32Tensor | F16Tensor) & { readonly name: string })[],
  metadata: Readonly<Record<string, string>> = { format: 'pt' },
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const expected = elementCount(t.shape);
    if (t.data.length !== expected) {
      throw new RangeError(`tensor ${t.name}: ${t.data.length} values for shape [${t.shape}] (${expected})`);
    }
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const unpadded = new TextEncoder().encode(JSON.stringify(header));
  const jsonBytes = new Uint8Array(Math.ceil(unpadded.length / 8) * 8).fill(0x20); // ' ' pads to 8
  jsonBytes.set(unpadded);

  const out = new Uint8Array(8 + jsonBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  out.set(jsonBytes, 8);
  let at = 8 + jsonBytes.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
