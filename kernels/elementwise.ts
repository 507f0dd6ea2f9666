/**
 * The math of the elementwise ops: each unary op's WGSL forward expression and derivative (run
 * by the map kernels of `map.ts`), and the float64 references the tests hold them to.
 *
 * @module
 */

/** A unary op as map-kernel expressions. */
export interface UnarySpec {
  /** Forward as a WGSL expression of `a` = the input. */
  forward: string;
  /** Derivative as a WGSL expression of `b` = the saved tensor; `a` = incoming gradient. */
  backward: string;
  /** Which tensor backward reads: the input or the output. */
  saves: "input" | "output" | "none";
}

/** The unary ops: forward and derivative expressions, and which tensor backward reads. */
export const UNARY = {
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
