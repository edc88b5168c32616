import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelDirError } from '../../harness/core/errors.ts';
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  readSafetensorsSpecs,
} from '../../harness/core/model/safetensors.ts';

const dir = mkdtempSync(join(tmpdir(), 'safetensors-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A safetensors image with a hand-written header (object or raw text) and data section. */
function image(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

let fileCounter = 0;
function writeTemp(bytes: Uint8Array): string {
  const path = join(dir, `t${fileCounter++}.safetensors`);
  writeFileSync(path, bytes);
  return path;
}

describe('safetensors round trip', () => {
  const tensors = [
    {
      name: 'transformer.wte.weight',
      dtype: 'F32' as const,
      shape: [3, 2],
      data: Float32Array.of(1, -2, 3.5, 0, 1e-8, -0),
    },
    { name: 'ln_f.bias', dtype: 'F32' as const, shape: [3], data: Float32Array.of(0.25, 0.5, 0.75) },
    { name: 'empty', dtype: 'F32' as const, shape: [0, 4], data: new Float32Array(0) },
  ];

  it('reads back what it wrote, with the transformer. prefix stripped, from a file', () => {
    const path = writeTemp(encodeSafetensors(tensors));
    const read = readSafetensors(path);
    expect([...read.keys()].sort()).toEqual(['empty', 'ln_f.bias', 'wte.weight']);
    expect(read.get('wte.weight')).toEqual({ dtype: 'F32', shape: [3, 2], data: tensors[0]!.data });
    expect(read.get('ln_f.bias')?.data).toEqual(tensors[1]!.data);
    expect(readSafetensorsSpecs(path).get('wte.weight')).toEqual({ dtype: 'F32', shape: [3, 2] });
  });

  it('pads the header to a multiple of 8 and writes the metadata', () => {
    const bytes = encodeSafetensors(tensors, { format: 'pt', note: 'x' });
    const headerBytes = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerBytes % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerBytes)));
    expect(header.__metadata__).toEqual({ format: 'pt', note: 'x' });
  });

  it('is deterministic', () => {
    expect(encodeSafetensors(tensors)).toEqual(encodeSafetensors(tensors));
  });

  it('rejects data that does not fill the shape', () => {
    expect(() =>
      encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [2], data: new Float32Array(3) }]),
    ).toThrow(/3 values for shape \[2\]/);
  });
});

describe('safetensors dtypes', () => {
  const decodeOne = (dtype: string, shape: number[], data: Uint8Array) =>
    decodeSafetensors(image({ x: { dtype, shape, data_offsets: [0, data.length] } }, data), 'mem').get('x')!;

  it('F64 stays float64', () => {
    const t = decodeOne('F64', [2], bytesOf(Float64Array.of(0.1, -3)));
    expect(t.data).toBeInstanceOf(Float64Array);
    expect([...t.data]).toEqual([0.1, -3]);
  });

  it('F16 widens exactly, including subnormals and infinities', () => {
    // 1.0, -2.0, smallest subnormal 2^-24, +Inf, 65504 (max half)
    const t = decodeOne('F16', [5], bytesOf(Uint16Array.of(0x3c00, 0xc000, 0x0001, 0x7c00, 0x7bff)));
    expect(t.dtype).toBe('F16');
    expect([...t.data]).toEqual([1, -2, 2 ** -24, Number.POSITIVE_INFINITY, 65504]);
  });

  it('BF16 widens exactly', () => {
    const t = decodeOne('BF16', [2], bytesOf(Uint16Array.of(0x3f80, 0xc0a0))); // 1.0, -5.0
    expect([...t.data]).toEqual([1, -5]);
  });

  it('I32 and I64 become float64', () => {
    expect([...decodeOne('I32', [2], bytesOf(Int32Array.of(-7, 9))).data]).toEqual([-7, 9]);
    expect([...decodeOne('I64', [2], bytesOf(BigInt64Array.of(-7n, 2n ** 40n))).data]).toEqual([-7, 2 ** 40]);
  });

  it('reads unaligned data sections', () => {
    // This header's length puts the data at a file offset that is not a multiple of 4.
    const data = bytesOf(Float32Array.of(1.5));
    const header = `{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`;
    expect((8 + header.length) % 4).not.toBe(0);
    expect([...decodeSafetensors(image(header, data), 'mem').get('x')!.data]).toEqual([1.5]);
  });
});

describe('safetensors header validation', () => {
  const f32 = (offsets: unknown, shape: unknown = [2]) => ({ dtype: 'F32', shape, data_offsets: offsets });
  const eight = new Uint8Array(8);

  const cases: [string, Uint8Array, RegExp][] = [
    ['a file shorter than 8 bytes', new Uint8Array(5), /5 bytes, shorter than the 8-byte header length/],
    [
      'a header length past EOF',
      image('{}').subarray(0, 9),
      /header length 2 runs past the end of the 9-byte file/,
    ],
    ['a header that is not JSON', image('{"x": '), /header is not valid JSON/],
    ['a header that is not an object', image('[1, 2]'), /header is not a JSON object/],
    ['an entry that is not an object', image({ x: 3 }), /tensor "x" is not an object/],
    [
      'an unknown dtype',
      image({ x: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /tensor "x" has dtype "F8_E4M3"; supported: F64, F32/,
    ],
    ['a negative dimension', image({ x: f32([0, 8], [-2]) }, eight), /tensor "x" has shape \[-2\]/],
    ['a non-integer dimension', image({ x: f32([0, 8], [2.5]) }, eight), /tensor "x" has shape \[2.5\]/],
    ['offsets that are not a pair', image({ x: f32([0]) }, eight), /tensor "x" has data_offsets \[0\]/],
    [
      'offsets past the data section',
      image({ x: f32([0, 16]) }, eight),
      /data_offsets \[0, 16\] are outside the 8-byte data section/,
    ],
    ['offsets in reverse', image({ x: f32([8, 0]) }, eight), /data_offsets \[8, 0\] are outside/],
    [
      'a size that is not numel × dtype size',
      image({ x: f32([0, 8], [3]) }, eight),
      /spans 8 bytes but shape \[3\] of F32 needs 12/,
    ],
    [
      'overlapping tensors',
      image({ a: f32([0, 8]), b: f32([4, 12]) }, new Uint8Array(12)),
      /tensor "b" bytes \[4, 12\) overlap "a" bytes \[0, 8\)/,
    ],
    [
      'a hole between two tensors',
      image({ a: f32([0, 8]), b: f32([12, 20]) }, new Uint8Array(20)),
      /data bytes \[8, 12\) before tensor "b" belong to no tensor \(a hole\)/,
    ],
    [
      'a hole before the first tensor',
      image({ a: f32([4, 12]) }, new Uint8Array(12)),
      /data bytes \[0, 4\) before tensor "a" belong to no tensor/,
    ],
    [
      'trailing bytes after the last tensor',
      image({ x: f32([0, 8]) }, new Uint8Array(12)),
      /tensors end at data byte 8 but the data section holds 12 bytes/,
    ],
    [
      'a data section shorter than the header says',
      image({ x: f32([0, 8]) }, new Uint8Array(4)),
      /outside the 4-byte data section/,
    ],
    [
      'the same tensor with and without the transformer. prefix',
      image({ 'transformer.x': f32([0, 8]), x: f32([8, 16]) }, new Uint8Array(16)),
      /tensor "x" appears both with and without the "transformer." prefix/,
    ],
  ];

  it.each(cases)('rejects %s', (_, bytes, message) => {
    const path = writeTemp(bytes);
    for (const read of [() => readSafetensors(path), () => readSafetensorsSpecs(path)]) {
      expect(read).toThrow(ModelDirError);
      expect(read).toThrow(message);
      expect(read).toThrow(
        /truncated or lying safetensors header: .*; regenerate the file \/ re-export the model/,
      );
    }
  });

  it('names the file in every message', () => {
    const path = writeTemp(image('nope'));
    expect(() => readSafetensors(path)).toThrow(path);
  });

  it('reports a missing file', () => {
    const path = join(dir, 'missing.safetensors');
    expect(() => readSafetensors(path)).toThrow(/missing.safetensors: no such file; save the weights/);
    expect(() => readSafetensorsSpecs(path)).toThrow(/missing.safetensors: no such file; save the weights/);
  });
});
