import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailability } from '../../backends/ort-web/chromium/availability.ts';
import { type StaticServer, startStaticServer } from '../../backends/ort-web/chromium/static-server.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ort-web-server-'));
const onnxPath = path.join(tmp, 'model.onnx');
writeFileSync(onnxPath, 'onnx bytes');
let server: StaticServer;
beforeAll(async () => {
  server = await startStaticServer(onnxPath);
});
afterAll(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the page server', () => {
  it('listens on 127.0.0.1 and sends COOP/COEP, so the page is cross-origin isolated', async () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.origin}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await response.text()).toContain('/ort-page.js');
  });

  it('serves the page script, the onnxruntime-web bundles and wasm with their types, and the model', async () => {
    const types = async (p: string) => (await fetch(`${server.origin}${p}`)).headers.get('content-type');
    expect(await types('/ort-page.js')).toMatch(/^text\/javascript/);
    expect(await types('/ort/ort.webgpu.min.mjs')).toMatch(/^text\/javascript/);
    expect(await types('/ort/ort-wasm-simd-threaded.wasm')).toBe('application/wasm');
    expect(await (await fetch(`${server.origin}/model.onnx`)).text()).toBe('onnx bytes');
  });

  it('serves nothing else: other dist files, traversal, unknown paths are 404', async () => {
    for (const p of [
      '/ort/ort.min.js.map',
      '/ort/../package.json',
      '/ort/%2e%2e%2fpackage.json',
      '/etc/passwd',
    ]) {
      expect((await fetch(`${server.origin}${p}`)).status, p).toBe(404);
    }
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
