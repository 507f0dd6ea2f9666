/**
 * Softmax and log-softmax kernels over the last axis, forward and backward side by side, with
 * float64 references (the ops with autograd are in `lib/ops/softmax.ts`).
 *
 * Forward is one kernel per call: the row maximum, then the sum of `exp(x - max)` (so no
 * overflow for any input), then the output, each a strided pass over the row by the row's lanes
 * (see `rows.ts`). Backward is one kernel too, from the saved output `y`:
 * softmax `dx = y * (g - Σ g·y)`, log-softmax `dx = g - exp(y) * Σ g`.
 *
 * @module
 */
import { empty, type Tensor } from "../lib/tensor/tensor.ts";
import { asContiguous } from "./map.ts";
import {
  alignedForVec4,
  declareRowKernel,
  planRows,
  rowMaxAndExpSum,
  rowPrelude,
  rowReduce,
  runRowKernel,
} from "./rows.ts";

/** Which normalization: probabilities or their logarithms. */
export type SoftmaxKind = "softmax" | "logSoftmax";

const softmaxKernel = declareRowKernel<{ kind: SoftmaxKind }>("softmax", (plan, c) => {
  const lanes = plan.lanes;
  const write = c.kind === "softmax"
    ? `let inv = 1.0 / s;
  for (var j = lane; j < units; j += ${lanes}u) { y[ys + j] = exp(x[xs + j] - m) * inv; }`
    : `let lse = m + log(s);
  for (var j = lane; j < units; j += ${lanes}u) { y[ys + j] = x[xs + j] - lse; }`;
  return {
    storage: [
      { name: "x", access: "read", type: plan.elem },
      { name: "y", access: "read_write", type: plan.elem },
    ],
    uniforms: { rows: "u32", units: "u32", xOff: "u32" },
    body: /* wgsl */ `
${rowReduce(plan, "rowMax", "max")}
${rowReduce(plan, "rowSum", "sum")}
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  let xs = p.xOff + row * p.units;
  let ys = row * p.units;
  ${rowMaxAndExpSum(plan)}
  ${write}
}`,
  };
});

const softmaxBackwardKernel = declareRowKernel<{ kind: SoftmaxKind }>(
  "softmax_backward",
  (plan, c) => {
    const lanes = plan.lanes;
    const body = c.kind === "softmax"
      ? `var d = 0.0;
  for (var j = lane; j < units; j += ${lanes}u) { d += hsum(g[gs + j] * y[ys + j]); }
  d = rowSum(d, lane, slot);
  for (var j = lane; j < units; j += ${lanes}u) { dx[ds + j] = y[ys + j] * (g[gs + j] - d); }`
      : `var t = 0.0;
  for (var j = lane; j < units; j += ${lanes}u) { t += hsum(g[gs + j]); }
  t = rowSum(t, lane, slot);
  for (var j = lane; j < units; j += ${lanes}u) { dx[ds + j] = g[gs + j] - exp(y[ys + j]) * t; }`;
    const elem = plan.elem;
    return {
      storage: [
        { name: "g", access: "read", type: elem },
        { name: "y", access: "read", type: elem },
        { name: "dx", access: "read_write", type: elem },
      ],
      uniforms: { rows: "u32", units: "u32", gOff: "u32", yOff: "u32" },
      body: /* wgsl */ `
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
  },
);

function rowsOf(x: Tensor): { rows: number; n: number } {
  const n = x.shape[x.rank - 1];
  return { rows: n === 0 ? 0 : x.size / n, n };
}

/**
 * Softmax or log-softmax of every last-axis row of `x` into a new dense tensor.
 *
 * @example
 * ```ts
 * const y = softmaxRows("softmax", logits);
 * ```
 */
export function softmaxRows(kind: SoftmaxKind, x: Tensor): Tensor {
  const { rows, n } = rowsOf(x);
  const gpu = x.gpu;
  const xd = asContiguous(x);
  const y = empty(x.shape, "f32", gpu);
  if (rows > 0) {
    const plan = planRows(gpu, rows, n, alignedForVec4(xd.offset));
    runRowKernel(gpu, softmaxKernel, plan, { kind }, { x: xd.buffer, y: y.buffer }, {
      rows,
      units: plan.units,
      xOff: xd.offset / plan.width,
    });
  }
  if (xd !== x) xd.dispose();
  return y;
}

/**
 * The gradient of {@link softmaxRows} from its output `y` and the output gradient `g`.
 *
 * @example
 * ```ts
 * const dx = softmaxRowsBackward("softmax", g, y);
 * ```
 */
export function softmaxRowsBackward(kind: SoftmaxKind, g: Tensor, y: Tensor): Tensor {
  const { rows, n } = rowsOf(y);
  const gpu = y.gpu;
  const gd = asContiguous(g);
  const dx = empty(y.shape, "f32", gpu);
  if (rows > 0) {
    const plan = planRows(gpu, rows, n, alignedForVec4(gd.offset, y.offset));
    runRowKernel(gpu, softmaxBackwardKernel, plan, { kind }, {
      g: gd.buffer,
      y: y.buffer,
      dx: dx.buffer,
    }, { rows, units: plan.units, gOff: gd.offset / plan.width, yOff: y.offset / plan.width });
  }
  if (gd !== g) gd.dispose();
  return dx;
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
