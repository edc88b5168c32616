// Globals of the page that TypeScript's DOM lib lacks. Checked with ort-page.js by ./tsconfig.json
// only; the Node program (../../../../tsconfig.json) leaves this folder out, so Node code never sees them.

/** WebGPU's buffer usage flags: the GPU* interfaces are in the DOM lib, this constant is not. */
declare var GPUBufferUsage: {
  readonly MAP_READ: number;
  readonly MAP_WRITE: number;
  readonly COPY_SRC: number;
  readonly COPY_DST: number;
  readonly INDEX: number;
  readonly VERTEX: number;
  readonly UNIFORM: number;
  readonly STORAGE: number;
  readonly INDIRECT: number;
  readonly QUERY_RESOLVE: number;
};
