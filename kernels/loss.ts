/**
 * Loss kernels, forward and backward side by side, with float64 references (the ops with
 * autograd are in `lib/ops/loss.ts`):
 *
 * - cross-entropy fused with log-softmax over the last axis, integer targets, PyTorch's
 *   `ignore_index` and mean reduction. Forward is two kernels (per-row `logsumexp` and loss,
 *   then one workgroup sums the rows in a fixed order and counts the targets that are not
 *   ignored); backward is one kernel that recomputes `(softmax − onehot) · g / count` from the
 *   logits and the saved `logsumexp`.
 * - mean squared error over all elements, a deterministic two-stage sum (one stage when it
 *   fits one workgroup); backward `±2 (pred − target) g / n` in one kernel.
 *
 * @module
 */
import { FLAT_GROUP, grid1d } from "../lib/gpu/grid.ts";
import { declareKernel, type StorageDecl } from "../lib/gpu/program.ts";
import type { GpuBuffer } from "../lib/gpu/pool.ts";
import { empty, type Tensor } from "../lib/tensor/tensor.ts";
import {
  alignedForVec4,
  declareRowKernel,
  planRows,
  rowMaxAndExpSum,
  type RowPlan,
  rowPrelude,
  rowReduce,
  runRowKernel,
} from "./rows.ts";

/** Workgroup size of the one-workgroup sums (cross-entropy rows, MSE partials). */
const SUM_GROUP = 256;

// ---------------------------------------------------------------------------------------------
// Cross-entropy.

const crossEntropyKernel = declareRowKernel("cross_entropy", (plan) => {
  const pick = plan.width === 4 ? "x[e / 4u][e % 4u]" : "x[e]";
  return {
    storage: [
      { name: "x", access: "read", type: plan.elem },
      { name: "targets", access: "read", type: "i32" },
      { name: "rowLoss", access: "read_write", type: "f32" },
      { name: "lse", access: "read_write", type: "f32" },
    ],
    uniforms: {
      rows: "u32",
      units: "u32",
      xOff: "u32",
      classes: "u32",
      tOff: "u32",
      ignore: "i32",
      nan: "f32",
    },
    body: /* wgsl */ `
${rowReduce(plan, "rowMax", "max")}
${rowReduce(plan, "rowSum", "sum")}
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  let xs = p.xOff + row * p.units;
  ${rowMaxAndExpSum(plan)}
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
});

const crossEntropyMeanKernel = declareKernel("cross_entropy_mean", () => ({
  storage: [
    { name: "rowLoss", access: "read", type: "f32" },
    { name: "targets", access: "read", type: "i32" },
    { name: "out", access: "read_write", type: "f32" },
  ],
  uniforms: { rows: "u32", tOff: "u32", ignore: "i32" },
  body: /* wgsl */ `
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
}));

const crossEntropyBackwardKernel = declareRowKernel("cross_entropy_backward", (plan) => {
  const lanes = plan.lanes;
  const elem = plan.elem;
  return {
    storage: [
      { name: "x", access: "read", type: elem },
      { name: "targets", access: "read", type: "i32" },
      { name: "lse", access: "read", type: "f32" },
      { name: "stats", access: "read", type: "f32" },
      { name: "g", access: "read", type: "f32" },
      { name: "dx", access: "read_write", type: elem },
    ],
    uniforms: {
      rows: "u32",
      units: "u32",
      xOff: "u32",
      classes: "u32",
      tOff: "u32",
      ignore: "i32",
      nan: "f32",
      gOff: "u32",
      countOff: "u32",
    },
    body: /* wgsl */ `
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
});

/** What the cross-entropy forward keeps for backward. */
export interface CrossEntropySaved {
  /** The row plan of the logits. */
  plan: RowPlan;
  /** Per-row logsumexp [rows]. */
  lse: Tensor;
}

/**
 * Mean cross-entropy of dense `logits` [rows, classes] against dense i32 `targets` [rows]:
 * returns a [2] tensor (the mean loss over rows not ignored, their count) and the per-row
 * logsumexp for backward.
 *
 * @example
 * ```ts
 * const { out, saved } = crossEntropyForward(logits, targets, -100);
 * ```
 */
export function crossEntropyForward(
  logits: Tensor,
  targets: Tensor,
  ignoreIndex: number,
): { out: Tensor; saved: CrossEntropySaved } {
  const classes = logits.shape[logits.rank - 1];
  const rows = logits.size / classes;
  const gpu = logits.gpu;
  const plan = planRows(gpu, rows, classes, alignedForVec4(logits.offset));
  const rowLoss = empty([rows], "f32", gpu);
  const lse = empty([rows], "f32", gpu);
  runRowKernel(
    gpu,
    crossEntropyKernel,
    plan,
    {},
    { x: logits.buffer, targets: targets.buffer, rowLoss: rowLoss.buffer, lse: lse.buffer },
    {
      rows,
      units: plan.units,
      xOff: logits.offset / plan.width,
      classes,
      tOff: targets.offset,
      ignore: ignoreIndex,
      nan: NaN,
    },
  );
  const out = empty([2], "f32", gpu);
  gpu.run(
    crossEntropyMeanKernel,
    {},
    { rowLoss: rowLoss.buffer, targets: targets.buffer, out: out.buffer },
    { rows, tOff: targets.offset, ignore: ignoreIndex },
    [1],
  );
  rowLoss.dispose();
  return { out, saved: { plan, lse } };
}

/**
 * The gradient of the mean cross-entropy with respect to the logits, given the output
 * gradient `g` (a scalar) and `count` (the rows not ignored, a scalar view of the forward
 * output).
 *
 * @example
 * ```ts
 * const dx = crossEntropyBackward(logits, targets, saved, count, g, -100);
 * ```
 */
export function crossEntropyBackward(
  logits: Tensor,
  targets: Tensor,
  saved: { plan: RowPlan; lse: Tensor },
  count: Tensor,
  g: Tensor,
  ignoreIndex: number,
): Tensor {
  const { plan, lse } = saved;
  const classes = logits.shape[logits.rank - 1];
  const dx = empty(logits.shape, "f32", logits.gpu);
  runRowKernel(
    logits.gpu,
    crossEntropyBackwardKernel,
    plan,
    {},
    {
      x: logits.buffer,
      targets: targets.buffer,
      lse: lse.buffer,
      stats: count.buffer,
      g: g.buffer,
      dx: dx.buffer,
    },
    {
      rows: plan.rows,
      units: plan.units,
      xOff: logits.offset / plan.width,
      classes,
      tOff: targets.offset,
      ignore: ignoreIndex,
      nan: NaN,
      gOff: g.offset,
      countOff: count.offset,
    },
  );
  return dx;
}

/**
 * Float64 reference of the mean cross-entropy (`crossEntropy` of `lib/ops/loss.ts`): the mean over rows whose target is not
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
// Cross-entropy of a language model's rows, runs axis: per-row losses and the gradient in place.

const rowLossesKernel = declareRowKernel<{ grad: boolean }>("cross_entropy_rows", (plan, c) => {
  const lanes = plan.lanes;
  const pick = plan.width === 4 ? "x[e / 4u][e % 4u]" : "x[e]";
  const grad = c.grad
    ? `
  for (var j = lane; j < units; j += ${lanes}u) {
    let hot = select(U(0.0), U(1.0), unitColumns(j) == UI(t));
    x[xs + j] = (exp(x[xs + j] - l) - hot) * p.scale;
  }`
    : "";
  return {
    storage: [
      { name: "x", access: "read_write", type: plan.elem },
      { name: "targets", access: "read", type: "i32" },
      { name: "losses", access: "read_write", type: "f32" },
    ],
    uniforms: {
      rows: "u32",
      units: "u32",
      xOff: "u32",
      classes: "u32",
      tOff: "u32",
      lossOff: "u32",
      scale: "f32",
      nan: "f32",
    },
    body: /* wgsl */ `
${rowReduce(plan, "rowMax", "max")}
${rowReduce(plan, "rowSum", "sum")}
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  let xs = p.xOff + row * p.units;
  ${rowMaxAndExpSum(plan)}
  let l = m + log(s);
  let t = targets[p.tOff + select(0u, row, live)];
  var loss = p.nan;
  if (t >= 0 && t < i32(p.classes)) {
    let e = ${plan.width}u * xs + u32(t);
    loss = l - ${pick};
  }
  workgroupBarrier();
  if (live && lane == 0u) { losses[p.lossOff + row] = loss; }${grad}
}`,
  };
});

/**
 * Per-row cross-entropy of dense `logits` [rows, classes] against dense i32 `targets` [rows]
 * into `losses` (from element `lossOffset` of it, one per row; NaN for a target outside
 * [0, classes)); with `gradScale`, the logits are overwritten in place by the gradient of
 * `gradScale · Σ rows' losses` — `(softmax − onehot) · gradScale` — so a language model's
 * backward starts from them with no other kernel.
 *
 * @example
 * ```ts
 * crossEntropyRows(logits, targets, losses, 0, 1 / rowsPerRun); // logits now hold dLoss/dlogits
 * ```
 */
export function crossEntropyRows(
  logits: Tensor,
  targets: Tensor,
  losses: Tensor,
  lossOffset: number,
  gradScale?: number,
): void {
  const classes = logits.shape[logits.rank - 1];
  const rows = logits.size / classes;
  if (!logits.isContiguous || !targets.isContiguous || targets.size !== rows) {
    throw new Error(`crossEntropyRows: needs dense logits [rows, C] and ${rows} dense targets`);
  }
  if (lossOffset + rows > losses.size) {
    throw new Error(
      `crossEntropyRows: ${rows} losses from ${lossOffset} overflow [${losses.shape}]`,
    );
  }
  const gpu = logits.gpu;
  const plan = planRows(gpu, rows, classes, alignedForVec4(logits.offset));
  runRowKernel(
    gpu,
    rowLossesKernel,
    plan,
    { grad: gradScale !== undefined },
    { x: logits.buffer, targets: targets.buffer, losses: losses.buffer },
    {
      rows,
      units: plan.units,
      xOff: logits.offset / plan.width,
      classes,
      tOff: targets.offset,
      lossOff: losses.offset + lossOffset,
      scale: gradScale ?? 0,
      nan: NaN,
    },
  );
}

/** Per run, the mean of its rows' losses over the first `slots` slots of a loss ring. */
const meanLossesKernel = declareKernel("mean_losses", () => ({
  storage: [
    { name: "losses", access: "read", type: "f32" },
    { name: "out", access: "read_write", type: "f32" },
  ],
  uniforms: { runs: "u32", rowsPerRun: "u32", slots: "u32", lossOff: "u32", outOff: "u32" },
  body: /* wgsl */ `
var<workgroup> sums: array<f32, ${SUM_GROUP}>;
@compute @workgroup_size(${SUM_GROUP})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let run = wg.x;
  let perSlot = p.runs * p.rowsPerRun;
  var s = 0.0;
  for (var slot = 0u; slot < p.slots; slot++) {
    let base = p.lossOff + slot * perSlot + run * p.rowsPerRun;
    for (var i = lid; i < p.rowsPerRun; i += ${SUM_GROUP}u) { s += losses[base + i]; }
  }
  sums[lid] = s;
  workgroupBarrier();
  for (var h = ${SUM_GROUP / 2}u; h > 0u; h >>= 1u) {
    if (lid < h) { sums[lid] += sums[lid + h]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[p.outOff + run] = sums[0] / f32(p.slots * p.rowsPerRun); }
}`,
}));

/**
 * Writes into `out` (R values) each run's mean loss over the first `slots` slots of a loss
 * ring [slots, R·rowsPerRun] (the layout {@link crossEntropyRows} fills slot by slot).
 *
 * @example
 * ```ts
 * meanLosses(ring, runs, rowsPerRun, stepsSinceLog, trainLoss);
 * ```
 */
export function meanLosses(
  ring: Tensor,
  runs: number,
  rowsPerRun: number,
  slots: number,
  out: Tensor,
): void {
  if (slots < 1 || slots * runs * rowsPerRun > ring.size || out.size < runs) {
    throw new Error(
      `meanLosses: ${slots} slots of ${runs}·${rowsPerRun} do not fit [${ring.shape}]`,
    );
  }
  ring.gpu.run(meanLossesKernel, {}, { losses: ring.buffer, out: out.buffer }, {
    runs,
    rowsPerRun,
    slots,
    lossOff: ring.offset,
    outOff: out.offset,
  }, [runs]);
}

// ---------------------------------------------------------------------------------------------
// Mean squared error.

/** Elements one workgroup of the MSE sum covers before the sum splits into two stages. */
const MSE_CHUNK = 4096;
/** Most partial sums of the first MSE stage. */
const MSE_MAX_PARTIALS = 256;

const mseSumKernel = declareKernel("mse_loss", (c: { squaredDifference: boolean }) => {
  const value = c.squaredDifference
    ? "let d = a[p.aOff + i] - b[p.bOff + i]; s += d * d;"
    : "s += a[p.aOff + i];";
  const storage: StorageDecl[] = [{ name: "a", access: "read", type: "f32" }];
  if (c.squaredDifference) storage.push({ name: "b", access: "read", type: "f32" });
  storage.push({ name: "out", access: "read_write", type: "f32" });
  return {
    storage,
    uniforms: { n: "u32", chunk: "u32", aOff: "u32", bOff: "u32", scale: "f32" },
    body: /* wgsl */ `
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
});

const mseBackwardKernel = declareKernel(
  "mse_loss_backward",
  (c: { wantPred: boolean; wantTarget: boolean }) => {
    const storage: StorageDecl[] = [
      { name: "a", access: "read", type: "f32" },
      { name: "b", access: "read", type: "f32" },
      { name: "g", access: "read", type: "f32" },
    ];
    const writes: string[] = [];
    if (c.wantPred) {
      storage.push({ name: "dp", access: "read_write", type: "f32" });
      writes.push("dp[i] = d;");
    }
    if (c.wantTarget) {
      storage.push({ name: "dt", access: "read_write", type: "f32" });
      writes.push("dt[i] = -d;");
    }
    return {
      storage,
      uniforms: { n: "u32", aOff: "u32", bOff: "u32", gOff: "u32", scale: "f32" },
      body: /* wgsl */ `
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = ${FLAT_GROUP} * 256u + lid;
  if (i >= p.n) { return; }
  let d = (a[p.aOff + i] - b[p.bOff + i]) * (g[p.gOff] * p.scale);
  ${writes.join(" ")}
}`,
    };
  },
);

/**
 * `mean((a − b)²)` of two dense same-size tensors into a new scalar tensor.
 *
 * @example
 * ```ts
 * const loss = mseForward(pred, target);
 * ```
 */
export function mseForward(a: Tensor, b: Tensor): Tensor {
  const n = a.size;
  const gpu = a.gpu;
  const out = empty([], "f32", gpu);
  const groups = Math.min(MSE_MAX_PARTIALS, Math.ceil(n / MSE_CHUNK));
  const chunk = Math.ceil(n / groups);
  const stage = gpu.kernel(mseSumKernel, { squaredDifference: true });
  if (groups === 1) {
    gpu.dispatch(
      stage,
      { a: a.buffer, b: b.buffer, out: out.buffer },
      { n, chunk, aOff: a.offset, bOff: b.offset, scale: 1 / n },
      [1],
    );
  } else {
    const partials = empty([groups], "f32", gpu);
    gpu.dispatch(
      stage,
      { a: a.buffer, b: b.buffer, out: partials.buffer },
      { n, chunk, aOff: a.offset, bOff: b.offset, scale: 1 },
      [groups],
    );
    gpu.run(
      mseSumKernel,
      { squaredDifference: false },
      { a: partials.buffer, out: out.buffer },
      { n: groups, chunk: groups, aOff: 0, bOff: 0, scale: 1 / n },
      [1],
    );
    partials.dispose();
  }
  return out;
}

/**
 * The gradients of {@link mseForward} with respect to `a` and/or `b` given the scalar output
 * gradient `g`: `±2 (a − b) g / n`.
 *
 * @example
 * ```ts
 * const { da } = mseBackward(a, b, g, { a: true, b: false });
 * ```
 */
export function mseBackward(
  a: Tensor,
  b: Tensor,
  g: Tensor,
  want: { a: boolean; b: boolean },
): { da: Tensor | null; db: Tensor | null } {
  const gpu = a.gpu;
  const n = a.size;
  const da = want.a ? empty(a.shape, "f32", gpu) : null;
  const db = want.b ? empty(b.shape, "f32", gpu) : null;
  const buffers: Record<string, GpuBuffer> = { a: a.buffer, b: b.buffer, g: g.buffer };
  if (da) buffers.dp = da.buffer;
  if (db) buffers.dt = db.buffer;
  gpu.run(
    mseBackwardKernel,
    { wantPred: want.a, wantTarget: want.b },
    buffers,
    { n, aOff: a.offset, bOff: b.offset, gOff: g.offset, scale: 2 / n },
    grid1d(n, 256),
  );
  return { da, db };
}

/**
 * Float64 reference of the mean squared error (`mseLoss` of `lib/ops/loss.ts`).
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
