import { mapBroadcast } from '../broadcast.ts';
import { ElemTypes, type F64Tensor, isFloatType, tensor } from '../f64-tensor.ts';
import { input, type Kernel } from '../op-kernel.ts';

/** Integer arithmetic wraps nowhere here: the graphs' integers (shapes, ids) stay far below 2^53. */
const binary =
  (fn: (a: number, b: number, float: boolean) => number, resultType?: number): Kernel =>
  (inputs, node) => {
    const [a, b] = [input(inputs, 0, node), input(inputs, 1, node)];
    const float = isFloatType(a.elemType);
    const out = mapBroadcast([a, b], `${node.opType} ${node.name}`, ([x, y]) => fn(x!, y!, float));
    return [tensor(resultType ?? a.elemType, out.dims, out.data)];
  };

const unary =
  (fn: (x: number) => number): Kernel =>
  (inputs, node) => {
    const x = input(inputs, 0, node);
    return [tensor(x.elemType, x.dims, x.data.map(fn))];
  };

const compare = (fn: (a: number, b: number) => boolean): Kernel =>
  binary((a, b) => (fn(a, b) ? 1 : 0), ElemTypes.BOOL);

/** Elementwise ops (Operators.md): numpy broadcasting; integer Div truncates toward zero, as C does. */
export const ELEMENTWISE_OPS: Readonly<Record<string, Kernel>> = {
  Add: binary((a, b) => a + b),
  Sub: binary((a, b) => a - b),
  Mul: binary((a, b) => a * b),
  Div: binary((a, b, float) => (float ? a / b : truncate(a / b))),
  Pow: binary((a, b) => a ** b),
  Max: binary((a, b) => Math.max(a, b)),
  Min: binary((a, b) => Math.min(a, b)),
  Equal: compare((a, b) => a === b),
  Less: compare((a, b) => a < b),
  LessOrEqual: compare((a, b) => a <= b),
  Greater: compare((a, b) => a > b),
  GreaterOrEqual: compare((a, b) => a >= b),
  And: compare((a, b) => a !== 0 && b !== 0),
  Or: compare((a, b) => a !== 0 || b !== 0),
  Xor: compare((a, b) => (a !== 0) !== (b !== 0)),
  Not: (inputs, node) => {
    const x = input(inputs, 0, node);
    return [
      tensor(
        ElemTypes.BOOL,
        x.dims,
        x.data.map((v) => (v === 0 ? 1 : 0)),
      ),
    ];
  },
  Neg: unary((x) => -x),
  Abs: unary(Math.abs),
  Sqrt: unary(Math.sqrt),
  Exp: unary(Math.exp),
  Log: unary(Math.log),
  Tanh: unary(Math.tanh),
  Reciprocal: unary((x) => 1 / x),
  Sigmoid: unary((x) => 1 / (1 + Math.exp(-x))),
  Erf: unary(erf),
  /**
   * Gelu (opset 20): approximate "none" (the default) is 0.5 · x · (1 + erf(x / √2)); "tanh" is
   * 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))).
   */
  Gelu: (inputs, node) => {
    const approximate = node.string('approximate', 'none');
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new Error(
        `Gelu ${node.name}: approximate ${JSON.stringify(approximate)} is neither "none" nor "tanh"`,
      );
    }
    const x = input(inputs, 0, node);
    return [tensor(x.elemType, x.dims, x.data.map(approximate === 'tanh' ? geluTanh : geluErf))];
  },
  Where: (inputs, node) => {
    const [c, x, y] = [input(inputs, 0, node), input(inputs, 1, node), input(inputs, 2, node)];
    const out = mapBroadcast([c, x, y], `Where ${node.name}`, ([cv, xv, yv]) => (cv !== 0 ? xv! : yv!));
    return [tensor(x.elemType, out.dims, out.data)];
  },
  Cast: (inputs, node) => {
    const x = input(inputs, 0, node);
    const to = node.int('to');
    return [tensor(to, x.dims, castValues(x, to))];
  },
};

/**
 * Cast in a float64 interpreter: to a float type the value is kept (every float is computed in
 * float64; nothing is rounded to the target's precision), to an integer type it is truncated
 * toward zero, to bool it is x ≠ 0.
 */
function castValues(x: F64Tensor, to: number): Float64Array {
  if (isFloatType(to)) return x.data.slice();
  if (to === ElemTypes.BOOL) return x.data.map((v) => (v !== 0 ? 1 : 0));
  return x.data.map(truncate);
}

/** Toward zero, as C casts; an integer has no −0. */
function truncate(x: number): number {
  return Math.trunc(x) + 0;
}

/** GELU, exactly: x · Φ(x) = 0.5 · x · (1 + erf(x / √2)). */
export function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** GELU's tanh approximation: 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))). */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/**
 * erf to float64 accuracy: the Maclaurin series below |x| = 2.5, and 1 − erfc by Lentz's continued
 * fraction above (Abramowitz–Stegun 7.1.26 would be good to 1.5e-7 only).
 */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc by Lentz's continued fraction for large |x|.
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = ax + an * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = ax + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (f * Math.sqrt(Math.PI));
  return Math.sign(x) * (1 - erfc);
}
