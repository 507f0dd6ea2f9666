/**
 * Embedding lookup with autograd (kernels in `kernels/embedding.ts`; the gradient is a
 * deterministic counting sort and segmented sum, bitwise the same on every run).
 *
 * @module
 */
import { embeddingBackward, embeddingForward } from "../../kernels/embedding.ts";
import { asContiguous } from "../../kernels/map.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { record } from "./autograd.ts";

function checkEmbedding(weight: Tensor, ids: Tensor): void {
  if (weight.dtype !== "f32") {
    throw new Error(`embedding: weight must be f32, got ${weight.dtype} ${weight}`);
  }
  if (weight.rank !== 2) {
    throw new Error(`embedding: weight has shape [${weight.shape}], expected [V, D]`);
  }
  if (ids.dtype !== "i32") {
    throw new Error(`embedding: ids must be an i32 tensor of row indices, got ${ids.dtype} ${ids}`);
  }
}

/**
 * Rows of `weight` [V, D] picked by integer `ids` (i32, any shape) → [...ids.shape, D], as
 * PyTorch's `F.embedding`. The gradient adds each output row into its weight row,
 * deterministically (bitwise the same on every run). Ids outside [0, V) give NaN rows.
 *
 * @example
 * ```ts
 * const wte = randn([256, 384], { seed: 1, requiresGrad: true });
 * const tokens = tensor(new Int32Array([72, 105]), [1, 2], { dtype: "i32" });
 * const h = embedding(wte, tokens); // [1, 2, 384]
 * ```
 */
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  checkEmbedding(weight, ids);
  const [vocab, dim] = weight.shape;
  const wd = asContiguous(weight);
  const idd = asContiguous(ids);
  const out = embeddingForward({ weight: wd }, idd);
  if (wd !== weight) wd.dispose();
  record("embedding", out, [weight, ids], [idd], (g, [savedIds]) => {
    const gd = asContiguous(g);
    const dw = embeddingBackward(gd, savedIds, vocab, dim);
    if (gd !== g) gd.dispose();
    return [dw, null];
  });
  if (idd !== ids) idd.dispose();
  return out;
}
