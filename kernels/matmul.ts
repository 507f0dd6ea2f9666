/**
 * Matrix multiplication: `matmul` (batched, broadcast batch dimensions, like `torch.matmul`)
 * and `linear` (`x @ weight^T + bias`, PyTorch's `nn.Linear` layout), with their gradients and
 * float64 references.
 *
 * Operands are read in place: a view whose last two dimensions are dense or swapped-dense (a
 * `transpose()` of a dense tensor), sliced rows, and broadcast batch dimensions all go
 * straight to the kernel, so the backward products `dA = dC @ B^T` and `dB = A^T @ dC` cost no
 * transposition copies. The sum over a broadcast batch dimension (the gradient of `[K, N]` in
 * `[B, T, K] @ [K, N]`) happens inside the kernel: batch dimensions that chain with the rows
 * or with K are folded into them, so that gradient is one `[K, B*T] @ [B*T, N]` product.
 *
 * The kernels (see `matmul_wgsl.ts`) come in two tilings chosen by adapter: register tiles
 * without workgroup memory on CPU adapters (lavapipe, SwiftShader, WARP) and double-buffered
 * workgroup tiles on GPUs. {@link setMatmulTiling} overrides the choice.
 *
 * @module
 */
import type { GpuBuffer } from "../lib/gpu/pool.ts";
import type { Gpu } from "../lib/gpu/runtime.ts";
import { empty, sizeOf, type Tensor } from "../lib/tensor/tensor.ts";
import { asContiguous, broadcastShapes } from "./map.ts";
import {
  blockSharedBytes,
  type BlockTiling,
  blockTilingValid,
  describeTiling,
  gemmConstants,
  type GemmEpilogue,
  gemmGrid,
  gemmKernel,
  type LaneTiling,
  type OperandRead,
  tileCols,
  tileRows,
  type Tiling,
} from "./matmul_wgsl.ts";

// ---------------------------------------------------------------------------------------------
// Tiling choice.

/** Which tiling runs matmuls: the adapter's choice, a kernel family, or one exact tiling. */
export type MatmulTilingChoice = "auto" | "lanes" | "blocks" | Tiling;

let forcedTiling: MatmulTilingChoice = "auto";

/** Register tiles for CPU adapters, largest first (rows per workgroup, vec4 columns per lane). */
export const LANE_TILINGS: readonly LaneTiling[] = [
  { kind: "lanes", rows: 32, cols4: 4 },
  { kind: "lanes", rows: 16, cols4: 4 },
  { kind: "lanes", rows: 16, cols4: 2 },
  { kind: "lanes", rows: 16, cols4: 1 },
  { kind: "lanes", rows: 4, cols4: 2 },
];

/** Workgroup tiles for GPUs: 128x128 blocks of 8x8 per invocation, and 64x64 for small work. */
export const BLOCK_TILINGS: readonly BlockTiling[] = [
  { kind: "blocks", bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 },
  { kind: "blocks", bm: 64, bn: 64, bk: 8, tm: 8, tn: 4 },
];

/** Workgroups below which the 128x128 tiling leaves a large GPU idle. */
const BIG_BLOCK_MIN_GROUPS = 96;

/**
 * Forces the register-tiled CPU kernels (`"lanes"`), the workgroup-tiled GPU kernels
 * (`"blocks"`) or one exact tiling on any adapter, or returns to the adapter's choice
 * (`"auto"`). Every tiling is correct everywhere; this is for benchmarks, tuning and tests.
 *
 * @example
 * ```ts
 * setMatmulTiling("blocks");
 * const y = matmul(a, b); // workgroup-tiled kernel, even on lavapipe
 * setMatmulTiling({ kind: "blocks", bm: 64, bn: 128, bk: 8, tm: 4, tn: 8 });
 * setMatmulTiling("auto");
 * ```
 */
export function setMatmulTiling(choice: MatmulTilingChoice): void {
  if (typeof choice === "string") {
    if (choice !== "auto" && choice !== "lanes" && choice !== "blocks") {
      throw new Error(
        `setMatmulTiling: unknown tiling "${choice}", expected auto, lanes or blocks`,
      );
    }
  } else if (choice.kind === "blocks" && !blockTilingValid(choice)) {
    throw new Error(
      `setMatmulTiling: ${
        describeTiling(choice)
      } is not a valid block tiling (tm, tn, bk must be ` +
        "multiples of 4 and every invocation must load whole vec4s of both tiles)",
    );
  } else if (choice.kind === "lanes" && (choice.rows % 4 !== 0 || choice.cols4 < 1)) {
    throw new Error(
      `setMatmulTiling: ${describeTiling(choice)} is not a valid lane tiling (rows must be a ` +
        "positive multiple of 4)",
    );
  }
  forcedTiling = choice;
}

/**
 * The tiling a product of `batches` `[m, k] @ [k, n]` matrices runs with on `gpu`: register
 * tiles on CPU adapters, workgroup tiles on GPUs (unless {@link setMatmulTiling} forces one),
 * the size picked so the tiles are mostly useful work and every core or SM has some.
 *
 * @example
 * ```ts
 * console.log(describeTiling(chooseMatmulTiling(gpu, 1024, 1024, 1))); // e.g. lanes 32x16
 * ```
 */
export function chooseMatmulTiling(gpu: Gpu, m: number, n: number, batches: number): Tiling {
  if (typeof forcedTiling !== "string") return forcedTiling;
  const family = forcedTiling === "auto" ? (gpu.isCpu ? "lanes" : "blocks") : forcedTiling;
  const groups = (t: Tiling) => gemmGrid(t, m, n, batches).reduce((p, d) => p * d, 1);
  if (family === "blocks") {
    const limit = gpu.device.limits.maxComputeWorkgroupStorageSize;
    const small = BLOCK_TILINGS[BLOCK_TILINGS.length - 1];
    const big = BLOCK_TILINGS.find((t) => blockSharedBytes(t) <= limit) ?? small;
    return groups(big) >= BIG_BLOCK_MIN_GROUPS ? big : small;
  }
  // Lanes: estimated throughput = useful fraction of the tile x load efficiency x parallelism
  // (a vec4 load costs about 8 multiply-adds on lavapipe, where each load loops over lanes).
  let best = LANE_TILINGS[0], bestScore = -1;
  for (const t of LANE_TILINGS) {
    const rows = tileRows(t), cols = tileCols(t);
    const useful = (m * n) / (Math.ceil(m / rows) * rows * Math.ceil(n / cols) * cols);
    const fmas = 4 * t.rows * t.cols4, loads = t.rows + 4 * t.cols4;
    const score = useful * (fmas / (8 * loads + fmas)) * Math.min(1, groups(t) / 4);
    if (score > bestScore) [best, bestScore] = [t, score];
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// The batched product over operand views.

/** A matrix operand read in place: element (i, j) of batch b at offset + b·batch + i·row + j·col. */
export interface MatrixView {
  tensor: Tensor;
  /** The matrix is the transpose of the tensor's last two dimensions. */
  transposed: boolean;
  rows: number;
  cols: number;
  rowStride: number;
  colStride: number;
  /** The tensor's own batch dimensions (before broadcasting). */
  batchShape: readonly number[];
  batchStrides: readonly number[];
}

/** `t`'s last two dimensions as a matrix, optionally transposed (a view, no copy). */
export function matrixOf(t: Tensor, transpose = false): MatrixView {
  const r = t.rank;
  const view: MatrixView = {
    tensor: t,
    transposed: transpose,
    rows: t.shape[r - 2],
    cols: t.shape[r - 1],
    rowStride: t.strides[r - 2],
    colStride: t.strides[r - 1],
    batchShape: t.shape.slice(0, r - 2),
    batchStrides: t.strides.slice(0, r - 2),
  };
  return transpose
    ? {
      ...view,
      rows: view.cols,
      cols: view.rows,
      rowStride: view.colStride,
      colStride: view.rowStride,
    }
    : view;
}

/** One batched product: C = sum over `reduced` batch dims of A @ B, plus an optional bias. */
export interface GemmProblem {
  a: MatrixView;
  b: MatrixView;
  /** Broadcast batch shape of the product (operands' batch dims align at its end). */
  batch: readonly number[];
  /** Per batch dimension: summed (not in the output) or kept. */
  reduced: readonly boolean[];
  /** Added to every row of C: [N], or [output batches, N] with `biasPerBatch`. */
  bias?: Tensor;
  biasPerBatch?: boolean;
  /** What the epilogue does (default `store`; see `GemmEpilogue`). */
  epilogue?: GemmEpilogue;
  /** The epilogue's E operand (residual stream or pre-activation), dense and shaped like C. */
  extra?: Tensor;
  /** C is written (or accumulated into) here instead of a new tensor: dense, C's shape. */
  into?: Tensor;
  /** The row sums of A accumulate into this dense [output batches, M] tensor. */
  rowSums?: Tensor;
}

/** An operand as the kernel reads it. */
interface OperandPlan extends OperandRead {
  tensor: Tensor;
  offset: number;
  ld: number;
  /** Stride per batch dimension of the problem (0 where broadcast). */
  strides: number[];
}

/**
 * How an operand is read in place: "normal" when its columns are contiguous (A: along K,
 * B: along N), "transposed" when its rows are; vec4 when sizes and strides allow. Null when
 * neither matrix stride is 1.
 */
function planOperand(view: MatrixView, batch: readonly number[]): OperandPlan | null {
  const lead = batch.length - view.batchShape.length;
  const strides = batch.map((size, d) => {
    if (d < lead) return 0;
    const own = view.batchShape[d - lead];
    return own === 1 && size !== 1 ? 0 : view.batchStrides[d - lead];
  });
  // Normal: A k-contiguous (columns), B n-contiguous (columns). Transposed: rows contiguous.
  const normal = view.colStride === 1 || view.cols === 1;
  const trans = view.rowStride === 1 || view.rows === 1;
  const offset = view.tensor.offset;
  const aligned = (contiguous: number, ld: number) =>
    contiguous % 4 === 0 && ld % 4 === 0 && offset % 4 === 0 && strides.every((s) => s % 4 === 0);
  const tensor = view.tensor;
  const candidates: OperandPlan[] = [];
  if (normal) {
    const ld = view.rowStride;
    candidates.push({ tensor, offset, ld, strides, trans: false, vec4: aligned(view.cols, ld) });
  }
  if (trans) {
    const ld = view.colStride;
    candidates.push({ tensor, offset, ld, strides, trans: true, vec4: aligned(view.rows, ld) });
  }
  return candidates.find((c) => c.vec4) ?? candidates[0] ?? null;
}

/** Kernel batch dimensions after folding and merging. */
interface BatchDims {
  shape: number[];
  a: number[];
  b: number[];
}

const MAX_BATCH_DIMS = 4;

/** Merges neighbouring dimensions whose strides chain in both operands; drops size-1 dims. */
function mergeDims(dims: BatchDims): BatchDims {
  const out: BatchDims = { shape: [], a: [], b: [] };
  for (let d = 0; d < dims.shape.length; d++) {
    const size = dims.shape[d];
    if (size === 1) continue;
    const last = out.shape.length - 1;
    if (
      last >= 0 && out.a[last] === dims.a[d] * size && out.b[last] === dims.b[d] * size
    ) {
      out.shape[last] *= size;
      out.a[last] = dims.a[d];
      out.b[last] = dims.b[d];
      continue;
    }
    out.shape.push(size);
    out.a.push(dims.a[d]);
    out.b.push(dims.b[d]);
  }
  return out;
}

/** Pads a list to 4 entries at the front with `fill`. */
function pad4(values: readonly number[], fill: number): number[] {
  return [...new Array(MAX_BATCH_DIMS - values.length).fill(fill), ...values];
}

/**
 * Runs one batched product and returns C as a new dense tensor of shape
 * `[kept batch dims..., M, N]`.
 *
 * @example
 * ```ts
 * const c = gemm({ a: matrixOf(x), b: matrixOf(w, true), batch: [], reduced: [] });
 * ```
 */
export function gemm(problem: GemmProblem): Tensor {
  const temps: Tensor[] = [];
  const plan = (view: MatrixView): OperandPlan => {
    const direct = planOperand(view, problem.batch);
    if (direct) return direct;
    const dense = asContiguous(view.tensor);
    temps.push(dense);
    return planOperand(matrixOf(dense, view.transposed), problem.batch)!;
  };
  const a = plan(problem.a), b = plan(problem.b);
  let m = problem.a.rows, k = problem.a.cols;
  const n = problem.b.cols;
  const gpu = a.tensor.gpu;

  const keptShape: number[] = [];
  let kept: BatchDims = { shape: [], a: [], b: [] };
  let summed: BatchDims = { shape: [], a: [], b: [] };
  problem.batch.forEach((size, d) => {
    const into = problem.reduced[d] ? summed : kept;
    into.shape.push(size);
    into.a.push(a.strides[d]);
    into.b.push(b.strides[d]);
    if (!problem.reduced[d]) keptShape.push(size);
  });
  kept = mergeDims(kept);
  summed = mergeDims(summed);
  // Fold innermost kept dims that B does not vary over into M: element (z, i) of A sits at
  // z·S + i·rowStride, which is row z·M + i when S = M·rowStride (C's layout is unchanged).
  const aRowStride = a.trans ? 1 : a.ld;
  while (kept.shape.length > 0 && !problem.biasPerBatch) {
    const d = kept.shape.length - 1;
    if (kept.b[d] !== 0 || kept.a[d] !== m * aRowStride) break;
    m *= kept.shape[d];
    kept = { shape: kept.shape.slice(0, d), a: kept.a.slice(0, d), b: kept.b.slice(0, d) };
  }
  // Fold summed dims into K where both operands chain along K (same argument as for M).
  const aK = a.trans ? a.ld : 1, bK = b.trans ? 1 : b.ld;
  for (let d = summed.shape.length - 1; d >= 0; d--) {
    if (summed.a[d] === k * aK && summed.b[d] === k * bK && k > 0) {
      k *= summed.shape[d];
      summed.shape.splice(d, 1);
      summed.a.splice(d, 1);
      summed.b.splice(d, 1);
    }
  }
  if (kept.shape.length > MAX_BATCH_DIMS || summed.shape.length > MAX_BATCH_DIMS) {
    throw new Error(
      `matmul: batch dimensions [${problem.batch}] need more than ${MAX_BATCH_DIMS} ` +
        "non-mergeable strided dimensions; make an operand contiguous first",
    );
  }
  // Vec4 reads along K need K % 4 (the folded K); along M/N the original sizes were checked.
  a.vec4 &&= a.trans ? m % 4 === 0 : k % 4 === 0;
  b.vec4 &&= b.trans ? k % 4 === 0 : n % 4 === 0;

  const outShape = [...keptShape, problem.a.rows, n];
  const out = problem.into ?? empty(outShape, "f32", gpu);
  const epilogue = problem.epilogue ?? "store";
  for (const [what, t] of [["into", problem.into], ["extra", problem.extra]] as const) {
    if (t && (!t.isContiguous || t.size !== sizeOf(outShape))) {
      throw new Error(`matmul: ${what} must be a dense tensor of [${outShape}], got ${t}`);
    }
  }
  if ((epilogue !== "store" && epilogue !== "accumulate") !== (problem.extra !== undefined)) {
    throw new Error(
      `matmul: the ${epilogue} epilogue ${problem.extra ? "takes no" : "needs an"} extra operand`,
    );
  }
  const batches = sizeOf(kept.shape);
  const reductions = sizeOf(summed.shape);
  const bias = problem.bias ? asContiguous(problem.bias) : undefined;
  if (bias && bias !== problem.bias) temps.push(bias);
  const tiling = chooseMatmulTiling(gpu, m, n, batches);
  if (tiling.kind === "blocks") {
    const limit = gpu.device.limits.maxComputeWorkgroupStorageSize;
    if (blockSharedBytes(tiling) > limit) {
      throw new Error(
        `matmul: ${describeTiling(tiling)} needs ${blockSharedBytes(tiling)} bytes of workgroup ` +
          `memory, the device allows ${limit}`,
      );
    }
  }
  const cVec4 = n % 4 === 0 && out.offset % 4 === 0 && (problem.extra?.offset ?? 0) % 4 === 0;
  const kernel = gpu.kernel(
    gemmKernel,
    gemmConstants(tiling, {
      a: { trans: a.trans, vec4: a.vec4 },
      b: { trans: b.trans, vec4: b.vec4 },
      bias: bias !== undefined,
      epilogue,
      rowSums: problem.rowSums !== undefined,
      cVec4,
    }),
  );
  const grid = gemmGrid(tiling, m, n, batches);
  const limit = gpu.device.limits.maxComputeWorkgroupsPerDimension;
  if (grid[0] > limit || grid[1] > limit) {
    throw new Error(`matmul: a [${m}, ${k}] @ [${k}, ${n}] product exceeds the dispatch limit`);
  }
  const buffers: Record<string, GpuBuffer> = {
    A: a.tensor.buffer,
    B: b.tensor.buffer,
    C: out.buffer,
  };
  if (bias) buffers.bias = bias.buffer;
  if (problem.extra) buffers.E = problem.extra.buffer;
  if (problem.rowSums) buffers.S = problem.rowSums.buffer;
  for (let zStart = 0; zStart < batches; zStart += limit) {
    gpu.dispatch(kernel, buffers, {
      m,
      n,
      k,
      r: reductions,
      lda: a.ld,
      ldb: b.ld,
      offA: a.offset,
      offB: b.offset,
      zStart,
      offBias: bias?.offset ?? 0,
      biasStride: problem.biasPerBatch ? n : 0,
      offC: problem.into?.offset ?? 0,
      offE: problem.extra?.offset ?? 0,
      offS: problem.rowSums?.offset ?? 0,
      outShape: pad4(kept.shape, 1),
      redShape: pad4(summed.shape, 1),
      aOut: pad4(kept.a, 0),
      bOut: pad4(kept.b, 0),
      aRed: pad4(summed.a, 0),
      bRed: pad4(summed.b, 0),
    }, [grid[0], grid[1], Math.min(limit, batches - zStart)]);
  }
  for (const t of temps) t.dispose();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Float64 references.

/** A float64 result with its shape. */
export interface ReferenceResult {
  values: Float64Array;
  shape: number[];
}

/**
 * Float64 reference of {@link matmul} on row-major arrays (operands of rank 2 or more).
 *
 * @example
 * ```ts
 * matmulReference([1, 2, 3, 4], [2, 2], [1, 0, 0, 1], [2, 2]).values; // [1, 2, 3, 4]
 * ```
 */
export function matmulReference(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
): ReferenceResult {
  const m = aShape[aShape.length - 2], k = aShape[aShape.length - 1];
  const n = bShape[bShape.length - 1];
  const batch = broadcastShapes(aShape.slice(0, -2), bShape.slice(0, -2));
  const batches = sizeOf(batch);
  const values = new Float64Array(batches * m * n);
  const offsetIn = (shape: readonly number[], z: number) => {
    const own = shape.slice(0, -2);
    const lead = batch.length - own.length;
    let rest = z, offset = 0, stride = shape[shape.length - 2] * shape[shape.length - 1];
    for (let d = batch.length - 1; d >= 0; d--) {
      const q = rest % batch[d];
      rest = Math.floor(rest / batch[d]);
      if (d >= lead) {
        if (own[d - lead] !== 1) offset += q * stride;
        stride *= own[d - lead];
      }
    }
    return offset;
  };
  for (let z = 0; z < batches; z++) {
    const oa = offsetIn(aShape, z), ob = offsetIn(bShape, z);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a[oa + i * k + p] * b[ob + p * n + j];
        values[(z * m + i) * n + j] = acc;
      }
    }
  }
  return { values, shape: [...batch, m, n] };
}

/**
 * Float64 reference of {@link linear}: `x [..., in] @ weight[out, in]^T + bias[out]`.
 *
 * @example
 * ```ts
 * linearReference([1, 2], [2], [1, 1, 0, 1], [2, 2], [0.5, 0]).values; // [3.5, 2]
 * ```
 */
export function linearReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  weight: ArrayLike<number>,
  weightShape: readonly number[],
  bias?: ArrayLike<number>,
): ReferenceResult {
  const [outFeatures, inFeatures] = weightShape;
  const rows = sizeOf(xShape) / inFeatures;
  const values = new Float64Array(rows * outFeatures);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outFeatures; o++) {
      let acc = bias ? bias[o] : 0;
      for (let i = 0; i < inFeatures; i++) {
        acc += x[r * inFeatures + i] * weight[o * inFeatures + i];
      }
      values[r * outFeatures + o] = acc;
    }
  }
  return { values, shape: [...xShape.slice(0, -1), outFeatures] };
}
