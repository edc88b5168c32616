import os from 'node:os';
import { env, InferenceSession } from 'onnxruntime-node';
import type { BackendInfo } from '../../harness/backend/contract.ts';
import { ModelDirError, UsageError } from '../../harness/errors.ts';

/** An ORT session pinned to the CPU execution provider, with what it will report as having run. */
export interface CpuSession {
  readonly session: InferenceSession;
  readonly info: BackendInfo;
}

/**
 * Open `onnxPath` on CPUExecutionProvider only: no provider list to fall back through, so the
 * numbers a report attributes to `ort-node:cpu` are CPU numbers.
 */
export async function openCpuSession(
  onnxPath: string,
  threads = os.availableParallelism(),
): Promise<CpuSession> {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new UsageError(
      `threads ${threads} is not a positive integer; pass e.g. --threads ${os.availableParallelism()}`,
    );
  }
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(onnxPath, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1, // one sequential graph: inter-op threads only add scheduling noise
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new ModelDirError(
      `onnxruntime could not load ${onnxPath}: ${(err as Error).message}; regenerate or re-export the model`,
    );
  }
  return {
    session,
    info: {
      id: 'ort-node:cpu',
      device: `cpu (${os.cpus()[0]?.model.trim() ?? 'unknown model'})`,
      executionProvider: 'CPUExecutionProvider',
      dtype: 'float32',
      threads,
      versions: {
        'onnxruntime-node': env.versions.node ?? 'unknown',
        'onnxruntime-common': env.versions.common,
      },
    },
  };
}
