import type {
  Availability,
  BackendFactory,
  BackendOptions,
  LogitsSource,
} from '../../harness/backend/contract.ts';
import type { ModelDir } from '../../harness/model/model-dir.ts';

const INSTALL_FIX = 'run npm ci (ONNXRUNTIME_NODE_INSTALL=skip keeps the bundled CPU binaries)';

/** `ort-node:cpu`: onnxruntime-node on CPUExecutionProvider only. Loaded lazily so probing never throws. */
export const ortNodeCpuFactory: BackendFactory = {
  id: 'ort-node:cpu',
  summary: 'onnxruntime-node, CPUExecutionProvider only, float32',
  async availability(): Promise<Availability> {
    try {
      const ort = await import('onnxruntime-node');
      const names = ort.listSupportedBackends().map((b) => b.name);
      if (!names.includes('cpu')) {
        return {
          available: false,
          reason: `onnxruntime-node ${ort.env.versions.node} lists backends [${names.join(', ')}] but not cpu`,
          fix: INSTALL_FIX,
        };
      }
      return { available: true };
    } catch (err) {
      return {
        available: false,
        reason: `onnxruntime-node failed to load: ${(err as Error).message}`,
        fix: INSTALL_FIX,
      };
    }
  },
  async create(model: ModelDir, options?: BackendOptions): Promise<LogitsSource> {
    const { OrtNodeCpuSource } = await import('./ort-node-cpu.ts');
    return OrtNodeCpuSource.open(model, options);
  },
};
