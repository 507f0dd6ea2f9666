/**
 * Reduction kernels over one axis — sum, mean, max — and their backward: the input is viewed
 * as [outer, n, inner] around the reduced axis. Short axes use one thread per output; long ones
 * a workgroup per output with a tree reduction in workgroup memory. The backward kernel
 * broadcasts the gradient back along the axis (scaled by 1/n for mean), or routes it to the
 * element `max` recorded in forward. The ops with autograd are in `lib/ops/reduce.ts`.
 *
 * @module
 */
import { FLAT_GROUP, grid1d } from "../lib/gpu/grid.ts";
import type { KernelBuffers } from "../lib/gpu/runtime.ts";
import { declareKernel, type StorageDecl } from "../lib/gpu/program.ts";
import { empty, type Tensor } from "../lib/tensor/tensor.ts";

/** Which reduction. */
export type ReduceOp = "sum" | "mean" | "max";

const WG = 64;
const EXPAND_WG = 256;

/** The reduction: one output per thread, or per workgroup (`perGroup`) for long axes. */
const reduceKernel = declareKernel("reduce", (c: { op: ReduceOp; perGroup: boolean }) => {
  const { op, perGroup } = c;
  const init = op === "max" ? "-3.4028235e38" : "0.0";
  const combine = op === "max" ? "max(acc, v)" : "acc + v";
  const finish = op === "mean" ? "acc / f32(p.n)" : "acc";
  const argmax = op === "max";
  const storage: StorageDecl[] = [
    { name: "x", access: "read", type: "f32" },
    { name: "y", access: "read_write", type: "f32" },
  ];
  if (argmax) storage.push({ name: "idx", access: "read_write", type: "i32" });
  const threadPerOutput = /* wgsl */ `
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
  const groupPerOutput = /* wgsl */ `
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
    storage,
    uniforms: { outer: "u32", n: "u32", inner: "u32", offset: "u32" },
    body: perGroup ? groupPerOutput : threadPerOutput,
  };
});

/** The backward: the gradient broadcast back along the axis, or routed to the argmax. */
const expandKernel = declareKernel("reduce_backward", (c: { routed: boolean }) => {
  const storage: StorageDecl[] = [{ name: "g", access: "read", type: "f32" }];
  if (c.routed) storage.push({ name: "idx", access: "read", type: "i32" });
  storage.push({ name: "dx", access: "read_write", type: "f32" });
  return {
    storage,
    uniforms: { outer: "u32", n: "u32", inner: "u32", scale: "f32", offset: "u32" },
    body: /* wgsl */ `
@compute @workgroup_size(${EXPAND_WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = ${FLAT_GROUP} * ${EXPAND_WG}u + lid;
  if (i >= p.outer * p.n * p.inner) { return; }
  let inner = i % p.inner;
  let k = (i / p.inner) % p.n;
  let o = (i / (p.inner * p.n)) * p.inner + inner;
  ${
      c.routed
        ? "dx[i] = select(0.0, g[p.offset + o], idx[o] == i32(k));"
        : "dx[i] = g[p.offset + o] * p.scale;"
    }
}`,
  };
});

/** An axis of a tensor viewed as [outer, n, inner]. */
export interface AxisSplit {
  outer: number;
  n: number;
  inner: number;
}

/**
 * `shape` viewed as [outer, n, inner] around `axis`.
 *
 * @example
 * ```ts
 * splitAround([2, 3, 4], 1); // { outer: 2, n: 3, inner: 4 }
 * ```
 */
export function splitAround(shape: readonly number[], axis: number) {
  let outer = 1, inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { outer, n: shape[axis], inner };
}

/**
 * Reduces a dense tensor over the middle of its [outer, n, inner] view into `outShape`
 * (outer × inner elements); `max` also returns the index of the first maximal element.
 *
 * @example
 * ```ts
 * const { y } = reduceAxis("sum", x, splitAround(x.shape, 1), [2, 4]);
 * ```
 */
export function reduceAxis(
  op: ReduceOp,
  x: Tensor,
  split: AxisSplit,
  outShape: readonly number[],
): { y: Tensor; idx?: Tensor } {
  if (!x.isContiguous) throw new Error(`${op}: the reduced tensor must be dense`);
  const gpu = x.gpu;
  const y = empty(outShape, "f32", gpu);
  const idx = op === "max" ? empty(outShape, "i32", gpu) : undefined;
  const outputs = split.outer * split.inner;
  const perGroup = split.n >= 256 && outputs < 4096;
  const buffers: KernelBuffers = idx
    ? { x: x.buffer, y: y.buffer, idx: idx.buffer }
    : { x: x.buffer, y: y.buffer };
  gpu.run(
    reduceKernel,
    { op, perGroup },
    buffers,
    { ...split, offset: x.offset },
    perGroup ? grid1d(outputs, 1) : grid1d(outputs, WG),
  );
  return { y, idx };
}

/**
 * The gradient of a reduction: a dense `g` of outer × inner values broadcast back along the
 * axis into a new tensor of `shape` (times `scale`), or routed to the recorded argmax `idx`.
 *
 * @example
 * ```ts
 * const dx = expandAxis(g, splitAround(x.shape, 1), x.shape, 1 / 3);
 * ```
 */
export function expandAxis(
  g: Tensor,
  split: AxisSplit,
  shape: readonly number[],
  scale: number,
  idx?: Tensor,
): Tensor {
  if (!g.isContiguous) throw new Error("reduce backward: the gradient must be dense");
  const gpu = g.gpu;
  const dx = empty(shape, "f32", gpu);
  const buffers: KernelBuffers = idx
    ? { g: g.buffer, idx: idx.buffer, dx: dx.buffer }
    : { g: g.buffer, dx: dx.buffer };
  gpu.run(
    expandKernel,
    { routed: idx !== undefined },
    buffers,
    { ...split, scale, offset: g.offset },
    grid1d(dx.size, EXPAND_WG),
  );
  return dx;
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
