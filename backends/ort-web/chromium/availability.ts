import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Availability } from '../../../harness/core/backend/contract.ts';
import { CHROMIUM_FIX, ChromiumBrowser } from './chromium-browser.ts';
import { PageRpc } from './page-rpc.ts';
import { ORT_WEB_DIST, startStaticServer } from './static-server.ts';

/** The files a page needs from onnxruntime-web's dist (bundle, its glue, its wasm). */
const PAGE_FILES = [
  'ort.webgpu.min.mjs',
  'ort-wasm-simd-threaded.asyncify.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm',
  'ort.wasm.min.mjs',
  'ort-wasm-simd-threaded.mjs',
  'ort-wasm-simd-threaded.wasm',
];

/** Cheap (file-system only): is the Chromium binary there and executable, and are the page files? */
export function chromiumAvailability(executablePath: string): Availability {
  try {
    accessSync(executablePath, constants.X_OK);
  } catch {
    return { available: false, reason: `Chromium not found at ${executablePath}`, fix: CHROMIUM_FIX };
  }
  for (const file of PAGE_FILES) {
    try {
      accessSync(path.join(ORT_WEB_DIST, file), constants.R_OK);
    } catch {
      return {
        available: false,
        reason: `onnxruntime-web's ${file} is missing from ${ORT_WEB_DIST}`,
        fix: 'run npm ci',
      };
    }
  }
  return { available: true };
}

/**
 * Launch Chromium once and ask navigator.gpu for an adapter (no onnxruntime, no model): about a
 * second, so callers cache the answer per process. `webgpuFlag: false` shows what Chromium does
 * without --enable-unsafe-webgpu (on Linux: no adapter).
 */
export async function probeWebGpu(executablePath: string, webgpuFlag = true): Promise<Availability> {
  const files = chromiumAvailability(executablePath);
  if (!files.available) return files;
  const server = await startStaticServer();
  let browser: ChromiumBrowser | undefined;
  try {
    browser = await ChromiumBrowser.launch({
      executablePath,
      webgpu: webgpuFlag,
      backendId: 'chromium:webgpu',
    });
    await browser.page.goto(server.pageUrl);
    await browser.page.waitForFunction(() => 'ortPage' in globalThis);
    // Chromium warns "No available adapters." when there is none: that is the answer, not a failure.
    const { value } = await new PageRpc(browser, 'chromium:webgpu').request('probeAdapter', undefined, {
      expectedConsole: /^No available adapters\.$/,
    });
    if (value.adapter) return { available: true };
    return {
      available: false,
      reason: `Chromium ${browser.version} offers no WebGPU adapter: ${value.why}`,
      fix:
        `${CHROMIUM_FIX} (its libvk_swiftshader.so is the software adapter used with no GPU), ` +
        'or install the Vulkan driver of your GPU',
    };
  } catch (error) {
    return {
      available: false,
      reason: `the WebGPU probe in Chromium failed: ${(error as Error).message.split('\n')[0]}`,
      fix: `check that ${executablePath} --headless --version runs; ${CHROMIUM_FIX}`,
    };
  } finally {
    await browser?.close();
    await server.close();
  }
}
