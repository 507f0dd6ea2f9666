/**
 * Reductions over one axis — sum, mean, max — and `sumTo`, which folds a broadcast gradient
 * back to an input's shape, with their gradients: sum and mean broadcast the gradient back
 * along the axis (scaled by 1/n for mean); max routes it to the first maximal element,
 * recorded in forward. The kernels are in `kernels/reduce.ts`.
 *
 * @module
 */
import { asContiguous } from "../../kernels/map.ts";
import { expandAxis, reduceAxis, type ReduceOp, splitAround } from "../../kernels/reduce.ts";
import { contiguousStrides, type Tensor } from "../tensor/tensor.ts";
import { record } from "./autograd.ts";

function normalizeAxis(t: Tensor, axis: number, op: string): number {
  const a = axis < 0 ? axis + t.rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= t.rank) {
    throw new Error(`${op}: axis ${axis} is out of range for a tensor of shape [${t.shape}]`);
  }
  return a;
}

function reduce(op: ReduceOp, x: Tensor, axis: number | "all", keepDim: boolean): Tensor {
  if (x.dtype !== "f32") throw new Error(`${op}: needs an f32 tensor, got ${x.dtype}`);
  let split = { outer: 1, n: x.size, inner: 1 };
  let outShape: number[] = keepDim ? x.shape.map(() => 1) : [];
  if (axis !== "all") {
    const a = normalizeAxis(x, axis, op);
    split = splitAround(x.shape, a);
    outShape = keepDim
      ? x.shape.map((d, i) => (i === a ? 1 : d))
      : x.shape.filter((_, i) => i !== a);
  }
  if (split.n === 0) throw new Error(`${op}: cannot reduce an empty axis of shape [${x.shape}]`);
  const dense = asContiguous(x);
  const { y, idx } = reduceAxis(op, dense, split, outShape);
  if (dense !== x) dense.dispose();
  record(op, y, [x], idx ? [idx] : [], (g, [argmax]) => {
    const gd = asContiguous(g);
    const dx = expandAxis(gd, split, x.shape, op === "mean" ? 1 / split.n : 1, argmax);
    if (gd !== g) gd.dispose();
    return [dx];
  });
  idx?.dispose();
  return y;
}

/**
 * Sum over `axis` (negative counts from the end).
 *
 * @example
 * ```ts
 * const rowSums = sum(x, -1); // [B, D] -> [B]
 * ```
 */
export function sum(x: Tensor, axis: number, keepDim = false): Tensor {
  return reduce("sum", x, axis, keepDim);
}

/**
 * Mean over `axis`.
 *
 * @example
 * ```ts
 * const avg = mean(x, 0, true); // [B, D] -> [1, D]
 * ```
 */
export function mean(x: Tensor, axis: number, keepDim = false): Tensor {
  return reduce("mean", x, axis, keepDim);
}

/**
 * Maximum over `axis`; its gradient goes to the first maximal element.
 *
 * @example
 * ```ts
 * const best = max(logits, -1);
 * ```
 */
export function max(x: Tensor, axis: number, keepDim = false): Tensor {
  return reduce("max", x, axis, keepDim);
}

/**
 * Sum of all elements (a rank-0 tensor).
 *
 * @example
 * ```ts
 * const total = sumAll(x);
 * ```
 */
export function sumAll(x: Tensor): Tensor {
  return reduce("sum", x, "all", false);
}

/**
 * Mean of all elements (a rank-0 tensor).
 *
 * @example
 * ```ts
 * const loss = meanAll(sq);
 * ```
 */
export function meanAll(x: Tensor): Tensor {
  return reduce("mean", x, "all", false);
}

/**
 * Sums `x` down to `shape` over the dimensions that broadcasting expanded (the gradient of a
 * broadcast). Returns `x` itself when the shapes already agree.
 *
 * @example
 * ```ts
 * const gBias = sumTo(gOut, [D]); // [B, T, D] -> [D]
 * ```
 */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  if (x.rank === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  const lead = x.rank - shape.length;
  if (lead < 0) throw new Error(`sumTo: cannot sum [${x.shape}] to the larger shape [${shape}]`);
  let current = x;
  for (let d = x.rank - 1; d >= 0; d--) {
    const target = d < lead ? 1 : shape[d - lead];
    if (current.shape[d] === target) continue;
    if (target !== 1) {
      throw new Error(`sumTo: shape [${x.shape}] does not broadcast from [${shape}]`);
    }
    const next = sum(current, d, true);
    if (current !== x) current.dispose();
    current = next;
  }
  const reshaped = current.view(shape, contiguousStrides(shape), current.offset);
  if (current !== x) current.dispose();
  return reshaped;
}
