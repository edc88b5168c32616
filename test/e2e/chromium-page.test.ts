import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailability, probeWebGpu } from '../../backends/ort-web/chromium/availability.ts';
import { CHROMIUM_PATH, ChromiumBrowser } from '../../backends/ort-web/chromium/chromium-browser.ts';
import { chromiumPidsUnder } from '../../backends/ort-web/chromium/chromium-processes.ts';
import { PageFailure, PageRpc } from '../../backends/ort-web/chromium/page-rpc.ts';
import { type StaticServer, startStaticServer } from '../../backends/ort-web/chromium/static-server.ts';
import { chromiumWebGpuFactory } from '../../backends/ort-web/factories.ts';

/**
 * The page and browser machinery of the chromium:* backends without onnxruntime: the call fence
 * (timeouts, console errors, WebGPU errors), the network fence, closing and SIGTERM, and the
 * WebGPU availability probe. Skipped, with the reason, where Chromium is not installed.
 */
const available = chromiumAvailability(CHROMIUM_PATH);
const skipReason = available.available ? '' : `${available.reason} (fix: ${available.fix})`;
if (skipReason) console.warn(`SKIP chromium page e2e: ${skipReason}`);

function expectNoProcessesLeft(rootDir: string): void {
  expect(chromiumPidsUnder(rootDir), `Chromium processes still naming ${rootDir}`).toEqual([]);
  expect(existsSync(rootDir), `${rootDir} still exists`).toBe(false);
}

describe.skipIf(skipReason)('a bare page: the call fence, the network fence, the lifecycle', () => {
  let server: StaticServer;
  let browser: ChromiumBrowser;
  beforeAll(async () => {
    server = await startStaticServer();
    browser = await ChromiumBrowser.launch({
      executablePath: CHROMIUM_PATH,
      webgpu: false,
      backendId: 'chromium:wasm',
    });
    await browser.page.goto(server.pageUrl);
    await browser.page.waitForFunction(() => 'ortPage' in globalThis);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Add a method to the page's ortPage object (what tests use to misbehave on purpose). */
  async function addPageMethod(name: string, body: string): Promise<void> {
    await browser.page.evaluate(
      ([name, body]) => {
        (globalThis as unknown as { ortPage: Record<string, unknown> }).ortPage[name!] = new Function(body!);
      },
      [name, body],
    );
  }

  it('the page cannot reach the network: host names do not resolve, other addresses are refused', async () => {
    const results = await browser.page.evaluate(async () => {
      const attempt = (url: string) =>
        fetch(url, { mode: 'no-cors' }).then(
          () => 'reached',
          (error: Error) => `failed: ${error.message}`,
        );
      return {
        name: await attempt('http://example.com/'),
        address: await attempt('http://93.184.215.14/'),
        ours: await attempt(location.href),
      };
    });
    expect(results).toEqual({
      name: expect.stringMatching(/^failed/),
      address: expect.stringMatching(/^failed/),
      ours: 'reached',
    });
    browser.drainConsole(); // the refused fetches logged errors; they belong to this test only
  });

  it('an error in the console fails the call that printed it', async () => {
    await addPageMethod('shout', "console.error('boom'); return {};");
    const rpc = new PageRpc(browser, 'chromium:wasm');
    await expect(rpc.call('shout', undefined)).rejects.toThrow(
      /chromium:wasm: page call shout left 1 console error\(s\): \[error\] boom/,
    );
  });

  it('WebGPU errors the page reports fail the call', async () => {
    await addPageMethod('gpuTrouble', "return { gpuErrors: ['Invalid BindGroup'] };");
    await expect(new PageRpc(browser, 'chromium:webgpu').call('gpuTrouble', undefined)).rejects.toThrow(
      /WebGPU reported 1 error\(s\) during gpuTrouble: Invalid BindGroup/,
    );
  });

  it('a hung page call times out with the limit and the fix, and the page stays refused', async () => {
    await addPageMethod('hang', 'return new Promise(() => {});');
    const rpc = new PageRpc(browser, 'chromium:wasm', 300);
    const hung = rpc.call('hang', undefined);
    await expect(hung).rejects.toBeInstanceOf(PageFailure);
    await expect(hung).rejects.toThrow(/page call hang did not answer within 0.3 s.*raise callTimeoutMs/);
    await expect(rpc.call('probeAdapter', undefined)).rejects.toThrow(/unusable after an earlier failure/);
    expect(() => new PageRpc(browser, 'chromium:wasm', 0)).toThrow(
      /call timeout 0 ms is not a positive number/,
    );
  });

  it('close ends every Chromium process of the browser and deletes its profile', async () => {
    const second = await ChromiumBrowser.launch({
      executablePath: CHROMIUM_PATH,
      webgpu: false,
      backendId: 'x',
    });
    expect(chromiumPidsUnder(second.rootDir).length).toBeGreaterThan(1);
    await second.close();
    expectNoProcessesLeft(second.rootDir);
  });

  /** The same launch the backends use, in a child process that then only waits to be signalled. */
  async function launchInChild(): Promise<{ child: ChildProcess; rootDir: string }> {
    const entry = fileURLToPath(
      new URL('../../backends/ort-web/chromium/chromium-browser.ts', import.meta.url),
    );
    const script = `
      const { ChromiumBrowser } = await import(${JSON.stringify(entry)});
      const browser = await ChromiumBrowser.launch({
        executablePath: ${JSON.stringify(CHROMIUM_PATH)}, webgpu: false, backendId: 'chromium:wasm',
      });
      console.log(JSON.stringify({ rootDir: browser.rootDir }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const rootDir = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        const line = chunk
          .toString()
          .split('\n')
          .find((l) => l.startsWith('{'));
        if (line) resolve((JSON.parse(line) as { rootDir: string }).rootDir);
      });
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    expect(chromiumPidsUnder(rootDir).length).toBeGreaterThan(1);
    return { child, rootDir };
  }

  const exitOf = (child: ChildProcess) =>
    new Promise<number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
    );

  it('SIGTERM kills the browsers of a process and deletes their profiles before it exits', async () => {
    const { child, rootDir } = await launchInChild();
    const exited = exitOf(child);
    child.kill('SIGTERM');
    expect(await exited).toBe(128 + os.constants.signals.SIGTERM);
    expectNoProcessesLeft(rootDir);
  });

  it('the profile a SIGKILLed run left behind is removed by the next launch, by its owner pid being gone', async () => {
    const { child, rootDir } = await launchInChild();
    expect(rootDir).toContain(`decode-harness-chromium-${child.pid}-`);
    const exited = exitOf(child);
    child.kill('SIGKILL'); // no handler runs: the profile stays
    await exited;
    expect(existsSync(rootDir)).toBe(true);
    const next = await ChromiumBrowser.launch({
      executablePath: CHROMIUM_PATH,
      webgpu: false,
      backendId: 'x',
    });
    try {
      expectNoProcessesLeft(rootDir);
    } finally {
      await next.close();
    }
  });
});

describe.skipIf(skipReason)('chromium:webgpu availability', () => {
  it('is available here (a hardware adapter, or SwiftShader with no GPU), probed once per process', async () => {
    const first = chromiumWebGpuFactory.availability();
    expect(chromiumWebGpuFactory.availability()).toBe(first);
    expect(await first).toEqual({ available: true });
  });

  it('without --enable-unsafe-webgpu Chromium offers no adapter, and the reason says so', async () => {
    expect(await probeWebGpu(CHROMIUM_PATH, false)).toEqual({
      available: false,
      reason: expect.stringMatching(/^Chromium \d+\S* offers no WebGPU adapter: navigator\.gpu/),
      fix: expect.stringContaining('apt-get install -y chromium'),
    });
  });

  it('a missing Chromium is unavailable with the path and the apt fix, without launching anything', async () => {
    expect(await probeWebGpu('/nonexistent/chromium')).toEqual({
      available: false,
      reason: 'Chromium not found at /nonexistent/chromium',
      fix: 'apt-get install -y chromium',
    });
  });
});
