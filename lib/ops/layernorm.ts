/**
 * Layer normalization over the last dimension with autograd (kernels in
 * `kernels/layernorm.ts`).
 *
 * @module
 */
import {
  LAYER_NORM_EPS,
  layerNormBackwardPlan,
  layerNormForward,
  layerNormInputGrad,
  layerNormParamGrads,
} from "../../kernels/layernorm.ts";
import { asContiguous } from "../../kernels/map.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { record, wantsGrad } from "./autograd.ts";

function checkLayerNorm(
  x: Tensor,
  weight: Tensor | null | undefined,
  bias: Tensor | null | undefined,
  eps: number,
): void {
  if (x.dtype !== "f32") throw new Error(`layerNorm: x must be f32, got ${x.dtype} ${x}`);
  const n = x.shape[x.rank - 1];
  if (x.rank === 0 || n === 0) {
    throw new Error(`layerNorm: x has shape [${x.shape}], expected [..., D] with D ≥ 1`);
  }
  for (const [name, t] of [["weight", weight], ["bias", bias]] as const) {
    if (!t) continue;
    if (t.dtype !== "f32") throw new Error(`layerNorm: ${name} must be f32, got ${t.dtype} ${t}`);
    if (t.rank !== 1 || t.shape[0] !== n) {
      throw new Error(
        `layerNorm: ${name} has shape [${t.shape}], expected [${n}] (the last dimension of x)`,
      );
    }
  }
  if (!(eps >= 0 && Number.isFinite(eps))) {
    throw new Error(`layerNorm: eps must be a finite number ≥ 0, got ${eps}`);
  }
}

/**
 * Layer normalization over the last dimension, as PyTorch's `F.layer_norm(x, [D], weight,
 * bias, eps)`: `(x − mean) / √(var + eps) · weight + bias` per row, with the biased variance.
 * `weight` and `bias` (shape [D]) are optional.
 *
 * @example
 * ```ts
 * const weight = ones([384], { requiresGrad: true });
 * const bias = zeros([384], { requiresGrad: true });
 * const h = layerNorm(x, weight, bias); // x: [B, T, 384]
 * ```
 */
export function layerNorm(
  x: Tensor,
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = LAYER_NORM_EPS,
): Tensor {
  checkLayerNorm(x, weight, bias, eps);
  const n = x.shape[x.rank - 1];
  const rows = x.size / n;
  const xd = asContiguous(x);
  const wd = weight ? asContiguous(weight) : null;
  const bd = bias ? asContiguous(bias) : null;
  const { y, stats } = layerNormForward(xd, wd, bd, eps);
  const inputs = [x];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  const saved = wd ? [xd, stats, wd] : [xd, stats];
  record("layerNorm", y, inputs, saved, (g, [sx, sstats, sw]) => {
    const gd = asContiguous(g);
    const plan = layerNormBackwardPlan(gd, sx, sw);
    const dx = wantsGrad(x) ? layerNormInputGrad(plan, gd, sx, sstats, sw) : null;
    const wantW = !!weight && wantsGrad(weight);
    const wantB = !!bias && wantsGrad(bias);
    const [dw, db] = wantW || wantB
      ? layerNormParamGrads(plan.width, rows, n, gd, sx, sstats, wantW, wantB)
      : [null, null];
    if (gd !== g) gd.dispose();
    const grads = [dx];
    if (weight) grads.push(dw);
    if (bias) grads.push(db);
    return grads;
  });
  for (const [copy, original] of [[xd, x], [wd, weight], [bd, bias]] as const) {
    if (copy && copy !== original) copy.dispose();
  }
  stats.dispose();
  return y;
}
