import { describe, expect, it } from 'vitest';
import { resolveMainJobOptions } from '../../harness/app/main-job/main-job-options.ts';
import { UsageError } from '../../harness/core/errors.ts';

const REGISTERED = ['ts:f64', 'ts:f32', 'ort-node:cpu', 'ort-node:cuda'];
const resolve = (backends?: string, require?: string, full = false) =>
  resolveMainJobOptions(REGISTERED, backends, require, full);

function refusal(backends: string | undefined, require: string | undefined): string {
  try {
    resolve(backends, require);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error(`accepted --backends ${backends} --require ${require}`);
}

describe('main job --backends / --require / --full', () => {
  it('defaults to every registered backend, none required', () => {
    expect(resolve()).toEqual({ backends: REGISTERED, required: [], full: false });
    expect(resolve('all', undefined, true)).toEqual({ backends: REGISTERED, required: [], full: true });
  });

  it('takes a list in the order given, and required ids among it', () => {
    expect(resolve(' ort-node:cpu, ts:f32 ', 'ts:f32')).toEqual({
      backends: ['ort-node:cpu', 'ts:f32'],
      required: ['ts:f32'],
      full: false,
    });
    expect(resolve('ts:f32,ts:f64', 'all').required).toEqual(['ts:f32', 'ts:f64']);
  });

  it('refuses an unknown id, naming it and listing the valid ids', () => {
    const message = refusal('ts:f32,ort-node:gpu', undefined);
    expect(message).toContain('--backends: unknown backend id "ort-node:gpu"');
    expect(message).toContain('valid ids: ts:f64, ts:f32, ort-node:cpu, ort-node:cuda');
    expect(refusal(undefined, 'cuda')).toContain('--require: unknown backend id "cuda"');
  });

  it('refuses duplicates, empty lists, empty entries and all inside a list', () => {
    expect(refusal('ts:f32,ts:f32', undefined)).toContain('lists ts:f32 twice');
    expect(refusal('', undefined)).toContain('names no backend');
    expect(refusal(' , ', undefined)).toContain('names no backend');
    expect(refusal(undefined, '')).toContain('--require "" names no backend');
    expect(refusal('ts:f32,,ts:f64', undefined)).toContain('has an empty entry');
    expect(refusal('all,ts:f32', undefined)).toContain("'all' stands alone");
    expect(refusal(undefined, 'ts:f64,ts:f64')).toContain('--require "ts:f64,ts:f64" lists ts:f64 twice');
  });

  it('refuses a required backend that is not among --backends', () => {
    expect(refusal('ts:f32', 'ort-node:cuda')).toBe(
      '--require ort-node:cuda: ort-node:cuda is not among --backends (ts:f32); add it to --backends or drop it from --require',
    );
  });
});
