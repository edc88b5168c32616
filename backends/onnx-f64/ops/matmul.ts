import { broadcastDims } from '../broadcast.ts';
import { ElemTypes, type F64Tensor, sizeOf, tensor } from '../f64-tensor.ts';
import { input, type Kernel } from '../op-kernel.ts';

/**
 * numpy matmul (MatMul's spec): 1-D operands are promoted and the added dim removed; the batch dims
 * broadcast. Sums in float64, in i-k-j order so B's rows stream.
 */
export function matmul(a: F64Tensor, b: F64Tensor, what: string, elemType = a.elemType): F64Tensor {
  const aDims = a.dims.length === 1 ? [1, a.dims[0]!] : a.dims;
  const bDims = b.dims.length === 1 ? [b.dims[0]!, 1] : b.dims;
  const [m, k] = [aDims.at(-2)!, aDims.at(-1)!];
  const [k2, n] = [bDims.at(-2)!, bDims.at(-1)!];
  if (k !== k2) throw new Error(`${what}: inner dims ${k} and ${k2} differ`);
  const batch = broadcastDims([aDims.slice(0, -2), bDims.slice(0, -2)], what);
  const batches = sizeOf(batch);
  const out = new Float64Array(batches * m * n);
  const aBatch = sizeOf(aDims.slice(0, -2));
  const bBatch = sizeOf(bDims.slice(0, -2));
  const aIndex = batchIndex(aDims.slice(0, -2), batch);
  const bIndex = batchIndex(bDims.slice(0, -2), batch);
  for (let t = 0; t < batches; t++) {
    const aOff = (aBatch === 1 ? 0 : aIndex[t]!) * m * k;
    const bOff = (bBatch === 1 ? 0 : bIndex[t]!) * k * n;
    const oOff = t * m * n;
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const av = a.data[aOff + i * k + p]!;
        const bRow = bOff + p * n;
        const oRow = oOff + i * n;
        for (let j = 0; j < n; j++) out[oRow + j]! += av * b.data[bRow + j]!;
      }
    }
  }
  const dims = [...batch, ...(a.dims.length === 1 ? [] : [m]), ...(b.dims.length === 1 ? [] : [n])];
  return tensor(elemType, dims, out);
}

/** For each broadcast batch index, the flat batch index of an operand of batch dims `dims`. */
function batchIndex(dims: readonly number[], batch: readonly number[]): number[] {
  const offset = batch.length - dims.length;
  const total = sizeOf(batch);
  const index: number[] = [];
  const counter = new Array<number>(batch.length).fill(0);
  for (let t = 0; t < total; t++) {
    let flat = 0;
    for (let d = 0; d < dims.length; d++) flat = flat * dims[d]! + (dims[d] === 1 ? 0 : counter[d + offset]!);
    index.push(flat);
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++counter[d]! < batch[d]!) break;
      counter[d] = 0;
    }
  }
  return index;
}

/** Per-tensor (scalar) or per-row zero point, as MatMulInteger allows. */
function minusZeroPoint(x: F64Tensor, zp: F64Tensor | undefined, perRowAxis: 'row' | 'column'): F64Tensor {
  if (zp === undefined) return x;
  if (zp.data.length === 1)
    return tensor(
      x.elemType,
      x.dims,
      x.data.map((v) => v - zp.data[0]!),
    );
  const n = x.dims.at(-1)!;
  const m = x.dims.at(-2)!;
  return tensor(
    x.elemType,
    x.dims,
    x.data.map((v, i) => v - zp.data[perRowAxis === 'column' ? i % n : Math.floor(i / n) % m]!),
  );
}

export const MATMUL_OPS: Readonly<Record<string, Kernel>> = {
  MatMul: (inputs, node) => [matmul(input(inputs, 0, node), input(inputs, 1, node), `MatMul ${node.name}`)],
  /** (A − a_zero_point)(B − b_zero_point) exactly, as int32. */
  MatMulInteger: (inputs, node) => {
    const a = minusZeroPoint(input(inputs, 0, node), inputs[2], 'row');
    const b = minusZeroPoint(input(inputs, 1, node), inputs[3], 'column');
    return [matmul(a, b, `MatMulInteger ${node.name}`, ElemTypes.INT32)];
  },
};
