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
 * Runs axis: the rows may belong to R runs (`rowsPerRun` rows each), each with its own weight
 * and bias ([R, D]); the parameter gradients are then per run. Outputs can be written into
 * given tensors (a model's preallocated activations) and gradients accumulated into targets
 * (a slab of parameter gradients, or the residual stream's gradient).
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
    const scaled = c.hasWeight ? " * w[ws + j]" : "";
    const shifted = c.hasBias ? " + b[bs + j]" : "";
    return {
      storage,
      uniforms: {
        rows: "u32",
        units: "u32",
        n: "u32",
        xOff: "u32",
        wOff: "u32",
        bOff: "u32",
        yOff: "u32",
        statsOff: "u32",
        rowsPerRun: "u32",
        eps: "f32",
      },
      body: /* wgsl */ `
${rowReduce(plan, "sumMean", "sum")}
${rowReduce(plan, "sumVariance", "sum")}
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  let run = row / p.rowsPerRun;
  let xs = p.xOff + row * p.units;
  let ys = p.yOff + row * p.units;
  let ws = p.wOff + run * p.units;
  let bs = p.bOff + run * p.units;
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
    stats[p.statsOff + 2u * row] = mean;
    stats[p.statsOff + 2u * row + 1u] = rstd;
  }
}`,
    };
  },
);

const inputGradKernel = declareRowKernel<{ hasWeight: boolean; accumulate: boolean }>(
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
    const gw = c.hasWeight ? "g[gs + j] * w[ws + j]" : "g[gs + j]";
    const store = c.accumulate
      ? "dx[ds + j] = dx[ds + j] + rstd * (gw - means.x - xh * means.y);"
      : "dx[ds + j] = rstd * (gw - means.x - xh * means.y);";
    return {
      storage,
      uniforms: {
        rows: "u32",
        units: "u32",
        n: "u32",
        gOff: "u32",
        xOff: "u32",
        wOff: "u32",
        statsOff: "u32",
        dxOff: "u32",
        rowsPerRun: "u32",
      },
      body: /* wgsl */ `
${rowReduce(plan, "rowSums", "sum", "vec2f")}
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  let r = select(0u, row, live);
  let mean = stats[p.statsOff + 2u * r];
  let rstd = stats[p.statsOff + 2u * r + 1u];
  let ws = p.wOff + (r / p.rowsPerRun) * p.units;
  let gs = p.gOff + row * p.units;
  let xs = p.xOff + row * p.units;
  let ds = p.dxOff + row * p.units;
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
    ${store}
  }
}`,
    };
  },
);

/** Writes `value` into `target[index]`, or adds it there when accumulating. */
const put = (target: string, index: string, value: string, accumulate: boolean) =>
  accumulate
    ? `${target}[${index}] = ${target}[${index}] + ${value};`
    : `${target}[${index}] = ${value};`;

/**
 * Stage one of dweight/dbias: per run, per block of its rows, per column, `Σ g·x̂` and `Σ g`,
 * into partials — or, with one block per run (`direct`), into the gradients themselves.
 */
const columnPartialsKernel = declareKernel(
  "layer_norm_param_grads",
  (c: { width: 1 | 4; wantW: boolean; wantB: boolean; direct: boolean; accumulate: boolean }) => {
    const type = rowElement(c.width);
    const storage: StorageDecl[] = [
      { name: "g", access: "read", type },
      { name: "x", access: "read", type },
      { name: "stats", access: "read", type: "f32" },
    ];
    if (c.wantW) storage.push({ name: "pw", access: "read_write", type });
    if (c.wantB) storage.push({ name: "pb", access: "read_write", type });
    const at = (off: string) => c.direct ? `${off} + run * p.cols + c` : "wg.y * p.cols + c";
    const accumulate = c.direct && c.accumulate;
    return {
      storage,
      uniforms: {
        cols: "u32",
        rowsPerRun: "u32",
        blockRows: "u32",
        blocksPerRun: "u32",
        gOff: "u32",
        xOff: "u32",
        statsOff: "u32",
        pwOff: "u32",
        pbOff: "u32",
      },
      body: /* wgsl */ `
@compute @workgroup_size(${COLUMN_GROUP})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wg.x * ${COLUMN_GROUP}u + lid;
  if (c >= p.cols) { return; }
  let run = wg.y / p.blocksPerRun;
  let first = run * p.rowsPerRun + (wg.y % p.blocksPerRun) * p.blockRows;
  let last = min((run + 1u) * p.rowsPerRun, first + p.blockRows);
  var aw = ${type}(0.0);
  var ab = ${type}(0.0);
  for (var r = first; r < last; r++) {
    let gv = g[p.gOff + r * p.cols + c];
    let s = p.statsOff + 2u * r;
    aw += gv * ((x[p.xOff + r * p.cols + c] - stats[s]) * stats[s + 1u]);
    ab += gv;
  }
  ${c.wantW ? put("pw", at("p.pwOff"), "aw", accumulate) : ""}
  ${c.wantB ? put("pb", at("p.pbOff"), "ab", accumulate) : ""}
}`,
    };
  },
);

/** Stage two: per run, sums its blocks' partials of each column, in order. */
const columnSumKernel = declareKernel(
  "layer_norm_param_grads_sum",
  (c: { width: 1 | 4; accumulate: boolean }) => {
    const type = rowElement(c.width);
    return {
      storage: [
        { name: "partials", access: "read", type },
        { name: "total", access: "read_write", type },
      ],
      uniforms: { blocksPerRun: "u32", cols: "u32", totalOff: "u32" },
      body: /* wgsl */ `
@compute @workgroup_size(${COLUMN_GROUP})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wg.x * ${COLUMN_GROUP}u + lid;
  if (c >= p.cols) { return; }
  let run = wg.y;
  var s = ${type}(0.0);
  for (var b = 0u; b < p.blocksPerRun; b++) {
    s += partials[(run * p.blocksPerRun + b) * p.cols + c];
  }
  ${put("total", "p.totalOff + run * p.cols + c", "s", c.accumulate)}
}`,
    };
  },
);

/** How a normalization's rows split into runs, and where its outputs go. */
export interface LayerNormTargets {
  /** Rows per run (default: all rows are one run); weights are then [R, D]. */
  rowsPerRun?: number;
  /** The normalized output (default: a new tensor shaped like x). */
  y?: Tensor;
  /** The per-row stats [rows, 2] (default: a new tensor). */
  stats?: Tensor;
}

function checkTarget(what: string, t: Tensor | undefined, size: number): void {
  if (t && (!t.isContiguous || t.size !== size)) {
    throw new Error(`layerNorm: ${what} must be a dense tensor of ${size} elements, got ${t}`);
  }
}

function runsOf(rows: number, rowsPerRun: number | undefined): number {
  const per = rowsPerRun ?? rows;
  if (!Number.isInteger(per) || per < 1 || rows % per !== 0) {
    throw new Error(`layerNorm: ${rows} rows do not split into runs of ${rowsPerRun} rows`);
  }
  return rows / per;
}

/**
 * Normalizes every last-axis row of dense `x` (optionally scaled by `w` and shifted by `b`,
 * dense [D], or [R, D] for rows in R runs) into `y`; returns it with the per-row stats
 * `[rows, 2]` (mean, rstd).
 *
 * @example
 * ```ts
 * const { y, stats } = layerNormForward(x, w, b, LAYER_NORM_EPS);
 * layerNormForward(x, w, b, LAYER_NORM_EPS, { rowsPerRun: 512, y: out, stats: saved });
 * ```
 */
export function layerNormForward(
  x: Tensor,
  w: Tensor | null,
  b: Tensor | null,
  eps: number,
  targets: LayerNormTargets = {},
): { y: Tensor; stats: Tensor } {
  const n = x.shape[x.rank - 1];
  const rows = x.size / n;
  runsOf(rows, targets.rowsPerRun);
  const gpu = x.gpu;
  checkTarget("y", targets.y, x.size);
  checkTarget("stats", targets.stats, 2 * rows);
  const y = targets.y ?? empty(x.shape, "f32", gpu);
  const stats = targets.stats ?? empty([rows, 2], "f32", gpu);
  const plan = planRows(
    gpu,
    rows,
    n,
    alignedForVec4(x.offset, w?.offset ?? 0, b?.offset ?? 0, y.offset),
  );
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
    {
      rows,
      units: plan.units,
      n,
      xOff: unit(x),
      wOff: unit(w),
      bOff: unit(b),
      yOff: unit(y),
      statsOff: stats.offset,
      rowsPerRun: targets.rowsPerRun ?? rows,
      eps,
    },
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
export function layerNormBackwardPlan(
  g: Tensor,
  x: Tensor,
  w: Tensor | undefined,
  dx?: Tensor,
): RowPlan {
  const n = x.shape[x.rank - 1];
  const aligned = alignedForVec4(g.offset, x.offset, w?.offset ?? 0, dx?.offset ?? 0);
  return planRows(x.gpu, x.size / n, n, aligned);
}

/**
 * The gradient of the input of a normalization from the output gradient `g`, the input `x`,
 * its stats and the optional weight (all dense): into a new tensor or `into`, or added into
 * `into` with `accumulate`.
 *
 * @example
 * ```ts
 * const dx = layerNormInputGrad(plan, g, x, stats, w);
 * layerNormInputGrad(plan, g, x, stats, w, { rowsPerRun: 512, into: residualGrad, accumulate: true });
 * ```
 */
export function layerNormInputGrad(
  plan: RowPlan,
  g: Tensor,
  x: Tensor,
  stats: Tensor,
  w: Tensor | undefined,
  options: { rowsPerRun?: number; into?: Tensor; accumulate?: boolean } = {},
): Tensor {
  const gpu = x.gpu;
  checkTarget("into", options.into, x.size);
  if (options.accumulate && !options.into) {
    throw new Error("layerNorm: accumulating needs a target");
  }
  const dx = options.into ?? empty(x.shape, "f32", gpu);
  const buffers: Record<string, GpuBuffer> = {
    g: g.buffer,
    x: x.buffer,
    stats: stats.buffer,
    dx: dx.buffer,
  };
  if (w) buffers.w = w.buffer;
  const constants = { hasWeight: w !== undefined, accumulate: options.accumulate ?? false };
  runRowKernel(gpu, inputGradKernel, plan, constants, buffers, {
    rows: plan.rows,
    units: plan.units,
    n: plan.n,
    gOff: g.offset / plan.width,
    xOff: x.offset / plan.width,
    wOff: (w?.offset ?? 0) / plan.width,
    statsOff: stats.offset,
    dxOff: dx.offset / plan.width,
    rowsPerRun: options.rowsPerRun ?? plan.rows,
  });
  return dx;
}

/** Where the weight and bias gradients of a normalization go. */
export interface ParamGradTargets {
  /** Rows per run (default: one run); the gradients are then [R, n]. */
  rowsPerRun?: number;
  /** Added into these dense [R·n] tensors (default: new tensors are written). */
  dw?: Tensor;
  db?: Tensor;
  /** Rows one block sums before the blocks are summed (default: about rows / 512, at least 64). */
  blockRows?: number;
}

/**
 * The gradients of the weight (`Σ_rows g · x̂`) and the bias (`Σ_rows g`) of a normalization,
 * per run, by the deterministic column reduction (one stage when a block covers a run).
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
  targets: ParamGradTargets = {},
): [Tensor | null, Tensor | null] {
  const gpu = x.gpu;
  const runs = runsOf(rows, targets.rowsPerRun);
  const rowsPerRun = rows / runs;
  const cols = n / width;
  const blockRows = targets.blockRows ??
    Math.max(MIN_BLOCK_ROWS, Math.ceil(rowsPerRun / MAX_BLOCKS));
  const blocksPerRun = Math.max(1, Math.ceil(rowsPerRun / blockRows));
  for (const [what, t] of [["dw", targets.dw], ["db", targets.db]] as const) {
    checkTarget(what, t, runs * n);
    if (t && t.offset % width !== 0) throw new Error(`layerNorm: ${what} is not vec4-aligned`);
  }
  const accumulate = targets.dw !== undefined || targets.db !== undefined;
  const fresh = () => empty(runs === 1 ? [n] : [runs, n], "f32", gpu);
  const dw = wantW ? targets.dw ?? fresh() : null;
  const db = wantB ? targets.db ?? fresh() : null;
  const direct = blocksPerRun === 1;
  const partials = () => empty([runs * blocksPerRun, n], "f32", gpu);
  const pw = dw && !direct ? partials() : dw;
  const pb = db && !direct ? partials() : db;
  const buffers: Record<string, GpuBuffer> = { g: g.buffer, x: x.buffer, stats: stats.buffer };
  if (pw) buffers.pw = pw.buffer;
  if (pb) buffers.pb = pb.buffer;
  const columnGroups = Math.ceil(cols / COLUMN_GROUP);
  gpu.run(columnPartialsKernel, { width, wantW, wantB, direct, accumulate }, buffers, {
    cols,
    rowsPerRun,
    blockRows,
    blocksPerRun,
    gOff: g.offset / width,
    xOff: x.offset / width,
    statsOff: stats.offset,
    pwOff: direct ? (pw?.offset ?? 0) / width : 0,
    pbOff: direct ? (pb?.offset ?? 0) / width : 0,
  }, [columnGroups, runs * blocksPerRun]);
  if (!direct) {
    const sum = gpu.kernel(columnSumKernel, { width, accumulate });
    for (const [part, total] of [[pw, dw], [pb, db]]) {
      if (!part || !total) continue;
      gpu.dispatch(sum, { partials: part.buffer, total: total.buffer }, {
        blocksPerRun,
        cols,
        totalOff: total.offset / width,
      }, [columnGroups, runs]);
      part.dispose();
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
