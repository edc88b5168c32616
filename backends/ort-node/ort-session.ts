import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { env, InferenceSession } from 'onnxruntime-node';
import type { BackendInfo } from '../../harness/core/backend/contract.ts';
import { checkedThreads, defaultThreads } from '../../harness/core/backend/default-threads.ts';
import { BackendUnavailable, ModelDirError } from '../../harness/core/errors.ts';
import type { EpSpec } from './execution-provider.ts';
import { nvidiaGpuName } from './nvidia-gpu.ts';
import { probePlacements } from './placement-probe.ts';
import { chooseVulkanDriver } from './vulkan-driver.ts';

/** An ORT session pinned to one execution provider, with what it will report as having run. */
export interface OrtSession {
  readonly session: InferenceSession;
  readonly info: BackendInfo;
}

/**
 * Open `onnxPath` on exactly one execution provider: the provider list has one entry, so there
 * is nothing to fall back through, and for a GPU provider a placement probe proves that only
 * shape ops run on the CPU. `deviceOutputs` names outputs to keep on the device.
 */
export async function openOrtSession(
  onnxPath: string,
  spec: EpSpec,
  threads = defaultThreads(),
  deviceOutputs: readonly string[] = [],
): Promise<OrtSession> {
  checkedThreads(threads);
  const { device, deviceKind } = spec.ep === 'cpu' ? cpuDevice() : prepareGpuDevice(spec);
  const executionProvider =
    spec.ep === 'cpu' ? spec.providerName : await probePlacements(spec, onnxPath, process.env);
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(onnxPath, {
      executionProviders: [spec.ep],
      intraOpNumThreads: threads,
      interOpNumThreads: 1, // one sequential graph: inter-op threads only add scheduling noise
      graphOptimizationLevel: 'all',
      ...(deviceOutputs.length > 0 && {
        preferredOutputLocation: Object.fromEntries(deviceOutputs.map((name) => [name, 'gpu-buffer'])),
      }),
    });
  } catch (err) {
    throw new ModelDirError(
      `onnxruntime could not load ${onnxPath} on ${spec.providerName}: ${(err as Error).message}; ` +
        'regenerate or re-export the model',
    );
  }
  return {
    session,
    info: {
      id: spec.backendId,
      device,
      deviceKind,
      executionProvider,
      dtype: 'float32',
      threads,
      versions: {
        'onnxruntime-node': env.versions.node ?? 'unknown',
        'onnxruntime-common': env.versions.common,
      },
    },
  };
}

/**
 * Dawn's Vulkan start-up looks for a Wayland display and prints "error: XDG_RUNTIME_DIR is invalid
 * or not set" twice where the variable is unset (headless machines, CI), though nothing is wrong.
 * A private runtime dir (0700, as the XDG spec asks) keeps stderr for real errors.
 */
function ensureRuntimeDir(): void {
  if (process.env.XDG_RUNTIME_DIR) return;
  const dir = path.join(os.tmpdir(), `decode-harness-runtime-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}

function cpuDevice(): Pick<BackendInfo, 'device' | 'deviceKind'> {
  return { device: `cpu (${os.cpus()[0]?.model.trim() ?? 'unknown model'})`, deviceKind: 'cpu' };
}

/**
 * The device a GPU provider will use. For WebGPU this pins the Vulkan driver in the environment
 * before the first WebGPU session of the process (Dawn reads it once) and keeps that choice.
 */
function prepareGpuDevice(spec: EpSpec): Pick<BackendInfo, 'device' | 'deviceKind'> {
  if (spec.ep === 'cuda') return { device: `cuda:0 (${nvidiaGpuName() ?? 'NVIDIA GPU'})`, deviceKind: 'gpu' };
  const choice = chooseVulkanDriver();
  if (!choice.ok) throw new BackendUnavailable(spec.backendId, choice.reason, choice.fix);
  process.env.VK_ICD_FILENAMES = choice.driver.icdPath;
  ensureRuntimeDir();
  return { device: choice.driver.device, deviceKind: choice.driver.software ? 'software-gpu' : 'gpu' };
}
