/**
 * Causal self-attention with autograd, fused FlashAttention-style by the kernels of
 * `kernels/attention.ts` (the T×T scores never reach global memory): `causalAttention` over any
 * [B, H, T, D] views, and `causalSelfAttention` straight on a GPT block's stacked [B, T, 3·C]
 * projection with no layout copies either way. Forward and backward side by side.
 *
 * @module
 */
import {
  attentionBackward,
  type AttentionDims,
  attentionForward,
  type AttentionHeads,
  type AttentionLayout,
  type AttentionOptions,
  headView,
  MAX_HEAD_DIM,
} from "../../kernels/attention.ts";
import type { Gpu } from "../gpu/runtime.ts";
import { empty, type Tensor } from "../tensor/tensor.ts";
import { record } from "./autograd.ts";

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
  const dims: AttentionDims = { b, h, t, d, scale };
  const out = outputTensor(gpu, q.shape, layout);
  const lse = attentionForward(gpu, dims, { q, k, v }, out);
  record("causalAttention", out, [q, k, v], [q, k, v, out, lse], (g, saved) => {
    const [sq, sk, sv, so, sl] = saved;
    const grads = {
      dq: empty(q.shape, "f32", gpu),
      dk: empty(q.shape, "f32", gpu),
      dv: empty(q.shape, "f32", gpu),
    };
    attentionBackward(gpu, dims, { q: sq, k: sk, v: sv }, so, sl, g, grads);
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
  const dims: AttentionDims = { b, h: heads, t, d, scale };
  const split = (x: Tensor): AttentionHeads => ({
    q: headView(x, heads, d, 0),
    k: headView(x, heads, d, c),
    v: headView(x, heads, d, 2 * c),
  });
  const release = (...xs: Tensor[]) => xs.forEach((x) => x.dispose());
  const out = empty([b, t, c], "f32", gpu);
  const inputs = split(qkv);
  const o = headView(out, heads, d, 0);
  const lse = attentionForward(gpu, dims, inputs, o);
  release(inputs.q, inputs.k, inputs.v, o);
  record(op, out, [qkv], [qkv, out, lse], (g, [sqkv, so, sl]) => {
    const dqkv = empty([b, t, width], "f32", gpu);
    const saved = split(sqkv);
    const grads = split(dqkv);
    const [oh, gh] = [headView(so, heads, d, 0), headView(g, heads, d, 0)];
    attentionBackward(gpu, dims, saved, oh, sl, gh, { dq: grads.q, dk: grads.k, dv: grads.v });
    release(saved.q, saved.k, saved.v, grads.q, grads.k, grads.v, oh, gh);
    return [dqkv];
  });
  lse.dispose();
  return out;
}
