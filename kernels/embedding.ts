/**
 * Embedding lookup kernels, forward and backward side by side, with float64 references (the
 * op with autograd is `embedding` in `lib/ops/embedding.ts`).
 *
 * Forward copies row `ids[i]` of `weight` [V, D] to output row i, optionally adding the row's
 * position embedding (row `i % T` of a [T, D] table): one kernel, `rows.ts` layout, 4-wide
 * loads when D allows. With a runs axis (rows in R runs of `rowsPerRun`), each run reads its own
 * tables ([R, V, D] and [R, T, D]).
 *
 * Backward must add every output-gradient row into the table row of its id, and must be bitwise
 * reproducible: float atomics would make the order of the additions (hence the rounding) vary
 * from run to run. So one kernel walks each run's rows in position order and adds each row into
 * its id's table row, one invocation per column of a block of ids — every table element has
 * one writer that adds its rows in order, no atomics — and sums each position of a learned
 * position table over the batch the same way. Blocks of ids (all of them in one block on a CPU
 * adapter, one id per block on a GPU) set the parallelism; each block's workgroup reads every
 * id of its run, so the work is N·(blocks + D) — linear in the positions for CPU adapters.
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
  rowElement,
  rowPrelude,
  runRowKernel,
} from "./rows.ts";

/** Columns (loads) per workgroup of the backward. */
const SUM_GROUP = 64;
/** Workgroups the backward aims for: a few per core on CPU adapters, many on GPUs. */
const CPU_TARGET_GROUPS = 8;
const GPU_TARGET_GROUPS = 2048;
/** Mesa's lavapipe silently stops a loop after this many iterations per invocation. */
const LAVAPIPE_LOOP_LIMIT = 65535;

const embeddingKernel = declareRowKernel<{ positions: boolean }>("embedding", (plan, c) => {
  const lanes = plan.lanes;
  const elem = plan.elem;
  const storage: StorageDecl[] = [
    { name: "w", access: "read", type: elem },
    { name: "ids", access: "read", type: "i32" },
  ];
  if (c.positions) storage.push({ name: "pos", access: "read", type: elem });
  storage.push({ name: "out", access: "read_write", type: elem });
  const add = c.positions ? " + pos[ps + j]" : "";
  return {
    storage,
    uniforms: {
      rows: "u32",
      units: "u32",
      vocab: "u32",
      idOff: "u32",
      wOff: "u32",
      wRunStride: "u32",
      posOff: "u32",
      posRunStride: "u32",
      context: "u32",
      rowsPerRun: "u32",
      outOff: "u32",
      nan: "f32",
    },
    body: /* wgsl */ `
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  if (!live) { return; }
  let run = row / p.rowsPerRun;
  let id = ids[p.idOff + row];
  let os = p.outOff + row * p.units;
  let ps = p.posOff + run * p.posRunStride + (row % p.context) * p.units;
  if (id >= 0 && id < i32(p.vocab)) {
    let ws = p.wOff + run * p.wRunStride + u32(id) * p.units;
    for (var j = lane; j < units; j += ${lanes}u) { out[os + j] = w[ws + j]${add}; }
  } else {
    for (var j = lane; j < units; j += ${lanes}u) { out[os + j] = U(p.nan); }
  }
}`,
  };
});

/**
 * Table gradients by walking rows in order: a workgroup per (run, column chunk, block of ids)
 * whose lanes own one column each and add every row whose id falls in the block into that id's
 * table row (the id is the same for every lane, so rows of other blocks cost one load); a
 * workgroup per (run, chunk, block of positions) sums each position's rows over the batch.
 * Each table element has one writer that adds its rows in position order.
 */
const backwardKernel = declareKernel(
  "embedding_backward",
  (c: { width: 1 | 4; positions: boolean; accumulate: boolean }) => {
    const type = rowElement(c.width);
    const storage: StorageDecl[] = [
      { name: "g", access: "read", type },
      { name: "ids", access: "read", type: "i32" },
      { name: "dw", access: "read_write", type },
    ];
    if (c.positions) storage.push({ name: "dpos", access: "read_write", type });
    const zero = (target: string, index: string) =>
      c.accumulate ? "" : `${target}[${index}] = ${type}(0.0);`;
    return {
      storage,
      uniforms: {
        units: "u32",
        columnGroups: "u32",
        gOff: "u32",
        idOff: "u32",
        vocab: "u32",
        idBlock: "u32",
        idBlocks: "u32",
        runs: "u32",
        rowsPerRun: "u32",
        context: "u32",
        positionBlock: "u32",
        posRows: "u32",
        dwOff: "u32",
        dposOff: "u32",
      },
      body: /* wgsl */ `
@compute @workgroup_size(${SUM_GROUP})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let flat = ${FLAT_GROUP};
  let chunk = flat % p.columnGroups;
  let job = flat / p.columnGroups;
  let u = chunk * ${SUM_GROUP}u + lid;
  let tokenJobs = p.runs * p.idBlocks;
  if (u >= p.units) { return; }
  if (job < tokenJobs) {
    let run = job / p.idBlocks;
    let first = (job % p.idBlocks) * p.idBlock;
    let last = min(first + p.idBlock, p.vocab);
    let table = p.dwOff + run * p.vocab * p.units + u;
    for (var v = first; v < last; v++) { ${zero("dw", "table + v * p.units")} }
    let rows = run * p.rowsPerRun;
    for (var i = rows; i < rows + p.rowsPerRun; i++) {
      let v = u32(ids[p.idOff + i]);
      if (v >= first && v < last) {
        let at = table + v * p.units;
        dw[at] = dw[at] + g[p.gOff + i * p.units + u];
      }
    }
    return;
  }${
        c.positions
          ? `
  let pj = job - tokenJobs;
  let blocks = (p.context + p.positionBlock - 1u) / p.positionBlock;
  if (pj >= p.runs * blocks) { return; }
  let run = pj / blocks;
  let first = (pj % blocks) * p.positionBlock;
  let rows = run * p.rowsPerRun;
  for (var t = first; t < min(first + p.positionBlock, p.context); t++) {
    var acc = ${type}(0.0);
    for (var i = rows + t; i < rows + p.rowsPerRun; i += p.context) {
      acc += g[p.gOff + i * p.units + u];
    }
    let at = p.dposOff + (run * p.posRows + t) * p.units + u;
    dpos[at] = dpos[at] + acc;
  }`
          : ""
      }
}`,
    };
  },
);

/** The tables of a lookup with a runs axis. */
export interface EmbeddingTables {
  /** Token table [V, D], or [R, V, D] with runs. */
  weight: Tensor;
  /**
   * Position table [P, D] shared by all runs, or [R, P, D] (P ≥ the context); none to skip.
   * Row i of the output adds position `i mod context`.
   */
  positions?: Tensor;
  /** Positions per sequence (required with `positions`). */
  context?: number;
  /** Rows per run (default: all rows are one run). */
  rowsPerRun?: number;
}

function runsOf(rows: number, rowsPerRun: number | undefined): number {
  const per = rowsPerRun ?? rows;
  if (!Number.isInteger(per) || per < 1 || rows % per !== 0) {
    throw new Error(`embedding: ${rows} rows do not split into runs of ${rowsPerRun} rows`);
  }
  return rows / per;
}

/**
 * Rows of the token table picked by dense i32 `ids` (plus their position rows) into `into` or
 * a new [...ids.shape, D] tensor (NaN rows for ids outside [0, V)).
 *
 * @example
 * ```ts
 * const h = embeddingForward({ weight: wte }, tokens);
 * embeddingForward({ weight: wte, positions: wpe, context: T, rowsPerRun: B * T }, ids, x);
 * ```
 */
export function embeddingForward(tables: EmbeddingTables, ids: Tensor, into?: Tensor): Tensor {
  const { weight, positions } = tables;
  const [vocab, dim] = weight.shape.slice(-2);
  const n = ids.size;
  const runs = runsOf(n, tables.rowsPerRun);
  const gpu = weight.gpu;
  if (into && (!into.isContiguous || into.size !== n * dim)) {
    throw new Error(`embedding: the output must be a dense tensor of ${n * dim} elements`);
  }
  const out = into ?? empty([...ids.shape, dim], "f32", gpu);
  if (dim > 0 && n > 0) {
    const context = tables.context ?? 1;
    if (positions && !(context >= 1 && context <= positions.shape[positions.rank - 2])) {
      throw new Error(`embedding: context ${tables.context} does not fit the position table`);
    }
    const tableRows = positions?.shape[positions.rank - 2] ?? 0;
    const aligned = alignedForVec4(weight.offset, positions?.offset ?? 0, out.offset);
    const plan = planRows(gpu, n, dim, aligned);
    const buffers: Record<string, GpuBuffer> = {
      w: weight.buffer,
      ids: ids.buffer,
      out: out.buffer,
    };
    if (positions) buffers.pos = positions.buffer;
    const units = plan.units;
    runRowKernel(gpu, embeddingKernel, plan, { positions: positions !== undefined }, buffers, {
      rows: n,
      units,
      vocab,
      idOff: ids.offset,
      wOff: weight.offset / plan.width,
      wRunStride: weight.rank === 3 ? vocab * units : 0,
      posOff: (positions?.offset ?? 0) / plan.width,
      posRunStride: positions?.rank === 3 ? tableRows * units : 0,
      context,
      rowsPerRun: n / runs,
      outOff: out.offset / plan.width,
      nan: NaN,
    });
  }
  return out;
}

/** Where the table gradients of a lookup go. */
export interface EmbeddingGradTargets {
  /** Rows per run (default: one run). */
  rowsPerRun?: number;
  /** Positions per sequence, to also sum the position-table gradient into `dpos` [R, P, D]. */
  context?: number;
  /** Added into these dense tensors (default: a new token-table gradient is written). */
  dw?: Tensor;
  dpos?: Tensor;
}

/**
 * The token-table gradient [R, vocab, dim] (and, with `context`, the position-table gradient)
 * of a lookup: each row of the dense output gradient `g` added into its id's row in position
 * order, deterministically (see the module doc); written to a new tensor or added into the
 * targets.
 *
 * @example
 * ```ts
 * const dw = embeddingBackward(g, ids, 256, 384);
 * embeddingBackward(g, ids, 256, 32, { rowsPerRun: 512, context: 32, dw: wteGrad, dpos: wpeGrad });
 * ```
 */
export function embeddingBackward(
  g: Tensor,
  ids: Tensor,
  vocab: number,
  dim: number,
  targets: EmbeddingGradTargets = {},
): Tensor {
  const gpu = ids.gpu;
  const n = ids.size;
  const runs = runsOf(n, targets.rowsPerRun);
  const accumulate = targets.dw !== undefined;
  if ((targets.dpos !== undefined) !== (targets.context !== undefined)) {
    throw new Error("embedding: a position gradient needs its context, and the other way round");
  }
  if (targets.dpos && !accumulate) {
    throw new Error("embedding: position gradients are only accumulated into a target");
  }
  if (gpu.isCpu && n / runs > LAVAPIPE_LOOP_LIMIT) {
    throw new Error(
      `embedding: ${n / runs} positions per run exceed the ${LAVAPIPE_LOOP_LIMIT} loop ` +
        "iterations a CPU adapter runs per invocation; use smaller batches",
    );
  }
  const dw = targets.dw ?? empty(runs === 1 ? [vocab, dim] : [runs, vocab, dim], "f32", gpu);
  if (vocab === 0 || dim === 0) return dw;
  const width: 1 | 4 = dim % 4 === 0 &&
      alignedForVec4(g.offset, dw.offset, targets.dpos?.offset ?? 0)
    ? 4
    : 1;
  const units = dim / width;
  const columnGroups = Math.ceil(units / SUM_GROUP);
  const context = targets.context ?? 0;
  // Blocks of ids (and of positions) for about `target` workgroups: each token workgroup
  // loads every id of its run, so more blocks cost more loads.
  const target = gpu.isCpu ? CPU_TARGET_GROUPS : GPU_TARGET_GROUPS;
  const blocks = Math.max(1, Math.round(target / (runs * columnGroups)));
  const idBlock = Math.ceil(vocab / Math.min(vocab, blocks));
  const idBlocks = Math.ceil(vocab / idBlock);
  const positionBlock = Math.max(1, Math.ceil(context / Math.min(context, blocks)));
  const positionBlocks = targets.dpos ? Math.ceil(context / positionBlock) : 0;
  const buffers: Record<string, GpuBuffer> = { g: g.buffer, ids: ids.buffer, dw: dw.buffer };
  if (targets.dpos) buffers.dpos = targets.dpos.buffer;
  const jobs = runs * (idBlocks + positionBlocks);
  gpu.run(backwardKernel, { width, positions: targets.dpos !== undefined, accumulate }, buffers, {
    units,
    columnGroups,
    gOff: g.offset / width,
    idOff: ids.offset,
    vocab,
    idBlock,
    idBlocks,
    runs,
    rowsPerRun: n / runs,
    context,
    positionBlock,
    posRows: targets.dpos ? targets.dpos.shape[targets.dpos.rank - 2] : 0,
    dwOff: dw.offset / width,
    dposOff: (targets.dpos?.offset ?? 0) / width,
  }, grid1d(jobs * columnGroups, 1));
  return dw;
}

/**
 * Float64 reference of `embedding`: rows of `weight` (row-major, `dim` columns) by id;
 * ids outside the table give NaN rows.
 *
 * @example
 * ```ts
 * embeddingReference([1, 2, 3, 4], 2, [1, 0]); // [3, 4, 1, 2]
 * ```
 */
export function embeddingReference(
  weight: ArrayLike<number>,
  dim: number,
  ids: ArrayLike<number>,
): Float64Array {
  const vocab = weight.length / dim;
  const out = new Float64Array(ids.length * dim);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    for (let j = 0; j < dim; j++) {
      out[i * dim + j] = id >= 0 && id < vocab ? weight[id * dim + j] : NaN;
    }
  }
  return out;
}

/**
 * Float64 reference of `embedding`'s weight gradient: row v is the sum of the rows of `g`
 * (row-major, `dim` columns) whose id is v.
 *
 * @example
 * ```ts
 * embeddingBackwardReference([1, 2, 3], 1, [0, 0, 1], 2); // [3, 3]
 * ```
 */
export function embeddingBackwardReference(
  g: ArrayLike<number>,
  dim: number,
  ids: ArrayLike<number>,
  vocab: number,
): Float64Array {
  const dw = new Float64Array(vocab * dim);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < vocab)) continue;
    for (let j = 0; j < dim; j++) dw[id * dim + j] += g[i * dim + j];
  }
  return dw;
}
