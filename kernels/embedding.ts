/**
 * Embedding lookup kernels, forward and backward side by side, with float64 references (the
 * op with autograd is `embedding` in `lib/ops/embedding.ts`).
 *
 * Forward copies row `ids[i]` of `weight` [V, D] to output row i (one kernel, `rows.ts`
 * layout, 4-wide loads when D allows).
 *
 * Backward must add every output-gradient row into the `weight` row of its id, and must be
 * bitwise reproducible. Float atomics would make the order of the additions (hence the
 * rounding) vary from run to run, so the backward is a deterministic counting sort of the
 * positions by id followed by a segmented sum that adds each id's rows in position order:
 *
 * 1. `ranks`: the positions are cut into chunks of 256; per chunk one workgroup loads the ids
 *    into workgroup memory and gives each position its rank among the equal ids before it in
 *    the chunk (a scan of the chunk up to the position), and the chunk's count per id as the
 *    largest rank + 1 (an integer `atomicMax`: the same result in any order).
 * 2. `chunk_prefix` and `bucket_scan`: the [chunks, V] counts become, per id, exclusive
 *    prefixes over chunks (one invocation per id), and the per-id totals become bucket starts
 *    (an exclusive scan in one workgroup).
 * 3. `place`: position i goes to `bucket[id] + before-in-earlier-chunks + rank`, so each
 *    bucket lists its positions in increasing order: a stable sort, identical on every run.
 * 4. `sum`: one workgroup per (id, 64 columns) adds its bucket's gradient rows in that order
 *    and writes the weight-gradient row (zero for ids that do not occur) — every row written
 *    exactly once, so no zero-fill and no atomics.
 *
 * Why not the alternatives: sorting on the CPU needs the ids on the host, which a GPU tensor
 * does not have without a readback that stalls the step; integer atomics for the placement
 * would order positions within a bucket by thread timing; a dense one-hot matmul costs
 * V·N·D multiply-adds (3.2 GFLOP at V=256, N=16384, D=384) against N·D adds here. The sort
 * costs O(N·256 + V·chunks) integer work, small beside the N·D float reads. Measured on
 * lavapipe (2 cores) at V=256, N=16384, D=384: forward ≈ 9 ms, forward + backward ≈ 40 ms.
 *
 * Ids outside [0, V) give NaN output rows and are skipped by backward (the kernel cannot
 * raise; NaN makes the mistake visible in the loss).
 *
 * @module
 */
import { FLAT_GROUP, grid1d } from "../lib/gpu/grid.ts";
import { declareKernel } from "../lib/gpu/program.ts";
import { empty, type Tensor } from "../lib/tensor/tensor.ts";
import {
  alignedForVec4,
  declareRowKernel,
  planRows,
  rowElement,
  rowPrelude,
  runRowKernel,
} from "./rows.ts";

/** Positions per chunk of the counting sort (one workgroup each). */
const CHUNK = 256;
/** Workgroup size of the prefix and scan kernels. */
const SCAN_GROUP = 256;
/** Columns (loads) per workgroup of the segmented sum. */
const SUM_GROUP = 64;

const embeddingKernel = declareRowKernel("embedding", (plan) => {
  const lanes = plan.lanes;
  const elem = plan.elem;
  return {
    storage: [
      { name: "w", access: "read", type: elem },
      { name: "ids", access: "read", type: "i32" },
      { name: "out", access: "read_write", type: elem },
    ],
    uniforms: { rows: "u32", units: "u32", vocab: "u32", idOff: "u32", wOff: "u32", nan: "f32" },
    body: /* wgsl */ `
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  if (!live) { return; }
  let id = ids[p.idOff + row];
  let os = row * p.units;
  if (id >= 0 && id < i32(p.vocab)) {
    let ws = p.wOff + u32(id) * p.units;
    for (var j = lane; j < units; j += ${lanes}u) { out[os + j] = w[ws + j]; }
  } else {
    for (var j = lane; j < units; j += ${lanes}u) { out[os + j] = U(p.nan); }
  }
}`,
  };
});

/** Step 1: per chunk, each position's rank among equal ids before it, and counts per id. */
const ranksKernel = declareKernel("embedding_backward_ranks", () => ({
  storage: [
    { name: "ids", access: "read", type: "i32" },
    { name: "ranks", access: "read_write", type: "u32" },
    { name: "counts", access: "read_write", type: "atomic<u32>" },
  ],
  uniforms: { n: "u32", vocab: "u32", idOff: "u32" },
  body: /* wgsl */ `
var<workgroup> chunkIds: array<i32, ${CHUNK}>;
@compute @workgroup_size(${CHUNK})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let chunk = ${FLAT_GROUP};
  let i = chunk * ${CHUNK}u + lid;
  var id = -1;
  if (i < p.n) { id = ids[p.idOff + i]; }
  let valid = id >= 0 && id < i32(p.vocab);
  chunkIds[lid] = select(-1, id, valid);
  for (var v = lid; v < p.vocab; v += ${CHUNK}u) { atomicStore(&counts[chunk * p.vocab + v], 0u); }
  workgroupBarrier();
  storageBarrier();
  if (valid) {
    var before = 0u;
    for (var k = 0u; k < lid; k++) { before += select(0u, 1u, chunkIds[k] == id); }
    ranks[i] = before;
    // The count is the largest rank + 1: an integer maximum, the same whatever the order.
    atomicMax(&counts[chunk * p.vocab + u32(id)], before + 1u);
  }
}`,
}));

/**
 * Step 2a (one invocation per id): the id's counts over chunks become exclusive prefixes, in
 * place, and `starts[v]` its total.
 */
const chunkPrefixKernel = declareKernel("embedding_backward_chunk_prefix", () => ({
  storage: [
    { name: "counts", access: "read_write", type: "u32" },
    { name: "starts", access: "read_write", type: "u32" },
  ],
  uniforms: { vocab: "u32", chunks: "u32" },
  body: /* wgsl */ `
@compute @workgroup_size(${SCAN_GROUP})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let v = ${FLAT_GROUP} * ${SCAN_GROUP}u + lid;
  if (v >= p.vocab) { return; }
  var run = 0u;
  for (var c = 0u; c < p.chunks; c++) {
    let k = c * p.vocab + v;
    let count = counts[k];
    counts[k] = run;
    run += count;
  }
  starts[v] = run;
}`,
}));

/**
 * Step 2b (one workgroup): the per-id totals become bucket starts (exclusive scan, in place);
 * `starts[V]` is the number of valid positions.
 */
const bucketScanKernel = declareKernel("embedding_backward_bucket_scan", () => ({
  storage: [{ name: "starts", access: "read_write", type: "u32" }],
  uniforms: { vocab: "u32" },
  body: /* wgsl */ `
var<workgroup> sums: array<u32, ${SCAN_GROUP}>;
@compute @workgroup_size(${SCAN_GROUP})
fn main(@builtin(local_invocation_index) lid: u32) {
  let per = (p.vocab + ${SCAN_GROUP - 1}u) / ${SCAN_GROUP}u;
  let first = min(p.vocab, lid * per);
  let last = min(p.vocab, first + per);
  var total = 0u;
  for (var v = first; v < last; v++) { total += starts[v]; }
  sums[lid] = total;
  workgroupBarrier();
  for (var h = 1u; h < ${SCAN_GROUP}u; h <<= 1u) {
    var add = 0u;
    if (lid >= h) { add = sums[lid - h]; }
    workgroupBarrier();
    sums[lid] += add;
    workgroupBarrier();
  }
  var run = sums[lid] - total;
  for (var v = first; v < last; v++) {
    let t = starts[v];
    starts[v] = run;
    run += t;
  }
  if (lid == ${SCAN_GROUP - 1}u) { starts[p.vocab] = sums[lid]; }
}`,
}));

/** Step 3: each valid position to its place in its id's bucket. */
const placeKernel = declareKernel("embedding_backward_place", () => ({
  storage: [
    { name: "ids", access: "read", type: "i32" },
    { name: "ranks", access: "read", type: "u32" },
    { name: "counts", access: "read", type: "u32" },
    { name: "starts", access: "read", type: "u32" },
    { name: "sorted", access: "read_write", type: "u32" },
  ],
  uniforms: { n: "u32", vocab: "u32", idOff: "u32" },
  body: /* wgsl */ `
@compute @workgroup_size(${CHUNK})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let chunk = ${FLAT_GROUP};
  let i = chunk * ${CHUNK}u + lid;
  if (i >= p.n) { return; }
  let id = ids[p.idOff + i];
  if (id < 0 || id >= i32(p.vocab)) { return; }
  let v = u32(id);
  sorted[starts[v] + counts[chunk * p.vocab + v] + ranks[i]] = i;
}`,
}));

/** Step 4: weight-gradient row v = Σ of gradient rows of v's bucket, in position order. */
const sumKernel = declareKernel("embedding_backward_sum", (c: { width: 1 | 4 }) => {
  const type = rowElement(c.width);
  return {
    storage: [
      { name: "g", access: "read", type },
      { name: "sorted", access: "read", type: "u32" },
      { name: "starts", access: "read", type: "u32" },
      { name: "dw", access: "read_write", type },
    ],
    uniforms: { units: "u32", columnGroups: "u32", gOff: "u32", vocab: "u32" },
    body: /* wgsl */ `
@compute @workgroup_size(${SUM_GROUP})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let flat = ${FLAT_GROUP};
  let v = flat / p.columnGroups;
  let u = (flat % p.columnGroups) * ${SUM_GROUP}u + lid;
  if (v >= p.vocab || u >= p.units) { return; }
  var acc = ${type}(0.0);
  let last = starts[v + 1u];
  for (var k = starts[v]; k < last; k++) { acc += g[p.gOff + sorted[k] * p.units + u]; }
  dw[v * p.units + u] = acc;
}`,
  };
});

/**
 * Rows of dense `weight` [V, D] picked by dense i32 `ids` into a new [...ids.shape, D] tensor
 * (NaN rows for ids outside [0, V)).
 *
 * @example
 * ```ts
 * const h = embeddingForward(wte, tokens);
 * ```
 */
export function embeddingForward(weight: Tensor, ids: Tensor): Tensor {
  const [vocab, dim] = weight.shape;
  const n = ids.size;
  const gpu = weight.gpu;
  const out = empty([...ids.shape, dim], "f32", gpu);
  if (dim > 0) {
    const plan = planRows(gpu, n, dim, alignedForVec4(weight.offset));
    runRowKernel(
      gpu,
      embeddingKernel,
      plan,
      {},
      { w: weight.buffer, ids: ids.buffer, out: out.buffer },
      {
        rows: n,
        units: plan.units,
        vocab,
        idOff: ids.offset,
        wOff: weight.offset / plan.width,
        nan: NaN,
      },
    );
  }
  return out;
}

/**
 * The weight gradient [vocab, dim] of an embedding lookup: each row of the dense output
 * gradient `g` added into its id's row, deterministically (see the module doc).
 *
 * @example
 * ```ts
 * const dw = embeddingBackward(g, ids, 256, 384);
 * ```
 */
export function embeddingBackward(g: Tensor, ids: Tensor, vocab: number, dim: number): Tensor {
  const gpu = ids.gpu;
  const n = ids.size;
  const dw = empty([vocab, dim], "f32", gpu);
  if (vocab === 0 || dim === 0) return dw;
  const chunks = Math.ceil(n / CHUNK);
  const ranks = empty([n], "i32", gpu);
  const counts = empty([Math.max(1, chunks * vocab)], "i32", gpu);
  const starts = empty([vocab + 1], "i32", gpu);
  const sorted = empty([n], "i32", gpu);
  const sortUniforms = { n, vocab, idOff: ids.offset };
  gpu.run(
    ranksKernel,
    {},
    { ids: ids.buffer, ranks: ranks.buffer, counts: counts.buffer },
    sortUniforms,
    grid1d(chunks, 1),
  );
  gpu.run(
    chunkPrefixKernel,
    {},
    { counts: counts.buffer, starts: starts.buffer },
    { vocab, chunks },
    grid1d(vocab, SCAN_GROUP),
  );
  gpu.run(bucketScanKernel, {}, { starts: starts.buffer }, { vocab }, [1]);
  gpu.run(
    placeKernel,
    {},
    {
      ids: ids.buffer,
      ranks: ranks.buffer,
      counts: counts.buffer,
      starts: starts.buffer,
      sorted: sorted.buffer,
    },
    sortUniforms,
    grid1d(chunks, 1),
  );
  const width = dim % 4 === 0 && alignedForVec4(g.offset) ? 4 : 1;
  const units = dim / width;
  const columnGroups = Math.ceil(units / SUM_GROUP);
  gpu.run(
    sumKernel,
    { width },
    { g: g.buffer, sorted: sorted.buffer, starts: starts.buffer, dw: dw.buffer },
    { units, columnGroups, gOff: g.offset / width, vocab },
    grid1d(vocab * columnGroups, 1),
  );
  for (const t of [ranks, counts, starts, sorted]) t.dispose();
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
