/**
 * Layer normalization over the last dimension, forward and backward side by side, with float64
 * references.
 *
 * Forward is one kernel: per row the mean, then the variance as the mean of `(x − mean)²` (two
 * passes over the row, no cancellation), then `y = (x − mean) · rstd · weight + bias`; it saves
 * `mean` and `rstd = 1/√(var + eps)` per row. Backward is one kernel for `dx` per row,
 *
 *     x̂ = (x − mean) · rstd,  ĝ = g · weight,
 *     dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)),
 *
 * and, for `dweight = Σ_rows g · x̂` and `dbias = Σ_rows g`, a deterministic two-stage column
 * reduction: blocks of rows sum into per-block partials (one invocation per column, rows in
 * order), then one pass sums the blocks in order. No float atomics, so the result is bitwise
 * reproducible. Small inputs (one block) skip the second stage.
 *
 * @module
 */
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

/** Invocations per workgroup of the column reductions (one column per invocation). */
const COLUMN_GROUP = 64;
/** Fewest rows one block of the column reduction sums. */
const MIN_BLOCK_ROWS = 64;
/** Most blocks (partials per column) of the column reduction. */
const MAX_BLOCKS = 512;

/** A storage binding of a layernorm kernel: name, access, element type. */
type Binding = [name: string, kind: BindingKind, type: string];

/** Declares storage bindings 0, 1, ... in order. */
function declare(bindings: readonly Binding[]): string {
  return bindings.map(([name, kind, type], i) =>
    `@group(0) @binding(${i}) var<storage, ${kind === "read" ? "read" : "read_write"}> ${name}: ` +
    `array<${type}>;`
  ).join("\n");
}

function forwardSource(plan: RowPlan, hasWeight: boolean, hasBias: boolean): KernelSource {
  const lanes = plan.lanes;
  const buffers: Binding[] = [["x", "read", "U"]];
  if (hasWeight) buffers.push(["w", "read", "U"]);
  if (hasBias) buffers.push(["b", "read", "U"]);
  buffers.push(["y", "write", "U"], ["stats", "write", "f32"]);
  const scaled = hasWeight ? " * w[p.wOff + j]" : "";
  const shifted = hasBias ? " + b[p.bOff + j]" : "";
  return {
    name: "layer_norm",
    key: `layer_norm:${rowKey(plan)}:${hasWeight}:${hasBias}`,
    bindings: buffers.map(([, kind]) => kind),
    uniformBytes: 32,
    code: () => /* wgsl */ `
${rowHeader(plan)}
struct P { rows: u32, units: u32, n: u32, xOff: u32, wOff: u32, bOff: u32, eps: f32 }
${declare(buffers)}
@group(0) @binding(${buffers.length}) var<uniform> p: P;
${rowReduce(plan, "sumMean", "sum")}
${rowReduce(plan, "sumVariance", "sum")}
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  let xs = p.xOff + row * p.units;
  let ys = row * p.units;
  var s = 0.0;
  for (var j = lane; j < units; j += ${lanes}u) { s += hsum(x[xs + j]); }
  let mean = sumMean(s, lane, slot) / f32(p.n);
  var q = 0.0;
  for (var j = lane; j < units; j += ${lanes}u) { let d = x[xs + j] - mean; q += hsum(d * d); }
  let rstd = inverseSqrt(sumVariance(q, lane, slot) / f32(p.n) + p.eps);
  for (var j = lane; j < units; j += ${lanes}u) {
    y[ys + j] = (x[xs + j] - mean) * rstd${scaled}${shifted};
  }
  if (live && lane == 0u) {
    stats[2u * row] = mean;
    stats[2u * row + 1u] = rstd;
  }
}`,
  };
}

function inputGradSource(plan: RowPlan, hasWeight: boolean): KernelSource {
  const lanes = plan.lanes;
  const buffers: Binding[] = [["g", "read", "U"], ["x", "read", "U"]];
  if (hasWeight) buffers.push(["w", "read", "U"]);
  buffers.push(["stats", "read", "f32"], ["dx", "write", "U"]);
  const gw = hasWeight ? "g[gs + j] * w[p.wOff + j]" : "g[gs + j]";
  return {
    name: "layer_norm_backward",
    key: `layer_norm_backward:${rowKey(plan)}:${hasWeight}`,
    bindings: buffers.map(([, kind]) => kind),
    uniformBytes: 32,
    code: () => /* wgsl */ `
${rowHeader(plan)}
struct P { rows: u32, units: u32, n: u32, gOff: u32, xOff: u32, wOff: u32 }
${declare(buffers)}
@group(0) @binding(${buffers.length}) var<uniform> p: P;
${rowReduce(plan, "rowSums", "sum", "vec2f")}
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  let r = select(0u, row, live);
  let mean = stats[2u * r];
  let rstd = stats[2u * r + 1u];
  let gs = p.gOff + row * p.units;
  let xs = p.xOff + row * p.units;
  let ds = row * p.units;
  var acc = vec2f(0.0);
  for (var j = lane; j < units; j += ${lanes}u) {
    let gw = ${gw};
    let xh = (x[xs + j] - mean) * rstd;
    acc += vec2f(hsum(gw), hsum(gw * xh));
  }
  let means = rowSums(acc, lane, slot) / f32(p.n);
  for (var j = lane; j < units; j += ${lanes}u) {
    let gw = ${gw};
    let xh = (x[xs + j] - mean) * rstd;
    dx[ds + j] = rstd * (gw - means.x - xh * means.y);
  }
}`,
  };
}

/** Stage one of dweight/dbias: per block of rows, per column, `Σ g·x̂` and `Σ g`. */
function columnPartialsSource(width: 1 | 4, wantW: boolean, wantB: boolean): KernelSource {
  const type = width === 4 ? "vec4f" : "f32";
  const buffers: Binding[] = [["g", "read", type], ["x", "read", type], ["stats", "read", "f32"]];
  if (wantW) buffers.push(["pw", "write", type]);
  if (wantB) buffers.push(["pb", "write", type]);
  return {
    name: "layer_norm_param_grads",
    key: `layer_norm_param_grads:${width}:${wantW}:${wantB}`,
    bindings: buffers.map(([, kind]) => kind),
    uniformBytes: 32,
    code: () => /* wgsl */ `
struct P { rows: u32, cols: u32, blockRows: u32, gOff: u32, xOff: u32 }
${declare(buffers)}
@group(0) @binding(${buffers.length}) var<uniform> p: P;
@compute @workgroup_size(${COLUMN_GROUP})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wg.x * ${COLUMN_GROUP}u + lid;
  if (c >= p.cols) { return; }
  let first = wg.y * p.blockRows;
  let last = min(p.rows, first + p.blockRows);
  var aw = ${type}(0.0);
  var ab = ${type}(0.0);
  for (var r = first; r < last; r++) {
    let gv = g[p.gOff + r * p.cols + c];
    aw += gv * ((x[p.xOff + r * p.cols + c] - stats[2u * r]) * stats[2u * r + 1u]);
    ab += gv;
  }
  ${wantW ? "pw[wg.y * p.cols + c] = aw;" : ""}
  ${wantB ? "pb[wg.y * p.cols + c] = ab;" : ""}
}`,
  };
}

/** Stage two: sums a [blocks, cols] matrix of partials over blocks, in order. */
function columnSumSource(width: 1 | 4): KernelSource {
  const type = width === 4 ? "vec4f" : "f32";
  return {
    name: "layer_norm_param_grads_sum",
    key: `layer_norm_param_grads_sum:${width}`,
    bindings: ["read", "write"],
    uniformBytes: 16,
    code: () => /* wgsl */ `
struct P { blocks: u32, cols: u32 }
@group(0) @binding(0) var<storage, read> partials: array<${type}>;
@group(0) @binding(1) var<storage, read_write> total: array<${type}>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(${COLUMN_GROUP})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wg.x * ${COLUMN_GROUP}u + lid;
  if (c >= p.cols) { return; }
  var s = ${type}(0.0);
  for (var b = 0u; b < p.blocks; b++) { s += partials[b * p.cols + c]; }
  total[c] = s;
}`,
  };
}

function checkLayerNorm(
  x: Tensor,
  weight: Tensor | null | undefined,
  bias: Tensor | null | undefined,
  eps: number,
): void {
  if (x.dtype !== "f32") throw new Error(`layerNorm: x must be f32, got ${x.dtype} ${x}`);
  const n = x.shape[x.rank - 1];
  if (x.rank === 0 || n === 0) {
    throw new Error(`layerNorm: x has shape [${x.shape}], expected [..., D] with D ≥ 1`);
  }
  for (const [name, t] of [["weight", weight], ["bias", bias]] as const) {
    if (!t) continue;
    if (t.dtype !== "f32") throw new Error(`layerNorm: ${name} must be f32, got ${t.dtype} ${t}`);
    if (t.rank !== 1 || t.shape[0] !== n) {
      throw new Error(
        `layerNorm: ${name} has shape [${t.shape}], expected [${n}] (the last dimension of x)`,
      );
    }
  }
  if (!(eps >= 0 && Number.isFinite(eps))) {
    throw new Error(`layerNorm: eps must be a finite number ≥ 0, got ${eps}`);
  }
}

/**
 * Layer normalization over the last dimension, as PyTorch's `F.layer_norm(x, [D], weight,
 * bias, eps)`: `(x − mean) / √(var + eps) · weight + bias` per row, with the biased variance.
 * `weight` and `bias` (shape [D]) are optional.
 *
 * @example
 * ```ts
 * const weight = ones([384], { requiresGrad: true });
 * const bias = zeros([384], { requiresGrad: true });
 * const h = layerNorm(x, weight, bias); // x: [B, T, 384]
 * ```
 */
export function layerNorm(
  x: Tensor,
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  checkLayerNorm(x, weight, bias, eps);
  const n = x.shape[x.rank - 1];
  const rows = x.size / n;
  const gpu = x.gpu;
  const xd = asContiguous(x);
  const wd = weight ? asContiguous(weight) : null;
  const bd = bias ? asContiguous(bias) : null;
  const plan = planRows(gpu, rows, n, alignedForVec4(xd.offset, wd?.offset ?? 0, bd?.offset ?? 0));
  const y = empty(x.shape, "f32", gpu);
  const stats = empty([rows, 2], "f32", gpu);
  const buffers = [xd.buffer];
  if (wd) buffers.push(wd.buffer);
  if (bd) buffers.push(bd.buffer);
  buffers.push(y.buffer, stats.buffer);
  const unit = (t: Tensor | null) => (t ? t.offset / plan.width : 0);
  const params = new Params()
    .u32(rows, plan.units, n, unit(xd), unit(wd), unit(bd))
    .f32(eps);
  gpu.dispatch(gpu.kernel(forwardSource(plan, !!wd, !!bd)), buffers, params, rowGrid(plan));

  const inputs = [x];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  const saved = wd ? [xd, stats, wd] : [xd, stats];
  record("layerNorm", y, inputs, saved, (g, [sx, sstats, sw]) => {
    const gd = asContiguous(g);
    const backPlan = planRows(gpu, rows, n, alignedForVec4(gd.offset, sx.offset, sw?.offset ?? 0));
    const dx = wantsGrad(x) ? inputGrad(backPlan, gd, sx, sstats, sw) : null;
    const wantW = !!weight && wantsGrad(weight);
    const wantB = !!bias && wantsGrad(bias);
    const [dw, db] = wantW || wantB
      ? paramGrads(backPlan.width, rows, n, gd, sx, sstats, wantW, wantB)
      : [null, null];
    if (gd !== g) gd.dispose();
    const grads = [dx];
    if (weight) grads.push(dw);
    if (bias) grads.push(db);
    return grads;
  });
  for (const [copy, original] of [[xd, x], [wd, weight], [bd, bias]] as const) {
    if (copy && copy !== original) copy.dispose();
  }
  stats.dispose();
  return y;
}

function inputGrad(
  plan: RowPlan,
  g: Tensor,
  x: Tensor,
  stats: Tensor,
  w: Tensor | undefined,
): Tensor {
  const gpu = x.gpu;
  const dx = empty(x.shape, "f32", gpu);
  const buffers = w
    ? [g.buffer, x.buffer, w.buffer, stats.buffer, dx.buffer]
    : [g.buffer, x.buffer, stats.buffer, dx.buffer];
  const params = new Params().u32(
    plan.rows,
    plan.units,
    plan.n,
    g.offset / plan.width,
    x.offset / plan.width,
    (w?.offset ?? 0) / plan.width,
  );
  gpu.dispatch(gpu.kernel(inputGradSource(plan, !!w)), buffers, params, rowGrid(plan));
  return dx;
}

function paramGrads(
  width: 1 | 4,
  rows: number,
  n: number,
  g: Tensor,
  x: Tensor,
  stats: Tensor,
  wantW: boolean,
  wantB: boolean,
): [Tensor | null, Tensor | null] {
  const gpu = x.gpu;
  const cols = n / width;
  const blockRows = Math.max(MIN_BLOCK_ROWS, Math.ceil(rows / MAX_BLOCKS));
  const blocks = Math.max(1, Math.ceil(rows / blockRows));
  const dw = wantW ? empty([n], "f32", gpu) : null;
  const db = wantB ? empty([n], "f32", gpu) : null;
  const pw = dw && blocks > 1 ? empty([blocks, n], "f32", gpu) : dw;
  const pb = db && blocks > 1 ? empty([blocks, n], "f32", gpu) : db;
  const buffers = [g.buffer, x.buffer, stats.buffer];
  if (pw) buffers.push(pw.buffer);
  if (pb) buffers.push(pb.buffer);
  const columnGroups = Math.ceil(cols / COLUMN_GROUP);
  gpu.dispatch(
    gpu.kernel(columnPartialsSource(width, wantW, wantB)),
    buffers,
    new Params().u32(rows, cols, blockRows, g.offset / width, x.offset / width),
    [columnGroups, blocks],
  );
  if (blocks > 1) {
    const sum = gpu.kernel(columnSumSource(width));
    for (const [partials, total] of [[pw, dw], [pb, db]]) {
      if (!partials || !total) continue;
      gpu.dispatch(sum, [partials.buffer, total.buffer], new Params().u32(blocks, cols), [
        columnGroups,
      ]);
      partials.dispose();
    }
  }
  return [dw, db];
}

/**
 * Float64 reference of {@link layerNorm} over rows of `n` elements of a row-major array.
 *
 * @example
 * ```ts
 * layerNormReference([1, 3], 2); // ≈ [-1, 1]
 * ```
 */
export function layerNormReference(
  x: ArrayLike<number>,
  n: number,
  weight?: ArrayLike<number>,
  bias?: ArrayLike<number>,
  eps = 1e-5,
): Float64Array {
  const y = new Float64Array(x.length);
  for (let start = 0; start < x.length; start += n) {
    let mean = 0;
    for (let j = 0; j < n; j++) mean += x[start + j];
    mean /= n;
    let variance = 0;
    for (let j = 0; j < n; j++) variance += (x[start + j] - mean) ** 2;
    const rstd = 1 / Math.sqrt(variance / n + eps);
    for (let j = 0; j < n; j++) {
      y[start + j] = (x[start + j] - mean) * rstd * (weight?.[j] ?? 1) + (bias?.[j] ?? 0);
    }
  }
  return y;
}

/**
 * Float64 reference of {@link layerNorm}'s gradients given the output gradient `g`:
 * `{ dx, dweight, dbias }`.
 *
 * @example
 * ```ts
 * const { dweight } = layerNormBackwardReference(x, g, 384, weight);
 * ```
 */
export function layerNormBackwardReference(
  x: ArrayLike<number>,
  g: ArrayLike<number>,
  n: number,
  weight?: ArrayLike<number>,
  eps = 1e-5,
): { dx: Float64Array; dweight: Float64Array; dbias: Float64Array } {
  const dx = new Float64Array(x.length);
  const dweight = new Float64Array(n);
  const dbias = new Float64Array(n);
  for (let start = 0; start < x.length; start += n) {
    let mean = 0;
    for (let j = 0; j < n; j++) mean += x[start + j];
    mean /= n;
    let variance = 0;
    for (let j = 0; j < n; j++) variance += (x[start + j] - mean) ** 2;
    const rstd = 1 / Math.sqrt(variance / n + eps);
    let meanG = 0, meanGX = 0;
    for (let j = 0; j < n; j++) {
      const xh = (x[start + j] - mean) * rstd;
      const gw = g[start + j] * (weight?.[j] ?? 1);
      meanG += gw / n;
      meanGX += gw * xh / n;
      dweight[j] += g[start + j] * xh;
      dbias[j] += g[start + j];
    }
    for (let j = 0; j < n; j++) {
      const xh = (x[start + j] - mean) * rstd;
      const gw = g[start + j] * (weight?.[j] ?? 1);
      dx[start + j] = rstd * (gw - meanG - xh * meanGX);
    }
  }
  return { dx, dweight, dbias };
}
