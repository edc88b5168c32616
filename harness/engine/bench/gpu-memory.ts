import { execFileSync } from 'node:child_process';
import type { BackendInfo } from '../../core/backend/contract.ts';
import { processTreePids } from '../../core/machine-load.ts';

/**
 * GPU memory of a backend, where something can report it. No ONNX Runtime or WebGPU API here says
 * how much device memory a session holds; NVIDIA's driver does, per process, through nvidia-smi.
 * So: for a backend on a GPU, the memory nvidia-smi lists for this process and its children
 * (a browser's GPU process), sampled after every repetition, the highest kept.
 */
export type GpuMemory =
  | { readonly status: 'measured'; readonly bytes: number; readonly how: string }
  | { readonly status: 'not-applicable' | 'unknown'; readonly why: string };

export interface GpuMemorySampler {
  /** Take a sample now (after a repetition). */
  sample(): void;
  result(): GpuMemory;
}

const NVIDIA_SMI_HOW =
  "nvidia-smi's used GPU memory of this process and its children, highest of the samples after each repetition";

/** A sampler for `info`'s device; CPU and software-GPU backends answer without sampling. */
export function gpuMemorySampler(
  info: BackendInfo,
  query: () => string | null = queryComputeApps,
): GpuMemorySampler {
  if (info.deviceKind === 'cpu') {
    return constant({ status: 'not-applicable', why: 'a CPU backend: its memory is in peak RSS' });
  }
  if (info.deviceKind === 'software-gpu') {
    return constant({
      status: 'not-applicable',
      why: `${info.device} is a software GPU: its buffers are CPU memory, counted in peak RSS or browser PSS`,
    });
  }
  let highest: number | null = null;
  let why = 'no sample taken';
  return {
    sample() {
      const listing = query();
      if (listing === null) {
        why =
          'nvidia-smi is not installed or failed; on a non-NVIDIA GPU nothing reports per-process device memory to this harness';
        return;
      }
      const ours = processTreePids();
      const bytes = usedBytesOf(listing, ours);
      if (bytes === null) {
        why =
          'nvidia-smi lists no compute process of this run (a non-NVIDIA device, or a graphics-only context)';
        return;
      }
      highest = Math.max(highest ?? 0, bytes);
    },
    result: () =>
      highest === null
        ? { status: 'unknown', why }
        : { status: 'measured', bytes: highest, how: NVIDIA_SMI_HOW },
  };
}

/**
 * Sum of the used memory of `pids` in `nvidia-smi --query-compute-apps=pid,used_memory
 * --format=csv,noheader,nounits` output (lines `1234, 512`, MiB); null when none of them is listed.
 */
export function usedBytesOf(listing: string, pids: ReadonlySet<number>): number | null {
  let total: number | null = null;
  for (const line of listing.split('\n')) {
    const match = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(line);
    if (match && pids.has(Number(match[1]))) total = (total ?? 0) + Number(match[2]) * 2 ** 20;
  }
  return total;
}

function queryComputeApps(): string | null {
  try {
    return execFileSync(
      'nvidia-smi',
      ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 10_000,
      },
    ).toString();
  } catch {
    return null;
  }
}

function constant(memory: GpuMemory): GpuMemorySampler {
  return { sample() {}, result: () => memory };
}
