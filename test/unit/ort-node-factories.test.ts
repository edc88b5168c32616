import { afterEach, describe, expect, it, vi } from 'vitest';

/** The factory module fresh, so its lazy `import('onnxruntime-node')` sees the current mock. */
async function freshFactory() {
  vi.resetModules();
  return (await import('../../backends/ort-node/factories.ts')).ortNodeCpuFactory;
}

afterEach(() => {
  vi.doUnmock('onnxruntime-node');
});

describe('ortNodeCpuFactory.availability', () => {
  it('is unavailable, with the load error and the install fix, when onnxruntime-node cannot load', async () => {
    // The native binding loads inside the module; a broken install surfaces as a throw from it.
    vi.doMock('onnxruntime-node', () => ({
      listSupportedBackends: () => {
        throw new Error('libonnxruntime.so.1: cannot open shared object file');
      },
    }));
    expect(await (await freshFactory()).availability()).toEqual({
      available: false,
      reason: expect.stringMatching(/^onnxruntime-node failed to load: .*libonnxruntime\.so\.1/),
      fix: 'run npm ci (ONNXRUNTIME_NODE_INSTALL=skip keeps the bundled CPU and WebGPU binaries)',
    });
  });

  it('is unavailable when the binding lists no cpu backend', async () => {
    vi.doMock('onnxruntime-node', () => ({
      listSupportedBackends: () => [{ name: 'webgpu', bundled: true }],
      env: { versions: { node: '1.30.0' } },
    }));
    expect(await (await freshFactory()).availability()).toMatchObject({
      available: false,
      reason: 'onnxruntime-node 1.30.0 lists backends [webgpu] but not cpu',
    });
  });

  it('is available with the installed onnxruntime-node', async () => {
    expect(await (await freshFactory()).availability()).toEqual({ available: true });
  });
});
