import { cpus } from 'node:os';
import type { BackendInfo, ComputeDtype } from '../../harness/core/backend/contract.ts';

/** What a TS-kernel backend runs on: this process's CPU, plain JavaScript, on `threads` threads. */
export function tsKernelsInfo(id: string, dtype: ComputeDtype, threads = 1): BackendInfo {
  return {
    id,
    device: `cpu (${cpus()[0]?.model ?? 'unknown model'})`,
    deviceKind: 'cpu',
    executionProvider: 'ts-kernels',
    dtype,
    threads,
    versions: { node: process.versions.node },
  };
}
