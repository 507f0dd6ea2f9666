/**
 * Elementwise ops with broadcasting and their gradients, forward and backward side by side:
 * add, sub, mul, div, neg, scalar scale/shift/power, exp, log, sqrt, tanh, relu, gelu (exact
 * erf, as PyTorch `nn.GELU()`).
 *
 * Each op is one map kernel (see `map.ts`); each backward is one or two more, with broadcast
 * gradients folded back by `sumTo`. `elementwiseReference` holds the float64 math for tests.
 *
 * @module
 */
import { record, wantsGrad } from "../lib/tensor/autograd.ts";
import type { Tensor } from "../lib/tensor/tensor.ts";
import { mapBinary, mapUnary } from "./map.ts";
import { sumTo } from "./reduce.ts";

// ---------------------------------------------------------------------------------------------
// Binary ops with broadcasting.

/**
 * `a + b` with broadcasting.
 *
 * @example
 * ```ts
 * const y = add(xw, bias); // [B, D] + [D]
 * ```
 */
export function add(a: Tensor, b: Tensor): Tensor {
  const y = mapBinary("add", "a + b", a, b);
  return record("add", y, [a, b], [], (g) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
}

/**
 * `a - b` with broadcasting.
 *
 * @example
 * ```ts
 * const d = sub(prediction, target);
 * ```
 */
export function sub(a: Tensor, b: Tensor): Tensor {
  const y = mapBinary("sub", "a - b", a, b);
  return record("sub", y, [a, b], [], (g) => [sumTo(g, a.shape), negSum(g, b.shape)]);
}

function negSum(g: Tensor, shape: readonly number[]): Tensor {
  const n = mapUnary("neg", "-a", g);
  const s = sumTo(n, shape);
  if (s !== n) n.dispose();
  return s;
}

/** `expr(g, other)` folded to `shape`: the gradient of one side of a product or quotient. */
function scaledGrad(expr: string, g: Tensor, other: Tensor, shape: readonly number[]): Tensor {
  const full = mapBinary("grad", expr, g, other);
  const s = sumTo(full, shape);
  if (s !== full) full.dispose();
  return s;
}

/**
 * `a * b` with broadcasting.
 *
 * @example
 * ```ts
 * const y = mul(x, mask);
 * ```
 */
export function mul(a: Tensor, b: Tensor): Tensor {
  const y = mapBinary("mul", "a * b", a, b);
  return record("mul", y, [a, b], [a, b], (g, [sa, sb]) => [
    wantsGrad(a) ? scaledGrad("a * b", g, sb, a.shape) : null,
    wantsGrad(b) ? scaledGrad("a * b", g, sa, b.shape) : null,
  ]);
}

/**
 * `a / b` with broadcasting.
 *
 * @example
 * ```ts
 * const y = div(x, norm);
 * ```
 */
export function div(a: Tensor, b: Tensor): Tensor {
  const y = mapBinary("div", "a / b", a, b);
  return record("div", y, [a, b], [b, y], (g, [sb, sy]) => {
    let gb: Tensor | null = null;
    if (wantsGrad(b)) {
      const gy = mapBinary("grad", "-a * b", g, sy); // -g * a / b = -g * y / b
      gb = scaledGrad("a / b", gy, sb, b.shape);
      gy.dispose();
    }
    return [wantsGrad(a) ? scaledGrad("a / b", g, sb, a.shape) : null, gb];
  });
}

// ---------------------------------------------------------------------------------------------
// Unary ops. Backward multiplies g by the derivative, from the input (x) or the output (y).

interface UnarySpec {
  forward: string;
  /** Derivative as a WGSL expression of `b` = the saved tensor; `a` = incoming gradient. */
  backward: string;
  /** Which tensor backward reads: the input or the output. */
  saves: "input" | "output" | "none";
}

const UNARY = {
  neg: { forward: "-a", backward: "-a", saves: "none" },
  exp: { forward: "exp(a)", backward: "a * b", saves: "output" },
  log: { forward: "log(a)", backward: "a / b", saves: "input" },
  sqrt: { forward: "sqrt(a)", backward: "a * 0.5 / b", saves: "output" },
  tanh: { forward: "tanh_f32(a)", backward: "a * (1.0 - b * b)", saves: "output" },
  relu: { forward: "max(a, 0.0)", backward: "select(0.0, a, b > 0.0)", saves: "input" },
  gelu: { forward: "gelu_f32(a)", backward: "a * gelu_grad_f32(b)", saves: "input" },
} satisfies Record<string, UnarySpec>;

/** Names of the unary ops. */
export type UnaryOp = keyof typeof UNARY;

function unary(op: UnaryOp, x: Tensor): Tensor {
  const spec: UnarySpec = UNARY[op];
  const y = mapUnary(op, spec.forward, x);
  const saved = spec.saves === "input" ? [x] : spec.saves === "output" ? [y] : [];
  return record(op, y, [x], saved, (g, [s]) => [
    s
      ? mapBinary(`${op}_backward`, spec.backward, g, s)
      : mapUnary(`${op}_backward`, spec.backward, g),
  ]);
}

/** `-x`. @example `const y = neg(x);` */
export const neg = (x: Tensor): Tensor => unary("neg", x);
/** `e^x`. @example `const y = exp(x);` */
export const exp = (x: Tensor): Tensor => unary("exp", x);
/** Natural logarithm. @example `const y = log(x);` */
export const log = (x: Tensor): Tensor => unary("log", x);
/** Square root. @example `const y = sqrt(x);` */
export const sqrt = (x: Tensor): Tensor => unary("sqrt", x);
/** Hyperbolic tangent. @example `const h = tanh(z);` */
export const tanh = (x: Tensor): Tensor => unary("tanh", x);
/** `max(x, 0)`. @example `const h = relu(z);` */
export const relu = (x: Tensor): Tensor => unary("relu", x);
/** GELU with the exact erf, as PyTorch `nn.GELU()`. @example `const h = gelu(z);` */
export const gelu = (x: Tensor): Tensor => unary("gelu", x);

/**
 * `x * c` for a number `c`.
 *
 * @example
 * ```ts
 * const half = scale(x, 0.5);
 * ```
 */
export function scale(x: Tensor, c: number): Tensor {
  const y = mapUnary("scale", "a * c", x, c);
  return record("scale", y, [x], [], (g) => [mapUnary("scale", "a * c", g, c)]);
}

/**
 * `x + c` for a number `c`.
 *
 * @example
 * ```ts
 * const shifted = addScalar(x, 1);
 * ```
 */
export function addScalar(x: Tensor, c: number): Tensor {
  const y = mapUnary("add_scalar", "a + c", x, c);
  return record("add_scalar", y, [x], [], (g) => [g]);
}

/**
 * `x ** c` for a number `c` (x > 0 unless c is an integer).
 *
 * @example
 * ```ts
 * const sq = powScalar(x, 2);
 * ```
 */
export function powScalar(x: Tensor, c: number): Tensor {
  const y = mapUnary("pow", "pow_f32(a, c)", x, c);
  return record("pow", y, [x], [x], (g, [sx]) => [
    mapBinary("pow_backward", "a * c * pow_f32(b, c - 1.0)", g, sx, c),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Float64 references.

const REFERENCE: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  tanh: Math.tanh,
  relu: (x) => Math.max(x, 0),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
};

/**
 * Float64 reference of a unary op.
 *
 * @example
 * ```ts
 * unaryReference("gelu", [0, 1]); // [0, 0.8413...]
 * ```
 */
export function unaryReference(op: UnaryOp, x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, REFERENCE[op]);
}

/**
 * erf to about 1e-14 (Taylor series below 2.5, the continued fraction of erfc above), for
 * references.
 *
 * @example
 * ```ts
 * erf(1); // 0.8427007929497149
 * ```
 */
export function erf(x: number): number {
  // Series for small |x|, continued fraction (Lentz) for the tail: both to ~1e-15.
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x, total = x;
    for (let n = 1; n < 200; n++) {
      term *= -x * x / n;
      const add = term / (2 * n + 1);
      total += add;
      if (Math.abs(add) < 1e-17 * Math.abs(total)) break;
    }
    return total * 2 / Math.sqrt(Math.PI);
  }
  // erfc(ax) = exp(-ax^2)/sqrt(pi) * 1/(ax + 1/2/(ax + 1/(ax + 3/2/(ax + ...))))
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + (n / 2) / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/**
 * Float64 reference of a broadcasting binary op over row-major arrays.
 *
 * @example
 * ```ts
 * binaryReference((a, b) => a + b, [1, 2], [2], [10], [1]); // [11, 12]
 * ```
 */
export function binaryReference(
  f: (a: number, b: number) => number,
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
): { values: Float64Array; shape: number[] } {
  const rank = Math.max(aShape.length, bShape.length);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = aShape[aShape.length - rank + i] ?? 1;
    const db = bShape[bShape.length - rank + i] ?? 1;
    shape.push(Math.max(da, db));
  }
  const n = shape.reduce((p, d) => p * d, 1);
  const values = new Float64Array(n);
  const index = (s: readonly number[], coord: number[]) => {
    let k = 0;
    for (let i = 0; i < s.length; i++) {
      const c = coord[rank - s.length + i];
      k = k * s[i] + (s[i] === 1 ? 0 : c);
    }
    return k;
  };
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let r = i;
    for (let d = rank - 1; d >= 0; d--) {
      coord[d] = r % shape[d];
      r = Math.floor(r / shape[d]);
    }
    values[i] = f(a[index(aShape, coord)], b[index(bShape, coord)]);
  }
  return { values, shape };
}
