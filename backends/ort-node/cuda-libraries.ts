import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Availability } from '../../harness/core/backend/contract.ts';

/**
 * onnxruntime-node bundles only its CPU and WebGPU providers. The CUDA provider is two shared
 * libraries its installer fetches from NuGet (Microsoft.ML.OnnxRuntime.Gpu.Linux, the same
 * version) into the binding's folder; they must match the core library's version exactly.
 */
export const CUDA_PROVIDER_LIBRARIES = [
  'libonnxruntime_providers_shared.so',
  'libonnxruntime_providers_cuda.so',
];

const INSTALL_FIX =
  'with internet access run `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` ' +
  '(it downloads the CUDA provider of the same onnxruntime version from NuGet); the machine also needs the NVIDIA driver, ' +
  'CUDA 12 and cuDNN 9 runtime libraries';

/** The folder that holds libonnxruntime.so.1 and the binding. */
export function ortBinaryDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(pkg, 'bin', 'napi-v6', `${process.platform}`, `${process.arch}`);
}

/**
 * Whether ort-node:cuda can be created here: an NVIDIA kernel driver is loaded, the provider
 * libraries are in place, and the CUDA provider was built for this onnxruntime version (its
 * version string is in the library; a provider from another release can crash the process).
 */
export function cudaAvailability(ortVersion: string, binDir = ortBinaryDir()): Availability {
  const missing = CUDA_PROVIDER_LIBRARIES.filter((lib) => !existsSync(path.join(binDir, lib)));
  if (missing.length > 0) {
    return {
      available: false,
      reason: `onnxruntime-node ${ortVersion} ships no CUDA execution provider: ${missing.join(', ')} missing from ${binDir}`,
      fix: INSTALL_FIX,
    };
  }
  const provider = path.join(binDir, 'libonnxruntime_providers_cuda.so');
  if (!fileContains(provider, Buffer.from(`\0${ortVersion}\0`))) {
    return {
      available: false,
      reason: `${provider} was not built for onnxruntime ${ortVersion} (its version string is absent)`,
      fix: INSTALL_FIX,
    };
  }
  if (!existsSync('/proc/driver/nvidia/version')) {
    return {
      available: false,
      reason: 'no NVIDIA kernel driver is loaded (/proc/driver/nvidia/version is absent): no GPU to run on',
      fix: 'run on a machine with an NVIDIA GPU and its driver',
    };
  }
  return { available: true };
}

/** Stream the file looking for `needle` (provider libraries are hundreds of MiB). */
function fileContains(file: string, needle: Buffer): boolean {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 22);
    let carry = Buffer.alloc(0);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return false;
      const window = Buffer.concat([carry, chunk.subarray(0, n)]);
      if (window.includes(needle)) return true;
      carry = window.subarray(Math.max(0, window.length - needle.length + 1));
    }
  } finally {
    closeSync(fd);
  }
}
