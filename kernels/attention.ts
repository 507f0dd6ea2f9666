/**
 * Fused causal self-attention, FlashAttention-style: `softmax(Q Kᵀ · scale + causal mask) V`
 * without ever writing the T×T score matrix to global memory, and its backward.
 *
 * Forward (one dispatch): each invocation owns query rows with their scaled query and output
 * accumulator in registers, walks the keys up to the diagonal keeping a running maximum and
 * sum per row (online softmax in base 2; the output is rescaled per key on CPUs, per chunk of
 * 8 keys on GPUs), and writes the output and the row's logsumexp `lse = log Σⱼ exp(sᵢⱼ)` of
 * the scaled, masked scores — the only per-row state saved for backward.
 *
 * Backward (two dispatches, FlashAttention-2, deterministic: every gradient element is written
 * by exactly one invocation in a fixed order, no atomics):
 * 1. query pass, per query row i: `Dᵢ = Σ_d dOᵢ·Oᵢ`, then over keys up to the diagonal
 *    `Pᵢⱼ = exp(sᵢⱼ − lseᵢ)` recomputed, `dSᵢⱼ = Pᵢⱼ (dOᵢ·Vⱼ − Dᵢ)`, `dQᵢ = scale Σⱼ dSᵢⱼ Kⱼ`;
 *    it stores (lseᵢ, Dᵢ) side by side for pass 2;
 * 2. key pass, per key j, over queries from the diagonal on: `dVⱼ = Σᵢ Pᵢⱼ dOᵢ` and
 *    `dKⱼ = scale Σᵢ dSᵢⱼ Qᵢ`.
 *
 * Two kernel families (see `attention_wgsl.ts`): register tiles read straight from storage on
 * CPU adapters (lavapipe), workgroup-memory tiles on GPUs; both specialize on the head
 * dimension D. Every operand is read and every gradient written through strides:
 * `causalAttention` takes any [B, H, T, D] views (e.g. `permute` of [B, T, H, D]) and can lay
 * its output out as [B, T, H, D] (option `layout: "bthd"`); `causalSelfAttention` works
 * straight on a GPT block's stacked [B, T, 3·C] projection, with no layout copies at all.
 *
 * @module
 */
import { grid1d } from "../lib/gpu/grid.ts";
import { type Gpu, type KernelSource, Params } from "../lib/gpu/runtime.ts";
import { record } from "../lib/tensor/autograd.ts";
import { empty, type Tensor } from "../lib/tensor/tensor.ts";
import {
  type AttentionFamily,
  type AttentionVariant,
  BLOCK_CHUNK,
  forwardSource,
  gradKeyValueSource,
  gradQuerySource,
  groupRows,
} from "./attention_wgsl.ts";
import { isCpuAdapter } from "./matmul.ts";

/** Largest head dimension compiled. */
export const MAX_HEAD_DIM = 256;
/** Largest tile of keys (or queries) a blocks kernel stages in workgroup memory. */
const MAX_BLOCK_TILE = 64;
/**
 * Vec4 registers a lanes invocation may hold for its rows (q and o forward; q, dO and dq or
 * k, v, dk and dv backward). More rows per invocation means more multiply-adds per load, but
 * LLVM's compile time and spills grow with it.
 */
const LANE_REGISTER_BUDGET = 128;
/** Most rows a lanes invocation owns. */
const MAX_LANE_ROWS = 8;

/** Memory order of the attention output. */
export type AttentionLayout = "bhtd" | "bthd";

/** Options of {@link causalAttention}. */
export interface AttentionOptions {
  /** Multiplier of Q·Kᵀ before the softmax (default 1/√D). */
  scale?: number;
  /**
   * Memory order of the output, whose shape is [B, H, T, D] either way: `"bhtd"` (default) is
   * dense; `"bthd"` stores it as [B, T, H, D], so `permute(out, [0, 2, 1, 3])` is dense and
   * reshaping it to [B, T, H·D] copies nothing.
   */
  layout?: AttentionLayout;
}

/** Which kernel family runs attention: the adapter's choice or one family. */
export type AttentionKernelChoice = "auto" | AttentionFamily;

let forcedFamily: AttentionKernelChoice = "auto";

/**
 * Forces the register-tiled CPU kernels (`"lanes"`) or the workgroup-memory GPU kernels
 * (`"blocks"`) on any adapter, or returns to the adapter's choice (`"auto"`). Both are
 * correct everywhere; this is for tests and benchmarks.
 *
 * @example
 * ```ts
 * setAttentionKernels("blocks");
 * const y = causalAttention(q, k, v); // GPU kernels, even on lavapipe
 * setAttentionKernels("auto");
 * ```
 */
export function setAttentionKernels(choice: AttentionKernelChoice): void {
  if (choice !== "auto" && choice !== "lanes" && choice !== "blocks") {
    throw new Error(
      `setAttentionKernels: unknown choice "${choice}", expected auto, lanes or blocks`,
    );
  }
  forcedFamily = choice;
}

/** The family that runs on `gpu` now. */
function familyFor(gpu: Gpu): AttentionFamily {
  if (forcedFamily !== "auto") return forcedFamily;
  return isCpuAdapter(gpu.adapterName) ? "lanes" : "blocks";
}

/** Whether every operand can be read as vec4 (unit stride along D, aligned offsets/strides). */
function vec4Readable(d: number, operands: readonly Tensor[]): boolean {
  if (d % 4 !== 0) return false;
  return operands.every((t) =>
    t.strides[3] === 1 && t.offset % 4 === 0 && t.strides.slice(0, 3).every((s) => s % 4 === 0)
  );
}

/**
 * The kernel variant for one pass. `registersPerRow` is how many D-long rows an invocation
 * holds per owned row (lanes); `extraPerRow` the workgroup bytes per tile row besides the two
 * vec4 tiles (blocks).
 */
function variantFor(
  gpu: Gpu,
  d: number,
  operands: readonly Tensor[],
  registersPerRow: number,
  extraPerRow: number,
): AttentionVariant {
  const family = familyFor(gpu);
  const d4 = Math.ceil(d / 4);
  if (family === "lanes") {
    const rows = Math.floor(LANE_REGISTER_BUDGET / (registersPerRow * d4));
    const tile = Math.max(1, Math.min(MAX_LANE_ROWS, rows));
    return { family, d, tile, vec4: vec4Readable(d, operands) };
  }
  const limit = gpu.device.limits.maxComputeWorkgroupStorageSize;
  const perRow = 2 * d4 * 16 + extraPerRow;
  const tile = Math.min(MAX_BLOCK_TILE, Math.floor(limit / perRow / BLOCK_CHUNK) * BLOCK_CHUNK);
  if (tile < BLOCK_CHUNK) {
    throw new Error(
      `causalAttention: head dimension ${d} needs ${BLOCK_CHUNK * perRow} bytes of workgroup ` +
        `memory, the device allows ${limit}`,
    );
  }
  return { family, d, tile, vec4: false };
}

/** Sizes of one attention call. */
interface Dims {
  b: number;
  h: number;
  t: number;
  d: number;
  scale: number;
}

/** [B, H, T, D] views of the operands of one call (any strides). */
interface Heads {
  q: Tensor;
  k: Tensor;
  v: Tensor;
}

/** [B, H, T, D] views the gradients are written through: one set of strides, any offsets. */
interface HeadGrads {
  dq: Tensor;
  dk: Tensor;
  dv: Tensor;
}

/** Records one dispatch of `variant`'s kernel over every (batch·head, row tile). */
function run(
  gpu: Gpu,
  source: KernelSource,
  variant: AttentionVariant,
  dims: Dims,
  buffers: readonly Tensor[],
  operands: Heads & { o: Tensor; g?: Tensor; grads?: HeadGrads },
): void {
  const tiles = Math.ceil(dims.t / groupRows(variant));
  const groups = dims.b * dims.h * tiles;
  const { q, k, v, o, g, grads } = operands;
  const zeros = [0, 0, 0, 0];
  const params = new Params()
    .u32(dims.b * dims.h, dims.h, dims.t, tiles)
    .f32(dims.scale * Math.LOG2E, dims.scale)
    .u32(groups, 0)
    .u32(q.offset, k.offset, v.offset, o.offset)
    .u32(g?.offset ?? 0, 0, 0, 0)
    .u32(...q.strides, ...k.strides, ...v.strides, ...o.strides)
    .u32(...(g ? g.strides : zeros))
    .u32(...(grads ? [grads.dq.offset, grads.dk.offset, grads.dv.offset, 0] : zeros))
    .u32(...(grads ? grads.dq.strides : zeros));
  gpu.dispatch(gpu.kernel(source), buffers.map((t) => t.buffer), params, grid1d(groups, 1));
}

/** Forward into `out` (a [B, H, T, D] view); returns the per-row logsumexp [B, H, T]. */
function attendForward(gpu: Gpu, dims: Dims, heads: Heads, out: Tensor): Tensor {
  const { q, k, v } = heads;
  const lse = empty([dims.b, dims.h, dims.t], "f32", gpu);
  const variant = variantFor(gpu, dims.d, [q, k, v, out], 2, 0);
  run(gpu, forwardSource(variant), variant, dims, [q, k, v, out, lse], { ...heads, o: out });
  return lse;
}

/** Backward given the output `out`, its logsumexp and gradient `g`, into `grads`. */
function attendBackward(
  gpu: Gpu,
  dims: Dims,
  heads: Heads,
  out: Tensor,
  lse: Tensor,
  g: Tensor,
  grads: HeadGrads,
): void {
  const { q, k, v } = heads;
  const { dq, dk, dv } = grads;
  const operands = { ...heads, o: out, g, grads };
  const all = [q, k, v, out, g, dq, dk, dv];
  const stats = empty([dims.b, dims.h, dims.t, 2], "f32", gpu);
  const query = variantFor(gpu, dims.d, all, 3, 0);
  run(gpu, gradQuerySource(query), query, dims, [q, k, v, out, g, lse, dq, stats], operands);
  const keyValue = variantFor(gpu, dims.d, all, 4, 8);
  const buffers = [q, k, v, g, stats, dk, dv];
  run(gpu, gradKeyValueSource(keyValue), keyValue, dims, buffers, operands);
  stats.dispose();
}

function describe(t: Tensor): string {
  return `[${t.shape.join(", ")}]`;
}

/** Checks dtype and rank of one operand. */
function checkOperand(op: string, name: string, t: Tensor, rank: number, dims: string): void {
  if (t.dtype !== "f32") throw new Error(`${op}: ${name} has dtype ${t.dtype}, expected f32`);
  if (t.rank !== rank) {
    throw new Error(
      `${op}: ${name} has shape ${describe(t)}, expected ${rank} dimensions ${dims}`,
    );
  }
}

function checkHeadDim(op: string, d: number, context: string): void {
  if (!(d >= 1 && d <= MAX_HEAD_DIM)) {
    throw new Error(
      `${op}: head dimension D = ${d} (${context}) is not supported, expected 1 to ${MAX_HEAD_DIM}`,
    );
  }
}

function checkScale(op: string, scale: number): void {
  if (!Number.isFinite(scale)) {
    throw new Error(`${op}: scale must be a finite number, got ${scale}`);
  }
}

function validate(q: Tensor, k: Tensor, v: Tensor, scale: number, layout: string): void {
  const op = "causalAttention";
  const named: [string, Tensor][] = [["q", q], ["k", k], ["v", v]];
  for (const [name, t] of named) checkOperand(op, name, t, 4, "[B, H, T, D]");
  for (const [name, t] of named.slice(1)) {
    if (t.shape.some((x, i) => x !== q.shape[i])) {
      throw new Error(
        `${op}: ${name} has shape ${describe(t)}, expected ${describe(q)} (the shape of q)`,
      );
    }
    if (t.gpu !== q.gpu) throw new Error(`${op}: ${name} lives on another GPU than q`);
  }
  checkHeadDim(op, q.shape[3], `q shape ${describe(q)}`);
  checkScale(op, scale);
  if (layout !== "bhtd" && layout !== "bthd") {
    throw new Error(`${op}: layout "${layout}" is unknown, expected "bhtd" or "bthd"`);
  }
}

/** A new [B, H, T, D] tensor stored in `layout` order (a permuted view for "bthd"). */
function outputTensor(gpu: Gpu, shape: readonly number[], layout: AttentionLayout): Tensor {
  if (layout === "bhtd") return empty(shape, "f32", gpu);
  const [b, h, t, d] = shape;
  const storage = empty([b, t, h, d], "f32", gpu);
  const view = storage.view([b, h, t, d], [t * h * d, d, h * d, 1], 0);
  storage.dispose();
  return view;
}

/**
 * Causal self-attention `softmax(q kᵀ · scale + mask) v` over [B, H, T, D] tensors, fused
 * (flash-attention: the T×T scores never reach global memory), with its backward.
 *
 * q, k and v may be any strided views of shape [B, H, T, D] (for example
 * `permute(x, [0, 2, 1, 3])` of a [B, T, H, D] tensor); the output is a new [B, H, T, D]
 * tensor, dense unless `options.layout` is `"bthd"`. Query i attends to keys 0..i. Gradients
 * flow to q, k and v; they come back dense [B, H, T, D]. Head dimensions 1 to
 * {@link MAX_HEAD_DIM} (kernels specialized per D; multiples of 4 with unit stride along D
 * read fastest). For the stacked [B, T, 3·C] projection of a GPT block,
 * {@link causalSelfAttention} avoids every layout copy.
 *
 * @example
 * ```ts
 * const q = randn([2, 4, 64, 16]), k = randn([2, 4, 64, 16]), v = randn([2, 4, 64, 16]);
 * const y = causalAttention(q, k, v); // [2, 4, 64, 16]
 * const merged = reshape(permute(causalAttention(q, k, v, { layout: "bthd" }), [0, 2, 1, 3]), [
 *   2, 64, 64,
 * ]); // [B, T, H·D] without a copy
 * ```
 */
export function causalAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): Tensor {
  const layout = options.layout ?? "bhtd";
  const scale = options.scale ?? 1 / Math.sqrt(q.shape[3] ?? 1);
  validate(q, k, v, scale, layout);
  const gpu = q.gpu;
  const [b, h, t, d] = q.shape;
  const dims: Dims = { b, h, t, d, scale };
  const out = outputTensor(gpu, q.shape, layout);
  const lse = attendForward(gpu, dims, { q, k, v }, out);
  record("causalAttention", out, [q, k, v], [q, k, v, out, lse], (g, saved) => {
    const [sq, sk, sv, so, sl] = saved;
    const grads = {
      dq: empty(q.shape, "f32", gpu),
      dk: empty(q.shape, "f32", gpu),
      dv: empty(q.shape, "f32", gpu),
    };
    attendBackward(gpu, dims, { q: sq, k: sk, v: sv }, so, sl, g, grads);
    return [grads.dq, grads.dk, grads.dv];
  });
  lse.dispose();
  return out;
}

/** Options of {@link causalSelfAttention}. */
export interface SelfAttentionOptions {
  /** Multiplier of Q·Kᵀ before the softmax (default 1/√D). */
  scale?: number;
}

/** The [B, H, T, D] view of head-split columns `[at, at + H·D)` of a [B, T, ·] tensor. */
function headView(x: Tensor, heads: number, d: number, at: number): Tensor {
  const [b, t] = x.shape;
  const [s0, s1, s2] = x.strides;
  return x.view([b, heads, t, d], [s0, d * s2, s1, s2], x.offset + at * s2);
}

/**
 * Causal multi-head self-attention straight from a GPT block's stacked projection: `qkv` is
 * [B, T, 3·C] with q, k, v in that order along the last dimension (nanoGPT's `c_attn`
 * output) and each split into `heads` heads of D = C / heads; returns the heads merged back,
 * [B, T, C] dense, ready for the output projection. q, k and v are read in place and the
 * gradient is written straight into one dense [B, T, 3·C] tensor: no layout copies either way.
 *
 * @example
 * ```ts
 * const qkv = linear(x, cAttnWeight, cAttnBias); // [B, T, 3·C]
 * const y = causalSelfAttention(qkv, 6);          // [B, T, C]
 * ```
 */
export function causalSelfAttention(
  qkv: Tensor,
  heads: number,
  options: SelfAttentionOptions = {},
): Tensor {
  const op = "causalSelfAttention";
  checkOperand(op, "qkv", qkv, 3, "[B, T, 3·C]");
  if (!Number.isInteger(heads) || heads < 1) {
    throw new Error(`${op}: heads must be a positive integer, got ${heads}`);
  }
  const [b, t, width] = qkv.shape;
  const d = width / (3 * heads);
  if (!Number.isInteger(d)) {
    throw new Error(
      `${op}: the last dimension ${width} of qkv ${describe(qkv)} is not 3 · ${heads} heads · D`,
    );
  }
  checkHeadDim(op, d, `qkv shape ${describe(qkv)} with ${heads} heads`);
  const scale = options.scale ?? 1 / Math.sqrt(d);
  checkScale(op, scale);
  const gpu = qkv.gpu;
  const c = heads * d;
  const dims: Dims = { b, h: heads, t, d, scale };
  const split = (x: Tensor): Heads => ({
    q: headView(x, heads, d, 0),
    k: headView(x, heads, d, c),
    v: headView(x, heads, d, 2 * c),
  });
  const release = (...xs: Tensor[]) => xs.forEach((x) => x.dispose());
  const out = empty([b, t, c], "f32", gpu);
  const inputs = split(qkv);
  const o = headView(out, heads, d, 0);
  const lse = attendForward(gpu, dims, inputs, o);
  release(inputs.q, inputs.k, inputs.v, o);
  record(op, out, [qkv], [qkv, out, lse], (g, [sqkv, so, sl]) => {
    const dqkv = empty([b, t, width], "f32", gpu);
    const saved = split(sqkv);
    const grads = split(dqkv);
    const [oh, gh] = [headView(so, heads, d, 0), headView(g, heads, d, 0)];
    attendBackward(gpu, dims, saved, oh, sl, gh, { dq: grads.q, dk: grads.k, dv: grads.v });
    release(saved.q, saved.k, saved.v, grads.q, grads.k, grads.v, oh, gh);
    return [dqkv];
  });
  lse.dispose();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Float64 references (dense row-major [B, H, T, D] arrays).

/** Gradients of {@link attentionBackwardReference}. */
export interface AttentionGradients {
  dq: Float64Array;
  dk: Float64Array;
  dv: Float64Array;
}

/** Causal softmax probabilities of one (batch·head) slice: row i holds keys 0..i. */
function probabilities(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  base: number,
  t: number,
  d: number,
  scale: number,
): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let i = 0; i < t; i++) {
    const row = new Float64Array(i + 1);
    let max = -Infinity;
    for (let j = 0; j <= i; j++) {
      let dot = 0;
      for (let x = 0; x < d; x++) dot += q[base + i * d + x] * k[base + j * d + x];
      row[j] = dot * scale;
      max = Math.max(max, row[j]);
    }
    let sum = 0;
    for (let j = 0; j <= i; j++) sum += row[j] = Math.exp(row[j] - max);
    for (let j = 0; j <= i; j++) row[j] /= sum;
    rows.push(row);
  }
  return rows;
}

/**
 * Float64 reference of causal attention: `softmax(q kᵀ · scale + mask) v` for dense
 * row-major [B, H, T, D] arrays (scale defaults to 1/√D).
 *
 * @example
 * ```ts
 * const out = attentionReference(q, k, v, 1, 2, 5, 8); // Float64Array of 1·2·5·8
 * ```
 */
export function attentionReference(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  b: number,
  h: number,
  t: number,
  d: number,
  scale = 1 / Math.sqrt(d),
): Float64Array {
  const out = new Float64Array(b * h * t * d);
  for (let bh = 0; bh < b * h; bh++) {
    const base = bh * t * d;
    const probs = probabilities(q, k, base, t, d, scale);
    for (let i = 0; i < t; i++) {
      for (let j = 0; j <= i; j++) {
        const pij = probs[i][j];
        for (let x = 0; x < d; x++) out[base + i * d + x] += pij * v[base + j * d + x];
      }
    }
  }
  return out;
}

/**
 * Float64 reference of the gradients of causal attention given the output gradient `dOut`
 * (all dense row-major [B, H, T, D]).
 *
 * @example
 * ```ts
 * const { dq, dk, dv } = attentionBackwardReference(q, k, v, dOut, 1, 2, 5, 8);
 * ```
 */
export function attentionBackwardReference(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  dOut: ArrayLike<number>,
  b: number,
  h: number,
  t: number,
  d: number,
  scale = 1 / Math.sqrt(d),
): AttentionGradients {
  const n = b * h * t * d;
  const dq = new Float64Array(n), dk = new Float64Array(n), dv = new Float64Array(n);
  for (let bh = 0; bh < b * h; bh++) {
    const base = bh * t * d;
    const probs = probabilities(q, k, base, t, d, scale);
    for (let i = 0; i < t; i++) {
      const row = probs[i];
      const dp = new Float64Array(i + 1);
      let delta = 0;
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let x = 0; x < d; x++) {
          dot += dOut[base + i * d + x] * v[base + j * d + x];
          dv[base + j * d + x] += row[j] * dOut[base + i * d + x];
        }
        dp[j] = dot;
        delta += row[j] * dot;
      }
      for (let j = 0; j <= i; j++) {
        const ds = row[j] * (dp[j] - delta) * scale;
        for (let x = 0; x < d; x++) {
          dq[base + i * d + x] += ds * k[base + j * d + x];
          dk[base + j * d + x] += ds * q[base + i * d + x];
        }
      }
    }
  }
  return { dq, dk, dv };
}
