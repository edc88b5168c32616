import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Availability } from '../../harness/core/backend/contract.ts';
import { removeLeftovers } from '../../harness/core/leftovers.ts';
import { cacheGatherGraph } from './cache-gather-graph.ts';
import { EP_SPECS } from './execution-provider.ts';
import { probePlacements } from './placement-probe.ts';
import { chooseVulkanDriver } from './vulkan-driver.ts';

let answer: Promise<Availability> | undefined;

/**
 * Whether onnxruntime-node's WebGPU provider gets an adapter here: a Vulkan driver is chosen,
 * then a child process creates a one-node WebGPU session on it (Dawn rejects some drivers, e.g.
 * Mesa's lavapipe 22, only when asked for an adapter). Asked once per process (~1 s).
 */
export function webGpuAvailability(): Promise<Availability> {
  answer ??= (async (): Promise<Availability> => {
    const choice = chooseVulkanDriver();
    if (!choice.ok) return { available: false, reason: choice.reason, fix: choice.fix };
    removeLeftovers(os.tmpdir(), /^decode-harness-webgpu-probe-(\d+)-/);
    const dir = mkdtempSync(path.join(os.tmpdir(), `decode-harness-webgpu-probe-${process.pid}-`));
    const onnxPath = path.join(dir, 'gather.onnx');
    writeFileSync(onnxPath, cacheGatherGraph(1));
    try {
      await probePlacements(EP_SPECS.webgpu, onnxPath, {
        ...process.env,
        VK_ICD_FILENAMES: choice.driver.icdPath,
      });
      return { available: true };
    } catch (err) {
      return {
        available: false,
        reason: `no WebGPU adapter on ${choice.driver.device}: ${(err as Error).message}`,
        fix: 'install a Vulkan driver Dawn accepts (the NVIDIA driver on a GPU machine; SwiftShader via apt-get install -y chromium), or point VK_ICD_FILENAMES at one',
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return answer;
}
