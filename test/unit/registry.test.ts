import { describe, expect, it } from 'vitest';
import { backendFactory, resolveBackendIds } from '../../harness/app/registry.ts';
import type { BackendFactory, LogitsSource } from '../../harness/core/backend/contract.ts';
import { openBackend } from '../../harness/core/backend/open-backend.ts';
import { BackendUnavailable, UsageError } from '../../harness/core/errors.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';

const model = {} as ModelDir;

describe('backend registry', () => {
  it('rejects an unknown id and lists the known ones', () => {
    expect(() => backendFactory('ort-node:cpux')).toThrow(UsageError);
    expect(() => backendFactory('ort-node:cpux')).toThrow(
      /unknown backend id "ort-node:cpux"; valid ids: ts:f64, ts:f32, onnx:f64, ort-node:cpu/,
    );
  });

  it('parses --backends lists and rejects empty or unknown entries', async () => {
    expect(await resolveBackendIds('ts:f64, ts:f32')).toEqual(['ts:f64', 'ts:f32']);
    await expect(resolveBackendIds(' , ')).rejects.toThrow(/names no backend/);
    await expect(resolveBackendIds('ts:f64,nope')).rejects.toThrow(/unknown backend id "nope"/);
  });

  it('an unavailable backend is an error with its reason and fix, never a fallback', async () => {
    let created = false;
    const unavailable: BackendFactory = {
      id: 'fake:gpu',
      summary: 'test double',
      availability: async () => ({ available: false, reason: 'no GPU adapter', fix: 'run on a GPU machine' }),
      create: async () => {
        created = true;
        return {} as LogitsSource;
      },
    };
    const attempt = openBackend(unavailable, model);
    await expect(attempt).rejects.toBeInstanceOf(BackendUnavailable);
    await expect(openBackend(unavailable, model)).rejects.toThrow(
      'backend fake:gpu is unavailable: no GPU adapter. Fix: run on a GPU machine',
    );
    expect(created).toBe(false);
  });

  it('a backend that reports a different id than asked for is refused', async () => {
    let disposed = false;
    const impostor: BackendFactory = {
      id: 'fake:cuda',
      summary: 'test double',
      availability: async () => ({ available: true }),
      create: async () =>
        ({
          info: { id: 'fake:cpu' },
          dispose: async () => {
            disposed = true;
          },
        }) as unknown as LogitsSource,
    };
    await expect(openBackend(impostor, model)).rejects.toThrow(/reported running as fake:cpu/);
    expect(disposed).toBe(true);
  });
});
