/**
 * Layer normalization kernels over the last dimension, forward and backward side by side, with
 * float64 references (the op with autograd is `layerNorm` in `lib/ops/layernorm.ts`).
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
import { declareKernel, type StorageDecl } from "../lib/gpu/program.ts";
import type { GpuBuffer } from "../lib/gpu/pool.ts";
import { empty, type Tensor } from "../lib/tensor/tensor.ts";
import {
  alignedForVec4,
  declareRowKernel,
  planRows,
  rowElement,
  type RowPlan,
  rowPrelude,
  rowReduce,
  runRowKernel,
} from "./rows.ts";

/** Invocations per workgroup of the column reductions (one column per invocation). */
const COLUMN_GROUP = 64;
/** Fewest rows one block of the column reduction sums. */
const MIN_BLOCK_ROWS = 64;
/** Most blocks (partials per column) of the column reduction. */
const MAX_BLOCKS = 512;

/** The epsilon of PyTorch's `nn.LayerNorm` (and nanoGPT's), added to the variance. */
export const LAYER_NORM_EPS = 1e-5;

const layerNormKernel = declareRowKernel<{ hasWeight: boolean; hasBias: boolean }>(
  "layer_norm",
  (plan, c) => {
    const lanes = plan.lanes;
    const elem = plan.elem;
    const storage: StorageDecl[] = [{ name: "x", access: "read", type: elem }];
    if (c.hasWeight) storage.push({ name: "w", access: "read", type: elem });
    if (c.hasBias) storage.push({ name: "b", access: "read", type: elem });
    storage.push(
      { name: "y", access: "read_write", type: elem },
      { name: "stats", access: "read_write", type: "f32" },
    );
    const scaled = c.hasWeight ? " * w[p.wOff + j]" : "";
    const shifted = c.hasBias ? " + b[p.bOff + j]" : "";
    return {
      storage,
      uniforms: {
        rows: "u32",
        units: "u32",
        n: "u32",
        xOff: "u32",
        wOff: "u32",
        bOff: "u32",
        eps: "f32",
      },
      body: /* wgsl */ `
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
  },
);

const inputGradKernel = declareRowKernel<{ hasWeight: boolean }>(
  "layer_norm_backward",
  (plan, c) => {
    const lanes = plan.lanes;
    const elem = plan.elem;
    const storage: StorageDecl[] = [
      { name: "g", access: "read", type: elem },
      { name: "x", access: "read", type: elem },
    ];
    if (c.hasWeight) storage.push({ name: "w", access: "read", type: elem });
    storage.push(
      { name: "stats", access: "read", type: "f32" },
      { name: "dx", access: "read_write", type: elem },
    );
    const gw = c.hasWeight ? "g[gs + j] * w[p.wOff + j]" : "g[gs + j]";
    return {
      storage,
      uniforms: { rows: "u32", units: "u32", n: "u32", gOff: "u32", xOff: "u32", wOff: "u32" },
      body: /* wgsl */ `
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
  },
);

/** Stage one of dweight/dbias: per block of rows, per column, `Σ g·x̂` and `Σ g`. */
const columnPartialsKernel = declareKernel(
  "layer_norm_param_grads",
  (c: { width: 1 | 4; wantW: boolean; wantB: boolean }) => {
    const type = rowElement(c.width);
    const storage: StorageDecl[] = [
      { name: "g", access: "read", type },
      { name: "x", access: "read", type },
      { name: "stats", access: "read", type: "f32" },
    ];
    if (c.wantW) storage.push({ name: "pw", access: "read_write", type });
    if (c.wantB) storage.push({ name: "pb", access: "read_write", type });
    return {
      storage,
      uniforms: { rows: "u32", cols: "u32", blockRows: "u32", gOff: "u32", xOff: "u32" },
      body: /* wgsl */ `
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
  ${c.wantW ? "pw[wg.y * p.cols + c] = aw;" : ""}
  ${c.wantB ? "pb[wg.y * p.cols + c] = ab;" : ""}
}`,
    };
  },
);

/** Stage two: sums a [blocks, cols] matrix of partials over blocks, in order. */
const columnSumKernel = declareKernel("layer_norm_param_grads_sum", (c: { width: 1 | 4 }) => {
  const type = rowElement(c.width);
  return {
    storage: [
      { name: "partials", access: "read", type },
      { name: "total", access: "read_write", type },
    ],
    uniforms: { blocks: "u32", cols: "u32" },
    body: /* wgsl */ `
@compute @workgroup_size(${COLUMN_GROUP})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wg.x * ${COLUMN_GROUP}u + lid;
  if (c >= p.cols) { return; }
  var s = ${type}(0.0);
  for (var b = 0u; b < p.blocks; b++) { s += partials[b * p.cols + c]; }
  total[c] = s;
}`,
  };
});

/**
 * Normalizes every last-axis row of dense `x` (optionally scaled by `w` and shifted by `b`,
 * dense [D]) into a new tensor; returns it with the per-row stats `[rows, 2]` (mean, rstd).
 *
 * @example
 * ```ts
 * const { y, stats } = layerNormForward(x, w, b, LAYER_NORM_EPS);
 * ```
 */
export function layerNormForward(
  x: Tensor,
  w: Tensor | null,
  b: Tensor | null,
  eps: number,
): { y: Tensor; stats: Tensor } {
  const n = x.shape[x.rank - 1];
  const rows = x.size / n;
  const gpu = x.gpu;
  const plan = planRows(gpu, rows, n, alignedForVec4(x.offset, w?.offset ?? 0, b?.offset ?? 0));
  const y = empty(x.shape, "f32", gpu);
  const stats = empty([rows, 2], "f32", gpu);
  const buffers: Record<string, GpuBuffer> = { x: x.buffer, y: y.buffer, stats: stats.buffer };
  if (w) buffers.w = w.buffer;
  if (b) buffers.b = b.buffer;
  const unit = (t: Tensor | null) => (t ? t.offset / plan.width : 0);
  runRowKernel(
    gpu,
    layerNormKernel,
    plan,
    { hasWeight: w !== null, hasBias: b !== null },
    buffers,
    { rows, units: plan.units, n, xOff: unit(x), wOff: unit(w), bOff: unit(b), eps },
  );
  return { y, stats };
}

/**
 * The row plan the backward kernels of a [rows, n] normalization run with.
 *
 * @example
 * ```ts
 * const plan = layerNormBackwardPlan(g, x, w);
 * ```
 */
export function layerNormBackwardPlan(g: Tensor, x: Tensor, w: Tensor | undefined): RowPlan {
  const n = x.shape[x.rank - 1];
  return planRows(x.gpu, x.size / n, n, alignedForVec4(g.offset, x.offset, w?.offset ?? 0));
}

/**
 * The gradient of the input of a normalization from the output gradient `g`, the input `x`,
 * its stats and the optional weight (all dense).
 *
 * @example
 * ```ts
 * const dx = layerNormInputGrad(plan, g, x, stats, w);
 * ```
 */
export function layerNormInputGrad(
  plan: RowPlan,
  g: Tensor,
  x: Tensor,
  stats: Tensor,
  w: Tensor | undefined,
): Tensor {
  const gpu = x.gpu;
  const dx = empty(x.shape, "f32", gpu);
  const buffers: Record<string, GpuBuffer> = {
    g: g.buffer,
    x: x.buffer,
    stats: stats.buffer,
    dx: dx.buffer,
  };
  if (w) buffers.w = w.buffer;
  runRowKernel(gpu, inputGradKernel, plan, { hasWeight: w !== undefined }, buffers, {
    rows: plan.rows,
    units: plan.units,
    n: plan.n,
    gOff: g.offset / plan.width,
    xOff: x.offset / plan.width,
    wOff: (w?.offset ?? 0) / plan.width,
  });
  return dx;
}

/**
 * The gradients of the weight (`Σ_rows g · x̂`) and the bias (`Σ_rows g`) of a normalization,
 * each [n], by the deterministic two-stage column reduction.
 *
 * @example
 * ```ts
 * const [dw, db] = layerNormParamGrads(plan.width, rows, n, g, x, stats, true, true);
 * ```
 */
export function layerNormParamGrads(
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
  const buffers: Record<string, GpuBuffer> = { g: g.buffer, x: x.buffer, stats: stats.buffer };
  if (pw) buffers.pw = pw.buffer;
  if (pb) buffers.pb = pb.buffer;
  const columnGroups = Math.ceil(cols / COLUMN_GROUP);
  gpu.run(columnPartialsKernel, { width, wantW, wantB }, buffers, {
    rows,
    cols,
    blockRows,
    gOff: g.offset / width,
    xOff: x.offset / width,
  }, [columnGroups, blocks]);
  if (blocks > 1) {
    const sum = gpu.kernel(columnSumKernel, { width });
    for (const [partials, total] of [[pw, dw], [pb, db]]) {
      if (!partials || !total) continue;
      gpu.dispatch(sum, { partials: partials.buffer, total: total.buffer }, {
        blocks,
        cols,
      }, [columnGroups]);
      partials.dispose();
    }
  }
  return [dw, db];
}

/**
 * Float64 reference of `layerNorm` over rows of `n` elements of a row-major array.
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
 * Float64 reference of `layerNorm`'s gradients given the output gradient `g`:
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
