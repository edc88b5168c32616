import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { nvidiaGpuName } from './nvidia-gpu.ts';

/**
 * The Vulkan driver (ICD) onnxruntime-node's WebGPU provider runs on. Its Dawn instance reads
 * VK_ICD_FILENAMES once, when the first WebGPU session of the process is created, so the choice
 * is made once per process and pinned in the environment before that.
 */
export interface VulkanDriver {
  /** The ICD manifest Dawn is pointed at. */
  readonly icdPath: string;
  /** What a report shows as the device, e.g. `WebGPU on Vulkan: NVIDIA H200 (nvidia_icd.json)`. */
  readonly device: string;
  /** A CPU implementation of Vulkan (SwiftShader): correct, slow, and no GPU figures. */
  readonly software: boolean;
}

export type VulkanChoice =
  | { readonly ok: true; readonly driver: VulkanDriver }
  | { readonly ok: false; readonly reason: string; readonly fix: string };

/** Where NVIDIA's driver installs its ICD manifest (distribution packages; container toolkits). */
const NVIDIA_ICDS = [
  '/usr/share/vulkan/icd.d/nvidia_icd.json',
  '/etc/vulkan/icd.d/nvidia_icd.json',
  '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json',
];
/** SwiftShader's Vulkan ICD as Debian's chromium package ships it. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** Dawn dlopens the Vulkan loader by this name. */
const LOADER_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];

const LOADER_FIX = 'apt-get install -y libvulkan1 (the Vulkan loader Dawn opens)';

/**
 * Pick the driver: the user's VK_ICD_FILENAMES / VK_DRIVER_FILES as given; else an NVIDIA ICD;
 * else SwiftShader from Debian's chromium, named as software in `device` so a report can never
 * pass SwiftShader figures off as a GPU's.
 */
export function chooseVulkanDriver(env: NodeJS.ProcessEnv = process.env): VulkanChoice {
  if (!LOADER_DIRS.some((dir) => existsSync(path.join(dir, 'libvulkan.so.1')))) {
    return { ok: false, reason: 'the Vulkan loader libvulkan.so.1 is not installed', fix: LOADER_FIX };
  }
  const given = env.VK_ICD_FILENAMES ?? env.VK_DRIVER_FILES;
  if (given) {
    const first = given.split(':')[0]!;
    if (!existsSync(first)) {
      return {
        ok: false,
        reason: `VK_ICD_FILENAMES names ${first}, which does not exist`,
        fix: 'point VK_ICD_FILENAMES at an ICD manifest (e.g. nvidia_icd.json) or unset it',
      };
    }
    const software = first === SWIFTSHADER_ICD || /swiftshader|lvp_icd/i.test(first);
    return {
      ok: true,
      driver: {
        icdPath: given,
        device: `WebGPU on Vulkan: ${software ? 'software' : (nvidiaGpuName() ?? 'driver')} (${given}, from VK_ICD_FILENAMES)`,
        software,
      },
    };
  }
  const nvidia = NVIDIA_ICDS.find((p) => existsSync(p));
  if (nvidia) {
    return {
      ok: true,
      driver: {
        icdPath: nvidia,
        device: `WebGPU on Vulkan: ${nvidiaGpuName() ?? 'NVIDIA GPU'} (${path.basename(nvidia)})`,
        software: false,
      },
    };
  }
  if (existsSync(SWIFTSHADER_ICD)) {
    return {
      ok: true,
      driver: {
        icdPath: SWIFTSHADER_ICD,
        device: `WebGPU on Vulkan: SwiftShader (software, ${readLibraryPath(SWIFTSHADER_ICD)}; no GPU driver found)`,
        software: true,
      },
    };
  }
  return {
    ok: false,
    reason: `no Vulkan driver: no NVIDIA ICD (${NVIDIA_ICDS.join(', ')}) and no SwiftShader ICD (${SWIFTSHADER_ICD})`,
    fix: "on a GPU machine install the NVIDIA driver's Vulkan ICD; without a GPU, apt-get install -y chromium libvulkan1 for SwiftShader",
  };
}

function readLibraryPath(icd: string): string {
  try {
    const manifest = JSON.parse(readFileSync(icd, 'utf8')) as { ICD?: { library_path?: string } };
    return path.resolve(path.dirname(icd), manifest.ICD?.library_path ?? '?');
  } catch {
    return icd;
  }
}
