/**
 * Reductions over one axis — sum, mean, max — and `sumTo`, which folds a broadcast gradient
 * back to an input's shape.
 *
 * The input is viewed as [outer, n, inner] around the reduced axis. Short axes use one thread
 * per output; long ones a workgroup per output with a tree reduction in workgroup memory.
 * Backward of sum and mean broadcasts the gradient back along the axis (scaled by 1/n for
 * mean); backward of max routes it to the first maximal element, recorded in forward.
 *
 * @module
 */
import { FLAT_GROUP, grid1d } from "../lib/gpu/grid.ts";
import { Params } from "../lib/gpu/runtime.ts";
import { record } from "../lib/tensor/autograd.ts";
import { contiguousStrides, empty, type Tensor } from "../lib/tensor/tensor.ts";
import { asContiguous } from "./map.ts";

/** Which reduction. */
export type ReduceOp = "sum" | "mean" | "max";

const WG = 64;

function reduceSource(op: ReduceOp, perGroup: boolean) {
  const init = op === "max" ? "-3.4028235e38" : "0.0";
  const combine = op === "max" ? "max(acc, v)" : "acc + v";
  const finish = op === "mean" ? "acc / f32(p.n)" : "acc";
  const argmax = op === "max";
  const bindings = argmax ? ["read", "write", "write"] as const : ["read", "write"] as const;
  const header = /* wgsl */ `
struct P { outer: u32, n: u32, inner: u32, offset: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
${argmax ? "@group(0) @binding(2) var<storage, read_write> idx: array<i32>;" : ""}
@group(0) @binding(${bindings.length}) var<uniform> p: P;`;
  const threadPerOutput = /* wgsl */ `${header}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = ${FLAT_GROUP} * ${WG}u + lid;
  if (o >= p.outer * p.inner) { return; }
  let base = p.offset + (o / p.inner) * p.n * p.inner + o % p.inner;
  var acc = ${init};
  var best = 0u;
  for (var k = 0u; k < p.n; k++) {
    let v = x[base + k * p.inner];
    ${argmax ? "if (v > acc) { best = k; }" : ""}
    acc = ${combine};
  }
  y[o] = ${finish};
  ${argmax ? "idx[o] = i32(best);" : ""}
}`;
  const groupPerOutput = /* wgsl */ `${header}
var<workgroup> partial: array<f32, ${WG}>;
var<workgroup> partialIdx: array<u32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = ${FLAT_GROUP};
  let base = p.offset + (o / p.inner) * p.n * p.inner + o % p.inner;
  var acc = ${init};
  var best = 0u;
  for (var k = lid; k < p.n; k += ${WG}u) {
    let v = x[base + k * p.inner];
    ${argmax ? "if (v > acc) { best = k; }" : ""}
    acc = ${combine};
  }
  partial[lid] = acc;
  partialIdx[lid] = best;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let v = partial[lid + s];
      ${
    argmax
      ? `let a = partial[lid];
      let bi = partialIdx[lid + s];
      if (v > a || (v == a && bi < partialIdx[lid])) { partial[lid] = v; partialIdx[lid] = bi; }`
      : "partial[lid] = partial[lid] + v;"
  }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let acc = partial[0];
    y[o] = ${finish};
    ${argmax ? "idx[o] = i32(partialIdx[0]);" : ""}
  }
}`;
  return {
    name: `reduce_${op}`,
    key: `reduce:${op}:${perGroup ? "group" : "thread"}`,
    bindings,
    uniformBytes: 16,
    code: () => perGroup ? groupPerOutput : threadPerOutput,
  };
}

function expandSource(routed: boolean) {
  return {
    name: routed ? "reduce_max_backward" : "reduce_sum_backward",
    key: `reduce:expand:${routed}`,
    bindings: routed ? ["read", "read", "write"] as const : ["read", "write"] as const,
    uniformBytes: 16,
    code: () => /* wgsl */ `
struct P { outer: u32, n: u32, inner: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> g: array<f32>;
${
      routed
        ? `@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: P;`
        : `@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<uniform> p: P;`
    }
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = ${FLAT_GROUP} * 256u + lid;
  if (i >= p.outer * p.n * p.inner) { return; }
  let inner = i % p.inner;
  let k = (i / p.inner) % p.n;
  let o = (i / (p.inner * p.n)) * p.inner + inner;
  ${routed ? "dx[i] = select(0.0, g[o], idx[o] == i32(k));" : "dx[i] = g[o] * p.scale;"}
}`,
  };
}

function normalizeAxis(t: Tensor, axis: number, op: string): number {
  const a = axis < 0 ? axis + t.rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= t.rank) {
    throw new Error(`${op}: axis ${axis} is out of range for a tensor of shape [${t.shape}]`);
  }
  return a;
}

function splitAround(shape: readonly number[], axis: number) {
  let outer = 1, inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { outer, n: shape[axis], inner };
}

function reduce(op: ReduceOp, x: Tensor, axis: number | "all", keepDim: boolean): Tensor {
  if (x.dtype !== "f32") throw new Error(`${op}: needs an f32 tensor, got ${x.dtype}`);
  let outer = 1, n = x.size, inner = 1;
  let outShape: number[] = keepDim ? x.shape.map(() => 1) : [];
  if (axis !== "all") {
    const a = normalizeAxis(x, axis, op);
    ({ outer, n, inner } = splitAround(x.shape, a));
    outShape = keepDim
      ? x.shape.map((d, i) => (i === a ? 1 : d))
      : x.shape.filter((_, i) => i !== a);
  }
  if (n === 0) throw new Error(`${op}: cannot reduce an empty axis of shape [${x.shape}]`);
  const dense = asContiguous(x);
  const gpu = dense.gpu;
  const y = empty(outShape, "f32", gpu);
  const idx = op === "max" ? empty(outShape, "i32", gpu) : undefined;
  const outputs = outer * inner;
  const perGroup = n >= 256 && outputs < 4096;
  const kernel = gpu.kernel(reduceSource(op, perGroup));
  const buffers = idx ? [dense.buffer, y.buffer, idx.buffer] : [dense.buffer, y.buffer];
  const params = new Params().u32(outer, n, inner, dense.offset);
  gpu.dispatch(kernel, buffers, params, perGroup ? grid1d(outputs, 1) : grid1d(outputs, WG));
  if (dense !== x) dense.dispose();
  const saved = idx ? [idx] : [];
  record(op, y, [x], saved, (g, [argmax]) => {
    const gd = asContiguous(g);
    const dx = empty(x.shape, "f32", gpu);
    const scale = op === "mean" ? 1 / n : 1;
    const k = gpu.kernel(expandSource(op === "max"));
    const bufs = argmax ? [gd.buffer, argmax.buffer, dx.buffer] : [gd.buffer, dx.buffer];
    gpu.dispatch(k, bufs, new Params().u32(outer, n, inner).f32(scale), grid1d(x.size, 256));
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

/**
 * Float64 reference of a reduction over `axis` of a row-major array.
 *
 * @example
 * ```ts
 * reduceReference("sum", [1, 2, 3, 4], [2, 2], 1); // [3, 7]
 * ```
 */
export function reduceReference(
  op: ReduceOp,
  x: ArrayLike<number>,
  shape: readonly number[],
  axis: number,
): Float64Array {
  const a = axis < 0 ? axis + shape.length : axis;
  const { outer, n, inner } = splitAround(shape, a);
  const y = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = op === "max" ? -Infinity : 0;
      for (let k = 0; k < n; k++) {
        const v = x[(o * n + k) * inner + i];
        acc = op === "max" ? Math.max(acc, v) : acc + v;
      }
      y[o * inner + i] = op === "mean" ? acc / n : acc;
    }
  }
  return y;
}
