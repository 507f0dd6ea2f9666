/**
 * Softmax and log-softmax over the last axis, forward and backward side by side, with float64
 * references.
 *
 * Forward is one kernel per call: the row maximum, then the sum of `exp(x - max)` (so no
 * overflow for any input), then the output, each a strided pass over the row by the row's lanes
 * (see `rows.ts`). Backward is one kernel too, from the saved output `y`:
 * softmax `dx = y * (g - Σ g·y)`, log-softmax `dx = g - exp(y) * Σ g`.
 *
 * @module
 */
import { type KernelSource, Params } from "../lib/gpu/runtime.ts";
import { record } from "../lib/tensor/autograd.ts";
import { empty, type Tensor } from "../lib/tensor/tensor.ts";
import { asContiguous } from "./map.ts";
import {
  alignedForVec4,
  planRows,
  rowGrid,
  rowHeader,
  rowKey,
  type RowPlan,
  rowPrelude,
  rowReduce,
} from "./rows.ts";

/** Which normalization: probabilities or their logarithms. */
export type SoftmaxKind = "softmax" | "logSoftmax";

function forwardSource(kind: SoftmaxKind, plan: RowPlan): KernelSource {
  const lanes = plan.lanes;
  const write = kind === "softmax"
    ? `let inv = 1.0 / s;
  for (var j = lane; j < units; j += ${lanes}u) { y[ys + j] = exp(x[xs + j] - m) * inv; }`
    : `let lse = m + log(s);
  for (var j = lane; j < units; j += ${lanes}u) { y[ys + j] = x[xs + j] - lse; }`;
  return {
    name: kind,
    key: `${kind}:${rowKey(plan)}`,
    bindings: ["read", "write"],
    uniformBytes: 16,
    code: () => /* wgsl */ `
${rowHeader(plan)}
struct P { rows: u32, units: u32, xOff: u32 }
@group(0) @binding(0) var<storage, read> x: array<U>;
@group(0) @binding(1) var<storage, read_write> y: array<U>;
@group(0) @binding(2) var<uniform> p: P;
${rowReduce(plan, "rowMax", "max")}
${rowReduce(plan, "rowSum", "sum")}
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  let xs = p.xOff + row * p.units;
  let ys = row * p.units;
  var m = -3.4028235e38;
  for (var j = lane; j < units; j += ${lanes}u) { m = max(m, hmax(x[xs + j])); }
  m = rowMax(m, lane, slot);
  var s = 0.0;
  for (var j = lane; j < units; j += ${lanes}u) { s += hsum(exp(x[xs + j] - m)); }
  s = rowSum(s, lane, slot);
  ${write}
}`,
  };
}

function backwardSource(kind: SoftmaxKind, plan: RowPlan): KernelSource {
  const lanes = plan.lanes;
  const body = kind === "softmax"
    ? `var d = 0.0;
  for (var j = lane; j < units; j += ${lanes}u) { d += hsum(g[gs + j] * y[ys + j]); }
  d = rowSum(d, lane, slot);
  for (var j = lane; j < units; j += ${lanes}u) { dx[ds + j] = y[ys + j] * (g[gs + j] - d); }`
    : `var t = 0.0;
  for (var j = lane; j < units; j += ${lanes}u) { t += hsum(g[gs + j]); }
  t = rowSum(t, lane, slot);
  for (var j = lane; j < units; j += ${lanes}u) { dx[ds + j] = g[gs + j] - exp(y[ys + j]) * t; }`;
  return {
    name: `${kind}_backward`,
    key: `${kind}_backward:${rowKey(plan)}`,
    bindings: ["read", "read", "write"],
    uniformBytes: 16,
    code: () => /* wgsl */ `
${rowHeader(plan)}
struct P { rows: u32, units: u32, gOff: u32, yOff: u32 }
@group(0) @binding(0) var<storage, read> g: array<U>;
@group(0) @binding(1) var<storage, read> y: array<U>;
@group(0) @binding(2) var<storage, read_write> dx: array<U>;
@group(0) @binding(3) var<uniform> p: P;
${rowReduce(plan, "rowSum", "sum")}
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  let gs = p.gOff + row * p.units;
  let ys = p.yOff + row * p.units;
  let ds = row * p.units;
  ${body}
}`,
  };
}

function checkInput(kind: SoftmaxKind, x: Tensor): void {
  if (x.dtype !== "f32") throw new Error(`${kind}: needs an f32 tensor, got ${x.dtype} ${x}`);
  if (x.rank === 0) throw new Error(`${kind}: needs at least one dimension, got a scalar`);
}

function rowsOf(x: Tensor): { rows: number; n: number } {
  const n = x.shape[x.rank - 1];
  return { rows: n === 0 ? 0 : x.size / n, n };
}

function normalize(kind: SoftmaxKind, x: Tensor): Tensor {
  checkInput(kind, x);
  const { rows, n } = rowsOf(x);
  const gpu = x.gpu;
  const xd = asContiguous(x);
  const y = empty(x.shape, "f32", gpu);
  if (rows > 0) {
    const plan = planRows(gpu, rows, n, alignedForVec4(xd.offset));
    const params = new Params().u32(rows, plan.units, xd.offset / plan.width);
    gpu.dispatch(
      gpu.kernel(forwardSource(kind, plan)),
      [xd.buffer, y.buffer],
      params,
      rowGrid(plan),
    );
  }
  if (xd !== x) xd.dispose();
  return record(kind, y, [x], [y], (g, [saved]) => [normalizeBackward(kind, g, saved)]);
}

function normalizeBackward(kind: SoftmaxKind, g: Tensor, y: Tensor): Tensor {
  const { rows, n } = rowsOf(y);
  const gpu = y.gpu;
  const gd = asContiguous(g);
  const dx = empty(y.shape, "f32", gpu);
  if (rows > 0) {
    const plan = planRows(gpu, rows, n, alignedForVec4(gd.offset, y.offset));
    const params = new Params().u32(
      rows,
      plan.units,
      gd.offset / plan.width,
      y.offset / plan.width,
    );
    const kernel = gpu.kernel(backwardSource(kind, plan));
    gpu.dispatch(kernel, [gd.buffer, y.buffer, dx.buffer], params, rowGrid(plan));
  }
  if (gd !== g) gd.dispose();
  return dx;
}

/**
 * Softmax over the last axis: `exp(x - max) / Σ exp(x - max)` per row (rows of any length).
 *
 * @example
 * ```ts
 * const probs = softmax(logits); // [B, C], each row sums to 1
 * ```
 */
export function softmax(x: Tensor): Tensor {
  return normalize("softmax", x);
}

/**
 * Log-softmax over the last axis: `x - max - log Σ exp(x - max)` per row.
 *
 * @example
 * ```ts
 * const logProbs = logSoftmax(logits);
 * ```
 */
export function logSoftmax(x: Tensor): Tensor {
  return normalize("logSoftmax", x);
}

/**
 * Float64 reference of softmax or log-softmax over rows of `n` elements of a row-major array.
 *
 * @example
 * ```ts
 * softmaxReference("softmax", [0, Math.log(3)], 2); // [0.25, 0.75]
 * ```
 */
export function softmaxReference(
  kind: SoftmaxKind,
  x: ArrayLike<number>,
  n: number,
): Float64Array {
  const y = new Float64Array(x.length);
  for (let start = 0; start < x.length; start += n) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, x[start + j]);
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(x[start + j] - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < n; j++) {
      const logP = x[start + j] - lse;
      y[start + j] = kind === "softmax" ? Math.exp(logP) : logP;
    }
  }
  return y;
}
