import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { CUDA_PROVIDER_LIBRARIES, cudaAvailability } from '../../backends/ort-node/cuda-libraries.ts';
import { chooseVulkanDriver, SWIFTSHADER_ICD } from '../../backends/ort-node/vulkan-driver.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'ort-gpu-avail-'));

describe('ort-node:cuda availability', () => {
  it('names the missing provider libraries and the install command', () => {
    const result = cudaAvailability('1.30.0', tmp());
    expect(result).toMatchObject({
      available: false,
      reason: expect.stringContaining(
        'ships no CUDA execution provider: libonnxruntime_providers_shared.so, libonnxruntime_providers_cuda.so missing',
      ),
      fix: expect.stringContaining('ONNXRUNTIME_NODE_INSTALL=cuda12'),
    });
  });

  it('refuses a provider built for another onnxruntime release', () => {
    const dir = tmp();
    for (const lib of CUDA_PROVIDER_LIBRARIES)
      writeFileSync(path.join(dir, lib), Buffer.from('\0ELF\x001.29.0\0'));
    expect(cudaAvailability('1.30.0', dir)).toMatchObject({
      available: false,
      reason: expect.stringMatching(
        /libonnxruntime_providers_cuda\.so was not built for onnxruntime 1\.30\.0/,
      ),
    });
  });

  it('accepts a matching provider only where an NVIDIA driver is loaded', (ctx) => {
    const dir = tmp();
    // The version string lands across the 4 MiB read boundary: the scan must still see it.
    const lib = Buffer.alloc((1 << 22) + 16);
    Buffer.from('\x001.30.0\0').copy(lib, (1 << 22) - 3);
    for (const name of CUDA_PROVIDER_LIBRARIES) writeFileSync(path.join(dir, name), lib);
    const result = cudaAvailability('1.30.0', dir);
    if (result.available) skip(ctx, 'an NVIDIA driver is loaded here: the no-driver refusal cannot be shown');
    expect(result).toMatchObject({ reason: expect.stringMatching(/no NVIDIA kernel driver is loaded/) });
  });
});

/** Skip, saying why, where the Vulkan loader itself is missing (then every choice reports that). */
function requireLoader(ctx: TestContext): void {
  const choice = chooseVulkanDriver({ VK_ICD_FILENAMES: SWIFTSHADER_ICD });
  if (!choice.ok && /libvulkan/.test(choice.reason)) skip(ctx, `${choice.reason} (fix: ${choice.fix})`);
}

function skip(ctx: TestContext, reason: string): never {
  console.warn(`SKIP ${ctx.task.name}: ${reason}`);
  ctx.skip(reason);
  throw new Error('unreachable: ctx.skip throws');
}

describe('the Vulkan driver ort-node:webgpu runs on', () => {
  it('says the loader is missing, or takes the user-given ICD and says so in the device name', (ctx) => {
    const icd = path.join(tmp(), 'some_icd.json');
    writeFileSync(icd, '{}');
    const choice = chooseVulkanDriver({ VK_ICD_FILENAMES: icd });
    if (!choice.ok) {
      expect(choice.reason).toBe('the Vulkan loader libvulkan.so.1 is not installed');
      skip(ctx, 'no Vulkan loader here: only its refusal could be checked');
    }
    expect(choice.driver).toEqual({
      icdPath: icd,
      device: expect.stringContaining(`(${icd}, from VK_ICD_FILENAMES)`),
      software: false,
    });
  });

  it('refuses a user-given ICD that does not exist', (ctx) => {
    requireLoader(ctx);
    expect(chooseVulkanDriver({ VK_ICD_FILENAMES: '/nonexistent/icd.json' })).toMatchObject({
      ok: false,
      reason: 'VK_ICD_FILENAMES names /nonexistent/icd.json, which does not exist',
    });
  });

  it('labels SwiftShader as software, never as a GPU', (ctx) => {
    requireLoader(ctx);
    const choice = chooseVulkanDriver({ VK_ICD_FILENAMES: SWIFTSHADER_ICD });
    if (!choice.ok) skip(ctx, `${choice.reason} (fix: ${choice.fix})`);
    expect(choice.driver.software).toBe(true);
    expect(choice.driver.device).toMatch(/software/);
  });
});
