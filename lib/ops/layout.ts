/**
 * Layout ops: views that cost no copy (reshape of dense tensors, permute, transpose, expand,
 * slice) and the copies that need one (concat, contiguous), each with its gradient.
 *
 * @module
 */
import { copyInto, denseCopy, fill } from "../../kernels/map.ts";
import { record } from "./autograd.ts";
import { contiguousStrides, empty, sizeOf, type Tensor } from "../tensor/tensor.ts";
import { sumTo } from "./reduce.ts";

function axisOf(x: Tensor, axis: number, op: string): number {
  const a = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= x.rank) {
    throw new Error(`${op}: axis ${axis} is out of range for shape [${x.shape}]`);
  }
  return a;
}

/** Resolves one `-1` in a target shape and checks the element count. */
function resolveShape(x: Tensor, shape: readonly number[]): number[] {
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new Error(`reshape: at most one -1 allowed, got [${shape}]`);
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  if (resolved.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(resolved) !== x.size) {
    throw new Error(`reshape: cannot view [${x.shape}] (${x.size} elements) as [${shape}]`);
  }
  return resolved;
}

/**
 * The same elements in another shape (one dimension may be -1). A view when `x` is dense.
 *
 * @example
 * ```ts
 * const flat = reshape(x, [-1]);
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = resolveShape(x, shape);
  const dense = x.isContiguous ? x : denseCopy(x);
  const y = dense.view(target, contiguousStrides(target), dense.offset);
  if (dense !== x) dense.dispose();
  return record("reshape", y, [x], [], (g) => [reshape(g, x.shape)]);
}

/**
 * Reorders dimensions: output dimension i is input dimension `dims[i]` (a view).
 *
 * @example
 * ```ts
 * const heads = permute(x, [0, 2, 1, 3]); // [B, T, H, D] -> [B, H, T, D]
 * ```
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const resolved = dims.map((d) => axisOf(x, d, "permute"));
  if (resolved.length !== x.rank || new Set(resolved).size !== x.rank) {
    throw new Error(`permute: [${dims}] is not a permutation of ${x.rank} dimensions`);
  }
  const y = x.view(resolved.map((d) => x.shape[d]), resolved.map((d) => x.strides[d]));
  const inverse = new Array<number>(x.rank);
  resolved.forEach((d, i) => (inverse[d] = i));
  return record("permute", y, [x], [], (g) => [permute(g, inverse)]);
}

/**
 * Swaps two dimensions (a view).
 *
 * @example
 * ```ts
 * const wt = transpose(w, 0, 1);
 * ```
 */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const dims = x.shape.map((_, i) => i);
  const ia = axisOf(x, a, "transpose"), ib = axisOf(x, b, "transpose");
  [dims[ia], dims[ib]] = [dims[ib], dims[ia]];
  return permute(x, dims);
}

/**
 * Broadcasts `x` to `shape` without copying (stride 0 along expanded dimensions).
 *
 * @example
 * ```ts
 * const rows = expand(bias, [B, D]);
 * ```
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.rank;
  const bad = lead < 0 ||
    x.shape.some((d, i) => d !== shape[lead + i] && d !== 1);
  if (bad) throw new Error(`expand: cannot broadcast [${x.shape}] to [${shape}]`);
  const strides = shape.map((d, i) => {
    if (i < lead) return 0;
    return x.shape[i - lead] === 1 && d !== 1 ? 0 : x.strides[i - lead];
  });
  const y = x.view([...shape], strides);
  return record("expand", y, [x], [], (g) => [sumTo(g, x.shape)]);
}

/**
 * Elements `start` (inclusive) to `end` (exclusive) along `axis` (a view).
 *
 * @example
 * ```ts
 * const q = slice(qkv, -1, 0, d);
 * ```
 */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = axisOf(x, axis, "slice");
  if (
    !Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > x.shape[a] ||
    start > end
  ) {
    throw new Error(
      `slice: [${start}, ${end}) is outside 0..${x.shape[a]} along axis ${axis} of [${x.shape}]`,
    );
  }
  const shape = x.shape.map((d, i) => (i === a ? end - start : d));
  const y = x.view(shape, x.strides, x.offset + start * x.strides[a]);
  return record("slice", y, [x], [], (g) => {
    const dx = fill(x.shape, 0);
    const region = slice(dx, a, start, end);
    copyInto(region, g);
    region.dispose();
    return [dx];
  });
}

/**
 * Joins tensors along `axis` (all other dimensions equal) into a new dense tensor.
 *
 * @example
 * ```ts
 * const qkv = concat([q, k, v], -1);
 * ```
 */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error("concat: needs at least one tensor");
  const first = xs[0];
  const a = axisOf(first, axis, "concat");
  for (const t of xs) {
    const same = t.rank === first.rank && t.dtype === first.dtype &&
      t.shape.every((d, i) => i === a || d === first.shape[i]);
    if (!same) {
      throw new Error(
        `concat: [${t.shape}] (${t.dtype}) does not match [${first.shape}] (${first.dtype}) ` +
          `outside axis ${axis}`,
      );
    }
  }
  const total = xs.reduce((n, t) => n + t.shape[a], 0);
  const y = empty(first.shape.map((d, i) => (i === a ? total : d)), first.dtype, first.gpu);
  const starts: number[] = [];
  let at = 0;
  for (const t of xs) {
    starts.push(at);
    const region = y.view(t.shape, y.strides, at * y.strides[a]);
    copyInto(region, t);
    region.dispose();
    at += t.shape[a];
  }
  return record(
    "concat",
    y,
    xs,
    [],
    (g) => xs.map((t, i) => slice(g, a, starts[i], starts[i] + t.shape[a])),
  );
}

/**
 * A dense copy of `x` (differentiable).
 *
 * @example
 * ```ts
 * const d = contiguous(transpose(x));
 * ```
 */
export function contiguous(x: Tensor): Tensor {
  const y = denseCopy(x);
  return record("contiguous", y, [x], [], (g) => [g]);
}
