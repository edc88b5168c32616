/**
 * The messages between Node and the page (page/ort-page.js): one declaration both sides are checked
 * against. The page's JSDoc types its methods with `OrtPage` (checked by page/tsconfig.json); Node
 * calls them through `PageRpc.request`, whose argument and answer types come from the same interface,
 * so a field renamed or retyped on one side fails `npm run check` on the other.
 *
 * Everything here is plain data: it crosses page.evaluate as structured JSON, so no typed arrays,
 * BigInts or class instances.
 */

import type { InferenceSession } from 'onnxruntime-web';

export type PageProvider = 'webgpu' | 'wasm';

/** The decoder's KV-cache geometry and vocabulary, from config.json. */
export interface CacheShape {
  readonly layers: number;
  readonly heads: number;
  readonly headDim: number;
  readonly vocab: number;
}

/** Where the page finds the model, relative to the page (onnxruntime-web's `externalData` form). */
export interface ModelUrls {
  readonly graph: string;
  /** `path` is the location the graph names; `data` the URL onnxruntime-web fetches it from. */
  readonly externalData: readonly { readonly path: string; readonly data: string }[];
}

export interface OpenRequest {
  /** The bundle's file name under the page's `ort/` directory, e.g. ort.webgpu.min.mjs. */
  readonly bundle: string;
  readonly executionProvider: PageProvider;
  readonly threads: number;
  /** The graph and its external data, relative to the page. */
  readonly model: ModelUrls;
  readonly cacheShape: CacheShape;
}

/** onnxruntime-web's ValueMetadata, copied field by field into plain data. */
export type ValueMetadataAnswer = InferenceSession.ValueMetadata;

/** The WebGPU adapter onnxruntime-web's device runs on. */
export interface AdapterAnswer {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly isFallbackAdapter: boolean;
  readonly features: readonly string[];
}

export interface OpenAnswer {
  readonly createMs: number;
  readonly ortVersion: string;
  readonly threads: number;
  readonly crossOriginIsolated: boolean;
  /** Absent on wasm. */
  readonly adapter: AdapterAnswer | undefined;
  readonly inputMetadata: readonly ValueMetadataAnswer[];
  readonly outputMetadata: readonly ValueMetadataAnswer[];
}

/** One non-cache graph input, row-major; int64 values as numbers (a few hundred small ints). */
export type PageInput =
  | {
      readonly name: string;
      readonly type: 'int64';
      readonly dims: readonly number[];
      readonly values: readonly number[];
    }
  | {
      readonly name: string;
      readonly type: 'bool';
      readonly dims: readonly number[];
      readonly values: readonly boolean[];
    };

/** One forward pass: exactly the non-cache inputs the graph declares (decoder-inputs.ts). */
export interface RunRequest {
  readonly batch: number;
  readonly inputs: readonly PageInput[];
  /** Start from an empty cache (prefill). */
  readonly freshCache: boolean;
  /** Send logits for every position, not only the last. */
  readonly allPositions: boolean;
}

/** A float tensor crossing page.evaluate: little-endian bytes (float16 as its bits) in base64. */
export interface PageFloatTensor {
  readonly name: string;
  readonly type: 'float32' | 'float16';
  readonly dims: readonly number[];
  readonly base64: string;
}

/** One pass of an exposed graph (bisect): every input given, the page's decode cache untouched. */
export interface ProbeRequest {
  readonly inputs: readonly PageInput[];
  readonly floats: readonly PageFloatTensor[];
}

/** Every output of a probe pass, read back to the CPU: its onnxruntime type and raw little-endian bytes. */
export interface ProbeAnswer extends GpuErrorsAnswer {
  readonly outputs: readonly {
    readonly name: string;
    readonly type: string;
    readonly dims: readonly number[];
    readonly base64: string;
  }[];
}

/** WebGPU errors and device loss the page saw since the previous call; PageRpc fails a call on any. */
export interface GpuErrorsAnswer {
  readonly gpuErrors: readonly string[];
}

export interface RunAnswer extends GpuErrorsAnswer {
  readonly modelMs: number;
  /** The positions the graph returned (seq, or 1 under num_logits_to_keep), or 1 when only the last was sent. */
  readonly positions: number;
  /** Little-endian float32 bytes of [batch, positions, vocab]. */
  readonly logitsBase64: string;
}

export interface GatherAnswer extends GpuErrorsAnswer {
  readonly modelMs: number;
}

/** The availability probe: the adapter a WebGPU session would get, or why there is none. */
export type AdapterProbe =
  | {
      readonly adapter: {
        readonly vendor: string;
        readonly architecture: string;
        readonly isFallbackAdapter: boolean;
      };
    }
  | { readonly adapter: null; readonly why: string };

/** `globalThis.ortPage`: what Node can call in the page. */
export interface OrtPage {
  open(request: OpenRequest): Promise<OpenAnswer>;
  run(request: RunRequest): Promise<RunAnswer>;
  /** New row r continues old row `sourceRows[r]`. */
  gather(sourceRows: readonly number[]): Promise<GatherAnswer>;
  probe(request: ProbeRequest): Promise<ProbeAnswer>;
  close(): Promise<GpuErrorsAnswer>;
  probeAdapter(): Promise<AdapterProbe>;
}

export type PageMethod = keyof OrtPage;
/** The argument of a page method; `undefined` for those that take none. */
export type PageRequest<M extends PageMethod> = Parameters<OrtPage[M]> extends [infer A] ? A : undefined;
export type PageAnswer<M extends PageMethod> = Awaited<ReturnType<OrtPage[M]>>;
