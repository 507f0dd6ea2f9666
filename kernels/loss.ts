/**
 * Losses, forward and backward side by side, with float64 references:
 *
 * - {@link crossEntropy}: cross-entropy fused with log-softmax over the last axis, integer
 *   targets, PyTorch's `ignore_index` and mean reduction. Forward is two kernels (per-row
 *   `logsumexp` and loss, then one workgroup sums the rows in a fixed order and counts the
 *   targets that are not ignored); backward is one kernel that recomputes
 *   `(softmax − onehot) · g / count` from the logits and the saved `logsumexp`.
 * - {@link mseLoss}: `mean((pred − target)²)` over all elements, a deterministic two-stage sum
 *   (one stage when it fits one workgroup); backward `±2 (pred − target) g / n` in one kernel.
 *
 * @module
 */
import { FLAT_GROUP, grid1d } from "../lib/gpu/grid.ts";
import { type BindingKind, type KernelSource, Params } from "../lib/gpu/runtime.ts";
import { record, wantsGrad } from "../lib/tensor/autograd.ts";
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

/** Workgroup size of the one-workgroup sums (cross-entropy rows, MSE partials). */
const SUM_GROUP = 256;

// ---------------------------------------------------------------------------------------------
// Cross-entropy.

function crossEntropyForwardSource(plan: RowPlan): KernelSource {
  const lanes = plan.lanes;
  const pick = plan.width === 4 ? "x[e / 4u][e % 4u]" : "x[e]";
  return {
    name: "cross_entropy",
    key: `cross_entropy:${rowKey(plan)}`,
    bindings: ["read", "read", "write", "write"],
    uniformBytes: 32,
    code: () => /* wgsl */ `
${rowHeader(plan)}
struct P { rows: u32, units: u32, xOff: u32, classes: u32, tOff: u32, ignore: i32, nan: f32 }
@group(0) @binding(0) var<storage, read> x: array<U>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read_write> rowLoss: array<f32>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
${rowReduce(plan, "rowMax", "max")}
${rowReduce(plan, "rowSum", "sum")}
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  let xs = p.xOff + row * p.units;
  var m = -3.4028235e38;
  for (var j = lane; j < units; j += ${lanes}u) { m = max(m, hmax(x[xs + j])); }
  m = rowMax(m, lane, slot);
  var s = 0.0;
  for (var j = lane; j < units; j += ${lanes}u) { s += hsum(exp(x[xs + j] - m)); }
  s = rowSum(s, lane, slot);
  if (live && lane == 0u) {
    let l = m + log(s);
    let t = targets[p.tOff + row];
    var loss = 0.0;
    if (t != p.ignore) {
      if (t < 0 || t >= i32(p.classes)) {
        loss = p.nan;
      } else {
        let e = ${plan.width}u * xs + u32(t);
        loss = l - ${pick};
      }
    }
    rowLoss[row] = loss;
    lse[row] = l;
  }
}`,
  };
}

const crossEntropyMeanSource: KernelSource = {
  name: "cross_entropy_mean",
  key: "cross_entropy_mean",
  bindings: ["read", "read", "write"],
  uniformBytes: 16,
  code: () => /* wgsl */ `
struct P { rows: u32, tOff: u32, ignore: i32 }
@group(0) @binding(0) var<storage, read> rowLoss: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
var<workgroup> sums: array<f32, ${SUM_GROUP}>;
var<workgroup> counts: array<u32, ${SUM_GROUP}>;
@compute @workgroup_size(${SUM_GROUP})
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  var c = 0u;
  for (var r = lid; r < p.rows; r += ${SUM_GROUP}u) {
    s += rowLoss[r];
    c += select(0u, 1u, targets[p.tOff + r] != p.ignore);
  }
  sums[lid] = s;
  counts[lid] = c;
  workgroupBarrier();
  for (var h = ${SUM_GROUP / 2}u; h > 0u; h >>= 1u) {
    if (lid < h) {
      sums[lid] += sums[lid + h];
      counts[lid] += counts[lid + h];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let total = counts[0];
    out[0] = select(0.0, sums[0] / f32(total), total > 0u);
    out[1] = f32(total);
  }
}`,
};

function crossEntropyBackwardSource(plan: RowPlan): KernelSource {
  const lanes = plan.lanes;
  return {
    name: "cross_entropy_backward",
    key: `cross_entropy_backward:${rowKey(plan)}`,
    bindings: ["read", "read", "read", "read", "read", "write"],
    uniformBytes: 48,
    code: () => /* wgsl */ `
${rowHeader(plan)}
struct P {
  rows: u32, units: u32, xOff: u32, classes: u32, tOff: u32, ignore: i32, nan: f32, gOff: u32,
  countOff: u32,
}
@group(0) @binding(0) var<storage, read> x: array<U>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read> lse: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<U>;
@group(0) @binding(6) var<uniform> p: P;
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  let r = select(0u, row, live);
  let count = stats[p.countOff];
  let t = targets[p.tOff + r];
  let ignored = t == p.ignore;
  var scale = select(0.0, g[p.gOff] / count, count > 0.0);
  if (!ignored && (t < 0 || t >= i32(p.classes))) { scale = p.nan; }
  let l = lse[r];
  let xs = p.xOff + row * p.units;
  let ds = row * p.units;
  for (var j = lane; j < units; j += ${lanes}u) {
    let hot = select(U(0.0), U(1.0), unitColumns(j) == UI(t));
    dx[ds + j] = select((exp(x[xs + j] - l) - hot) * scale, U(0.0), ignored);
  }
}`,
  };
}

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** Target value whose rows are skipped (default -100, as PyTorch). */
  ignoreIndex?: number;
}

function checkCrossEntropy(logits: Tensor, targets: Tensor, ignoreIndex: number): void {
  if (logits.dtype !== "f32") {
    throw new Error(`crossEntropy: logits must be f32, got ${logits.dtype} ${logits}`);
  }
  if (logits.rank === 0 || logits.shape[logits.rank - 1] === 0) {
    throw new Error(
      `crossEntropy: logits have shape [${logits.shape}], expected [..., C] with C ≥ 1 classes`,
    );
  }
  if (targets.dtype !== "i32") {
    throw new Error(
      "crossEntropy: targets must be an i32 tensor of class indices, got " +
        `${targets.dtype} ${targets}`,
    );
  }
  const lead = logits.shape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  const sameLead = targets.rank === lead.length && lead.every((d, i) => d === targets.shape[i]);
  const flat = targets.rank === 1 && targets.shape[0] === rows;
  if (!sameLead && !flat) {
    throw new Error(
      `crossEntropy: targets have shape [${targets.shape}], expected [${lead}] or [${rows}] ` +
        `(one class index per row of logits [${logits.shape}])`,
    );
  }
  if (!Number.isInteger(ignoreIndex) || Math.abs(ignoreIndex) > 2 ** 31 - 1) {
    throw new Error(`crossEntropy: ignoreIndex must be a 32-bit integer, got ${ignoreIndex}`);
  }
}

/**
 * Mean cross-entropy of `logits` [..., C] against integer class `targets` (i32, one per row:
 * shaped like the leading dimensions or flat), fused with log-softmax, as PyTorch's
 * `F.cross_entropy(logits.view(-1, C), targets.view(-1), ignore_index=ignoreIndex)`.
 *
 * - Rows whose target equals `ignoreIndex` (default -100) contribute nothing; the mean is
 *   over the other rows.
 * - If every row is ignored (or there are no rows) the loss is 0 and the gradient is all
 *   zeros (PyTorch returns NaN there).
 * - A target outside [0, C) that is not `ignoreIndex` makes the loss NaN and its row's
 *   gradient NaN: targets live on the GPU, so the kernel cannot raise; NaN is the signal
 *   (trainers stop on a non-finite loss).
 *
 * @example
 * ```ts
 * const logits = tensor([2, 0, 0, 0, 3, 0], [2, 3], { requiresGrad: true });
 * const targets = tensor(new Int32Array([0, 1]), [2], { dtype: "i32" });
 * const loss = crossEntropy(logits, targets); // ≈ 0.1629
 * backward(loss);
 * ```
 */
export function crossEntropy(
  logits: Tensor,
  targets: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const ignoreIndex = options.ignoreIndex ?? -100;
  checkCrossEntropy(logits, targets, ignoreIndex);
  const classes = logits.shape[logits.rank - 1];
  const rows = logits.size / classes;
  const gpu = logits.gpu;
  const xd = asContiguous(logits);
  const td = asContiguous(targets);
  const plan = planRows(gpu, rows, classes, alignedForVec4(xd.offset));
  const rowLoss = empty([rows], "f32", gpu);
  const lse = empty([rows], "f32", gpu);
  const params = new Params()
    .u32(rows, plan.units, xd.offset / plan.width, classes, td.offset)
    .i32(ignoreIndex)
    .f32(NaN);
  gpu.dispatch(
    gpu.kernel(crossEntropyForwardSource(plan)),
    [xd.buffer, td.buffer, rowLoss.buffer, lse.buffer],
    params,
    rowGrid(plan),
  );
  const out = empty([2], "f32", gpu); // [mean loss, number of rows not ignored]
  gpu.dispatch(
    gpu.kernel(crossEntropyMeanSource),
    [rowLoss.buffer, td.buffer, out.buffer],
    new Params().u32(rows, td.offset).i32(ignoreIndex),
    [1],
  );
  rowLoss.dispose();
  const loss = out.view([], [], 0);
  const count = out.view([], [], 1);
  out.dispose();
  record("crossEntropy", loss, [logits, targets], [xd, td, lse, count], (g, saved) => {
    const [x, t, l, c] = saved;
    const gd = asContiguous(g);
    const dx = empty(logits.shape, "f32", gpu);
    const bparams = new Params()
      .u32(rows, plan.units, x.offset / plan.width, classes, t.offset)
      .i32(ignoreIndex)
      .f32(NaN)
      .u32(gd.offset, c.offset);
    gpu.dispatch(
      gpu.kernel(crossEntropyBackwardSource(plan)),
      [x.buffer, t.buffer, l.buffer, c.buffer, gd.buffer, dx.buffer],
      bparams,
      rowGrid(plan),
    );
    if (gd !== g) gd.dispose();
    return [dx, null];
  });
  for (const t of [xd, td]) if (t !== logits && t !== targets) t.dispose();
  lse.dispose();
  count.dispose();
  return loss;
}

/**
 * Float64 reference of {@link crossEntropy}: the mean over rows whose target is not
 * `ignoreIndex` of `logsumexp(row) − row[target]` (0 when every row is ignored).
 *
 * @example
 * ```ts
 * crossEntropyReference([0, 0], 2, [1]); // Math.log(2)
 * ```
 */
export function crossEntropyReference(
  logits: ArrayLike<number>,
  classes: number,
  targets: ArrayLike<number>,
  ignoreIndex = -100,
): number {
  let total = 0, count = 0;
  for (let r = 0; r < targets.length; r++) {
    const t = targets[r];
    if (t === ignoreIndex) continue;
    if (!(t >= 0 && t < classes)) return NaN;
    const start = r * classes;
    let m = -Infinity;
    for (let j = 0; j < classes; j++) m = Math.max(m, logits[start + j]);
    let s = 0;
    for (let j = 0; j < classes; j++) s += Math.exp(logits[start + j] - m);
    total += m + Math.log(s) - logits[start + t];
    count++;
  }
  return count === 0 ? 0 : total / count;
}

// ---------------------------------------------------------------------------------------------
// Mean squared error.

/** Elements one workgroup of the MSE sum covers before the sum splits into two stages. */
const MSE_CHUNK = 4096;
/** Most partial sums of the first MSE stage. */
const MSE_MAX_PARTIALS = 256;

function mseSumSource(squaredDifference: boolean): KernelSource {
  const value = squaredDifference
    ? "let d = a[p.aOff + i] - b[p.bOff + i]; s += d * d;"
    : "s += a[p.aOff + i];";
  return {
    name: "mse_loss",
    key: `mse_loss:${squaredDifference ? "sqdiff" : "sum"}`,
    bindings: squaredDifference ? ["read", "read", "write"] : ["read", "write"],
    uniformBytes: 32,
    code: () => /* wgsl */ `
struct P { n: u32, chunk: u32, aOff: u32, bOff: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
${
      squaredDifference
        ? `@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: P;`
        : `@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: P;`
    }
var<workgroup> sums: array<f32, ${SUM_GROUP}>;
@compute @workgroup_size(${SUM_GROUP})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let start = wg.x * p.chunk;
  let end = min(p.n, start + p.chunk);
  var s = 0.0;
  for (var i = start + lid; i < end; i += ${SUM_GROUP}u) { ${value} }
  sums[lid] = s;
  workgroupBarrier();
  for (var h = ${SUM_GROUP / 2}u; h > 0u; h >>= 1u) {
    if (lid < h) { sums[lid] += sums[lid + h]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[wg.x] = sums[0] * p.scale; }
}`,
  };
}

function mseBackwardSource(wantPred: boolean, wantTarget: boolean): KernelSource {
  const bindings: BindingKind[] = ["read", "read", "read"];
  const outputs: string[] = [];
  const writes: string[] = [];
  if (wantPred) {
    outputs.push(`@group(0) @binding(${bindings.length}) var<storage, read_write> dp: array<f32>;`);
    writes.push("dp[i] = d;");
    bindings.push("write");
  }
  if (wantTarget) {
    outputs.push(`@group(0) @binding(${bindings.length}) var<storage, read_write> dt: array<f32>;`);
    writes.push("dt[i] = -d;");
    bindings.push("write");
  }
  return {
    name: "mse_loss_backward",
    key: `mse_loss_backward:${wantPred}:${wantTarget}`,
    bindings,
    uniformBytes: 32,
    code: () => /* wgsl */ `
struct P { n: u32, aOff: u32, bOff: u32, gOff: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
${outputs.join("\n")}
@group(0) @binding(${bindings.length}) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = ${FLAT_GROUP} * 256u + lid;
  if (i >= p.n) { return; }
  let d = (a[p.aOff + i] - b[p.bOff + i]) * (g[p.gOff] * p.scale);
  ${writes.join(" ")}
}`,
  };
}

/**
 * Mean squared error `mean((pred − target)²)` over all elements (a scalar), as PyTorch's
 * `F.mse_loss`; `pred` and `target` must have the same shape. Gradients flow to both.
 *
 * @example
 * ```ts
 * const loss = mseLoss(tanh(out), target); // the 1989 net's loss
 * ```
 */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  for (const [name, t] of [["pred", pred], ["target", target]] as const) {
    if (t.dtype !== "f32") throw new Error(`mseLoss: ${name} must be f32, got ${t.dtype} ${t}`);
  }
  if (target.rank !== pred.rank || target.shape.some((d, i) => d !== pred.shape[i])) {
    throw new Error(
      `mseLoss: target has shape [${target.shape}], expected [${pred.shape}] (the shape of pred)`,
    );
  }
  const n = pred.size;
  if (n === 0) throw new Error(`mseLoss: pred has no elements (shape [${pred.shape}])`);
  const gpu = pred.gpu;
  const a = asContiguous(pred);
  const b = asContiguous(target);
  const out = empty([], "f32", gpu);
  const groups = Math.min(MSE_MAX_PARTIALS, Math.ceil(n / MSE_CHUNK));
  const chunk = Math.ceil(n / groups);
  const stage = gpu.kernel(mseSumSource(true));
  if (groups === 1) {
    const params = new Params().u32(n, chunk, a.offset, b.offset).f32(1 / n);
    gpu.dispatch(stage, [a.buffer, b.buffer, out.buffer], params, [1]);
  } else {
    const partials = empty([groups], "f32", gpu);
    const params = new Params().u32(n, chunk, a.offset, b.offset).f32(1);
    gpu.dispatch(stage, [a.buffer, b.buffer, partials.buffer], params, [groups]);
    gpu.dispatch(
      gpu.kernel(mseSumSource(false)),
      [partials.buffer, out.buffer],
      new Params().u32(groups, groups, 0, 0).f32(1 / n),
      [1],
    );
    partials.dispose();
  }
  record("mseLoss", out, [pred, target], [a, b], (g, [sa, sb]) => {
    const wantPred = wantsGrad(pred), wantTarget = wantsGrad(target);
    const dp = wantPred ? empty(pred.shape, "f32", gpu) : null;
    const dt = wantTarget ? empty(target.shape, "f32", gpu) : null;
    const gd = asContiguous(g);
    const buffers = [sa.buffer, sb.buffer, gd.buffer];
    if (dp) buffers.push(dp.buffer);
    if (dt) buffers.push(dt.buffer);
    gpu.dispatch(
      gpu.kernel(mseBackwardSource(wantPred, wantTarget)),
      buffers,
      new Params().u32(n, sa.offset, sb.offset, gd.offset).f32(2 / n),
      grid1d(n, 256),
    );
    if (gd !== g) gd.dispose();
    return [dp, dt];
  });
  if (a !== pred) a.dispose();
  if (b !== target) b.dispose();
  return out;
}

/**
 * Float64 reference of {@link mseLoss}.
 *
 * @example
 * ```ts
 * mseLossReference([1, 2], [1, 4]); // 2
 * ```
 */
export function mseLossReference(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i] - target[i]) ** 2;
  return s / pred.length;
}
