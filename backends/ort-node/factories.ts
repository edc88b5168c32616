import type {
  Availability,
  BackendFactory,
  BackendOptions,
  LogitsSource,
} from '../../harness/core/backend/contract.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { EP_SPECS, type OrtNodeEp } from './execution-provider.ts';

const INSTALL_FIX = 'run npm ci (ONNXRUNTIME_NODE_INSTALL=skip keeps the bundled CPU and WebGPU binaries)';

type Ort = typeof import('onnxruntime-node');

/** Whether the binding loads and lists `ep` as one of its backends. Never throws. */
async function bindingLists(ep: OrtNodeEp): Promise<{ ort: Ort } | Availability> {
  try {
    const ort = await import('onnxruntime-node');
    const names = ort.listSupportedBackends().map((b) => b.name);
    if (!names.includes(ep)) {
      return {
        available: false,
        reason: `onnxruntime-node ${ort.env.versions.node} lists backends [${names.join(', ')}] but not ${ep}`,
        fix: INSTALL_FIX,
      };
    }
    return { ort };
  } catch (err) {
    return {
      available: false,
      reason: `onnxruntime-node failed to load: ${(err as Error).message}`,
      fix: INSTALL_FIX,
    };
  }
}

/** A factory for `ort-node:<ep>`; `extraCheck` adds what the binding alone cannot tell. */
function ortNodeFactory(
  ep: OrtNodeEp,
  summary: string,
  extraCheck: (ort: Ort) => Promise<Availability> = async () => ({ available: true }),
): BackendFactory {
  return {
    id: EP_SPECS[ep].backendId,
    summary,
    async availability(): Promise<Availability> {
      const listed = await bindingLists(ep);
      return 'ort' in listed ? extraCheck(listed.ort) : listed;
    },
    async create(model: ModelDir, options?: BackendOptions): Promise<LogitsSource> {
      const { OrtNodeSource } = await import('./ort-node-source.ts');
      return OrtNodeSource.open(model, options, ep);
    },
    async openProbe(model: ModelDir, graphPath: string, options: BackendOptions = {}) {
      const { openOrtNodeProbe } = await import('./ort-node-probe.ts');
      return openOrtNodeProbe(model, graphPath, options, ep);
    },
  };
}

/** `ort-node:cpu`: onnxruntime-node on CPUExecutionProvider only. Loaded lazily so probing never throws. */
export const ortNodeCpuFactory = ortNodeFactory(
  'cpu',
  'onnxruntime-node, CPUExecutionProvider only, float32',
);

/** `ort-node:cuda`: the CUDA provider, whose libraries onnxruntime-node does not bundle. */
export const ortNodeCudaFactory = ortNodeFactory(
  'cuda',
  'onnxruntime-node, CUDAExecutionProvider only, float32',
  async (ort) => {
    const { cudaAvailability } = await import('./cuda-libraries.ts');
    return cudaAvailability(ort.env.versions.node ?? 'unknown');
  },
);

/** `ort-node:webgpu`: the bundled native WebGPU (Dawn) provider on a Vulkan driver. */
export const ortNodeWebGpuFactory = ortNodeFactory(
  'webgpu',
  'onnxruntime-node, native WebGPU (Dawn on Vulkan) only, KV cache on the GPU, float32',
  async () => {
    const { webGpuAvailability } = await import('./webgpu-availability.ts');
    return webGpuAvailability();
  },
);
