import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailability } from '../../backends/ort-web/chromium/availability.ts';
import { type StaticServer, startStaticServer } from '../../backends/ort-web/chromium/static-server.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ort-web-server-'));
const onnxPath = path.join(tmp, 'model_q4.onnx');
writeFileSync(onnxPath, 'onnx bytes');
writeFileSync(path.join(tmp, 'model_q4.onnx_data'), 'chunk 0');
writeFileSync(path.join(tmp, 'model_q4.onnx_data_1'), 'chunk 1');
writeFileSync(path.join(tmp, 'model.onnx'), 'another graph in the same folder');
const externalData = ['model_q4.onnx_data', 'model_q4.onnx_data_1'].map((location) => ({
  location,
  path: path.join(tmp, location),
  bytesRead: 7,
}));
let server: StaticServer;
beforeAll(async () => {
  server = await startStaticServer({ onnxPath, externalData });
});
afterAll(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the page server', () => {
  const at = (p: string) => new URL(p, server.pageUrl).href;

  it('listens on 127.0.0.1 under a per-run secret path and sends COOP/COEP (cross-origin isolation)', async () => {
    expect(server.pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/$/);
    const response = await fetch(server.pageUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await response.text()).toContain('src="ort-page.js"');
  });

  it('serves the page script, the onnxruntime-web bundles and wasm with their types, and the model', async () => {
    const types = async (p: string) => (await fetch(at(p))).headers.get('content-type');
    expect(await types('ort-page.js')).toMatch(/^text\/javascript/);
    expect(await types('ort/ort.webgpu.min.mjs')).toMatch(/^text\/javascript/);
    expect(await types('ort/ort-wasm-simd-threaded.wasm')).toBe('application/wasm');
  });

  it('serves the graph and exactly the external-data files it reads, under model/, and says where', async () => {
    expect(server.model).toEqual({
      graph: 'model/model_q4.onnx',
      externalData: [
        { path: 'model_q4.onnx_data', data: 'model/model_q4.onnx_data' },
        { path: 'model_q4.onnx_data_1', data: 'model/model_q4.onnx_data_1' },
      ],
    });
    expect(await (await fetch(at('model/model_q4.onnx'))).text()).toBe('onnx bytes');
    expect(await (await fetch(at('model/model_q4.onnx_data'))).text()).toBe('chunk 0');
    expect(await (await fetch(at('model/model_q4.onnx_data_1'))).text()).toBe('chunk 1');
  });

  it('serves nothing else: other dist files, traversal, unknown paths are 404', async () => {
    for (const p of [
      'ort/ort.min.js.map',
      'ort/../package.json',
      'ort/%2e%2e%2fpackage.json',
      'etc/passwd',
      'model/model.onnx',
      'model/../model_q4.onnx',
      'model.onnx',
    ]) {
      expect((await fetch(at(p))).status, p).toBe(404);
    }
  });

  it('answers 403 without the secret, and to a Host that is not its own (DNS rebinding)', async () => {
    const { origin } = new URL(server.pageUrl);
    for (const p of ['/', '/model/model_q4.onnx', '/ort-page.js', `/${'0'.repeat(32)}/model/model_q4.onnx`]) {
      expect((await fetch(`${origin}${p}`)).status, p).toBe(403);
    }
    const { port } = new URL(server.pageUrl);
    const rebound = await new Promise<number | undefined>((resolve, reject) => {
      const request = http.get(
        {
          host: '127.0.0.1',
          port,
          path: new URL(at('model/model_q4.onnx')).pathname,
          headers: { Host: `attacker.example:${port}` },
        },
        (response) => resolve(response.statusCode),
      );
      request.on('error', reject);
    });
    expect(rebound).toBe(403);
  });
});

describe('chromium availability (file checks only, no browser)', () => {
  it('names the missing binary and the apt fix', () => {
    expect(chromiumAvailability('/nonexistent/chromium')).toEqual({
      available: false,
      reason: 'Chromium not found at /nonexistent/chromium',
      fix: 'apt-get install -y chromium',
    });
  });

  it('rejects a path that exists but is not executable', () => {
    expect(chromiumAvailability(onnxPath)).toMatchObject({
      available: false,
      reason: expect.stringMatching(/^Chromium not found at /),
    });
  });
});
