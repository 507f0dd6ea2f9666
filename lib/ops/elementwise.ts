/**
 * Elementwise ops with broadcasting and their gradients, forward and backward side by side:
 * add, sub, mul, div, neg, scalar scale/shift/power, exp, log, sqrt, tanh, relu, gelu (exact
 * erf, as PyTorch `nn.GELU()`).
 *
 * Each op is one map kernel (`kernels/map.ts`); each backward is one or two more, with broadcast
 * gradients folded back by `sumTo`. The expressions and their float64 references are in
 * `kernels/elementwise.ts`.
 *
 * @module
 */
import { UNARY, type UnaryOp, type UnarySpec } from "../../kernels/elementwise.ts";
import { mapBinary, mapUnary } from "../../kernels/map.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { record, wantsGrad } from "./autograd.ts";
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
