/**
 * Softmax and log-softmax over the last axis with autograd (kernels in `kernels/softmax.ts`).
 *
 * @module
 */
import { type SoftmaxKind, softmaxRows, softmaxRowsBackward } from "../../kernels/softmax.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { record } from "./autograd.ts";

function normalize(kind: SoftmaxKind, x: Tensor): Tensor {
  if (x.dtype !== "f32") throw new Error(`${kind}: needs an f32 tensor, got ${x.dtype} ${x}`);
  if (x.rank === 0) throw new Error(`${kind}: needs at least one dimension, got a scalar`);
  const y = softmaxRows(kind, x);
  return record(kind, y, [x], [y], (g, [saved]) => [softmaxRowsBackward(kind, g, saved)]);
}

/**
 * Softmax over the last axis: `exp(x - max) / Σ exp(x - max)` per row (rows of any length).
 *
 * @example
 * ```ts
 * const probs = softmax(logits); // [B, C], each row sums to 1
 * ```
 */
export function softmax(x: Tensor): Tensor {
  return normalize("softmax", x);
}

/**
 * Log-softmax over the last axis: `x - max - log Σ exp(x - max)` per row.
 *
 * @example
 * ```ts
 * const logProbs = logSoftmax(logits);
 * ```
 */
export function logSoftmax(x: Tensor): Tensor {
  return normalize("logSoftmax", x);
}
