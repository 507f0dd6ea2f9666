/**
 * Causal self-attention on nanoGPT's packed projection: `qkv` [B, T, 3C] holds q, k and v side
 * by side along its last axis (the output of `c_attn`), and the result is [B, T, C] with the
 * heads merged, ready for `c_proj`.
 *
 * q, k and v are strided [B, H, T, D] views of `qkv` that the fused attention kernel reads in
 * place, and its output is stored [B, T, H, D] so merging the heads is free. The op is one graph
 * node: its backward runs the fused attention backward and copies dq, dk and dv straight into
 * one dense dqkv [B, T, 3C]. (Three `slice` views would each build a zero-filled [B, T, 3C]
 * gradient and add them up: three fills, three copies and two sums of the whole tensor.)
 *
 * @module
 */
import { causalAttention } from "../../kernels/attention.ts";
import { asContiguous, copyInto } from "../../kernels/map.ts";
import { needsGrad } from "../tensor/autograd.ts";
import { empty, type Tensor } from "../tensor/tensor.ts";

/**
 * Causal self-attention of packed `qkv` [B, T, 3C] with `heads` heads → [B, T, C].
 *
 * @example
 * ```ts
 * const qkv = linear(x, cAttnWeight, cAttnBias); // [B, T, 3C]
 * const y = packedCausalAttention(qkv, 4); // [B, T, C]
 * ```
 */
export function packedCausalAttention(qkv: Tensor, heads: number): Tensor {
  if (qkv.rank !== 3 || qkv.shape[2] % (3 * heads) !== 0) {
    throw new Error(
      `packedCausalAttention: qkv has shape [${qkv.shape}], expected [B, T, 3·C] with C ` +
        `divisible by ${heads} heads`,
    );
  }
  const [b, t, c3] = qkv.shape;
  const c = c3 / 3, d = c / heads;
  const grad = needsGrad(qkv);
  const dense = asContiguous(qkv);
  const headViews = (base: Tensor, i: number) =>
    base.view([b, heads, t, d], [t * c3, d, c3, 1], base.offset + i * c);
  const [q, k, v] = [0, 1, 2].map((i) => {
    const view = headViews(dense, i);
    view.requiresGrad = grad;
    return view;
  });
  const y = causalAttention(q, k, v, { layout: "bthd" });
  const out = y.view([b, t, c], [t * c, c, 1], y.offset);
  const inner = y.node;
  y.node = null;
  for (const x of [q, k, v, y]) x.dispose();
  if (dense !== qkv) dense.dispose();
  if (!inner) return out;
  out.node = {
    op: "packedCausalAttention",
    inputs: [qkv],
    backward: (g) => {
      const gd = asContiguous(g);
      const perHead = gd.view([b, heads, t, d], [t * c, d, c, 1], gd.offset);
      const parts = inner.backward(perHead);
      const dqkv = empty([b, t, c3], "f32", gd.gpu);
      parts.forEach((part, i) => {
        const region = headViews(dqkv, i);
        copyInto(region, part!);
        region.dispose();
        part!.dispose();
      });
      perHead.dispose();
      if (gd !== g) gd.dispose();
      return [dqkv];
    },
    release: () => inner.release(),
  };
  return out;
}
