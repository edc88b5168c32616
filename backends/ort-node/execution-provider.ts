/** The onnxruntime-node execution providers the harness registers, one backend id each. */
export type OrtNodeEp = 'cpu' | 'cuda' | 'webgpu';

export interface EpSpec {
  readonly ep: OrtNodeEp;
  /** Registry id. */
  readonly backendId: string;
  /** The provider's name in onnxruntime's placement log and in BackendInfo. */
  readonly providerName: string;
  /**
   * Keep `present.*` outputs on the device and feed them back as `past_key_values.*` without a
   * host round trip (`preferredOutputLocation: 'gpu-buffer'`). Only where it has been run: the
   * WebGPU provider (SwiftShader here, a real GPU where one is lent). CUDA keeps the cache on the
   * host until its device path has been measured on a GPU.
   */
  readonly cacheOnDevice: boolean;
}

export const EP_SPECS: Readonly<Record<OrtNodeEp, EpSpec>> = {
  cpu: {
    ep: 'cpu',
    backendId: 'ort-node:cpu',
    providerName: 'CPUExecutionProvider',
    cacheOnDevice: false,
  },
  cuda: {
    ep: 'cuda',
    backendId: 'ort-node:cuda',
    providerName: 'CUDAExecutionProvider',
    cacheOnDevice: false,
  },
  webgpu: {
    ep: 'webgpu',
    backendId: 'ort-node:webgpu',
    providerName: 'WebGpuExecutionProvider',
    cacheOnDevice: true,
  },
};
