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
import type { KernelDeclaration } from "../lib/gpu/program.ts";
import type { Gpu } from "../lib/gpu/runtime.ts";
import { empty, type Tensor } from "../lib/tensor/tensor.ts";
import {
  type AttentionFamily,
  attentionForwardKernel,
  attentionKeyValueGradKernel,
  attentionQueryGradKernel,
  type AttentionVariant,
  BLOCK_CHUNK,
  groupRows,
} from "./attention_wgsl.ts";

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
  return gpu.isCpu ? "lanes" : "blocks";
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
export interface AttentionDims {
  b: number;
  h: number;
  t: number;
  d: number;
  scale: number;
}

/** [B, H, T, D] views of the operands of one call (any strides). */
export interface AttentionHeads {
  q: Tensor;
  k: Tensor;
  v: Tensor;
}

/** [B, H, T, D] views the gradients are written through: one set of strides, any offsets. */
export interface AttentionGrads {
  dq: Tensor;
  dk: Tensor;
  dv: Tensor;
}

/** Records one dispatch of `variant`'s kernel over every (batch·head, row tile). */
function run(
  gpu: Gpu,
  declaration: KernelDeclaration<AttentionVariant & Record<string, string | number | boolean>>,
  variant: AttentionVariant,
  dims: AttentionDims,
  buffers: Readonly<Record<string, Tensor>>,
  operands: AttentionHeads & { o: Tensor; g?: Tensor; grads?: AttentionGrads },
): void {
  const tiles = Math.ceil(dims.t / groupRows(variant));
  const groups = dims.b * dims.h * tiles;
  const { q, k, v, o, g, grads } = operands;
  const zeros = [0, 0, 0, 0];
  const bound = Object.fromEntries(Object.entries(buffers).map(([name, t]) => [name, t.buffer]));
  gpu.run(declaration, { ...variant }, bound, {
    bh: dims.b * dims.h,
    heads: dims.h,
    t: dims.t,
    tiles,
    c: dims.scale * Math.LOG2E,
    scale: dims.scale,
    groups,
    offQkvo: [q.offset, k.offset, v.offset, o.offset],
    offG: [g?.offset ?? 0, 0, 0, 0],
    sq: q.strides,
    sk: k.strides,
    sv: v.strides,
    so: o.strides,
    sg: g ? g.strides : zeros,
    offD: grads ? [grads.dq.offset, grads.dk.offset, grads.dv.offset, 0] : zeros,
    sd: grads ? grads.dq.strides : zeros,
  }, grid1d(groups, 1));
}

/**
 * Forward into `out` (a [B, H, T, D] view of any strides); returns the per-row logsumexp
 * [B, H, T] of the scaled, masked scores, which backward needs (written into `into` when given).
 *
 * @example
 * ```ts
 * const lse = attentionForward(gpu, dims, { q, k, v }, out);
 * ```
 */
export function attentionForward(
  gpu: Gpu,
  dims: AttentionDims,
  heads: AttentionHeads,
  out: Tensor,
  into?: Tensor,
): Tensor {
  const { q, k, v } = heads;
  if (into && (!into.isContiguous || into.size !== dims.b * dims.h * dims.t)) {
    throw new Error(
      `causalAttention: the logsumexp must be a dense [${dims.b}, ${dims.h}, ${dims.t}]`,
    );
  }
  const lse = into ?? empty([dims.b, dims.h, dims.t], "f32", gpu);
  const variant = variantFor(gpu, dims.d, [q, k, v, out], 2, 0);
  run(gpu, attentionForwardKernel, variant, dims, { q, k, v, o: out, lse }, { ...heads, o: out });
  return lse;
}

/**
 * Backward given the output `out`, its logsumexp and output gradient `g`, into the views
 * `grads` (two dispatches: the query pass, then the key pass).
 *
 * @example
 * ```ts
 * attentionBackward(gpu, dims, { q, k, v }, out, lse, g, { dq, dk, dv });
 * ```
 */
export function attentionBackward(
  gpu: Gpu,
  dims: AttentionDims,
  heads: AttentionHeads,
  out: Tensor,
  lse: Tensor,
  g: Tensor,
  grads: AttentionGrads,
): void {
  const { q, k, v } = heads;
  const { dq, dk, dv } = grads;
  const operands = { ...heads, o: out, g, grads };
  const all = [q, k, v, out, g, dq, dk, dv];
  const stats = empty([dims.b, dims.h, dims.t, 2], "f32", gpu);
  const query = variantFor(gpu, dims.d, all, 3, 0);
  run(gpu, attentionQueryGradKernel, query, dims, { q, k, v, o: out, g, lse, dq, stats }, operands);
  const keyValue = variantFor(gpu, dims.d, all, 4, 8);
  run(gpu, attentionKeyValueGradKernel, keyValue, dims, { q, k, v, g, stats, dk, dv }, operands);
  stats.dispose();
}

/**
 * The [B, H, T, D] view of the head-split columns `[at, at + H·D)` of a [B, T, ·] tensor (for
 * a stacked q/k/v projection: q at 0, k at C, v at 2C); no copy.
 *
 * @example
 * ```ts
 * const k = headView(qkv, heads, d, heads * d);
 * ```
 */
export function headView(x: Tensor, heads: number, d: number, at: number): Tensor {
  const [b, t] = x.shape;
  const [s0, s1, s2] = x.strides;
  return x.view([b, heads, t, d], [s0, d * s2, s1, s2], x.offset + at * s2);
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
