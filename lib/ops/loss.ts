/**
 * Losses with autograd (kernels in `kernels/loss.ts`):
 *
 * - {@link crossEntropy}: cross-entropy fused with log-softmax over the last axis, integer
 *   targets, PyTorch's `ignore_index` and mean reduction.
 * - {@link mseLoss}: `mean((pred − target)²)` over all elements.
 *
 * @module
 */
import {
  crossEntropyBackward,
  crossEntropyForward,
  mseBackward,
  mseForward,
} from "../../kernels/loss.ts";
import { asContiguous } from "../../kernels/map.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { record, wantsGrad } from "./autograd.ts";

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** Target value whose rows are skipped (default -100, as PyTorch). */
  ignoreIndex?: number;
}

function checkCrossEntropy(logits: Tensor, targets: Tensor, ignoreIndex: number): void {
  if (logits.dtype !== "f32") {
    throw new Error(`crossEntropy: logits must be f32, got ${logits.dtype} ${logits}`);
  }
  if (logits.rank === 0 || logits.shape[logits.rank - 1] === 0) {
    throw new Error(
      `crossEntropy: logits have shape [${logits.shape}], expected [..., C] with C ≥ 1 classes`,
    );
  }
  if (targets.dtype !== "i32") {
    throw new Error(
      "crossEntropy: targets must be an i32 tensor of class indices, got " +
        `${targets.dtype} ${targets}`,
    );
  }
  const lead = logits.shape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  const sameLead = targets.rank === lead.length && lead.every((d, i) => d === targets.shape[i]);
  const flat = targets.rank === 1 && targets.shape[0] === rows;
  if (!sameLead && !flat) {
    throw new Error(
      `crossEntropy: targets have shape [${targets.shape}], expected [${lead}] or [${rows}] ` +
        `(one class index per row of logits [${logits.shape}])`,
    );
  }
  if (!Number.isInteger(ignoreIndex) || Math.abs(ignoreIndex) > 2 ** 31 - 1) {
    throw new Error(`crossEntropy: ignoreIndex must be a 32-bit integer, got ${ignoreIndex}`);
  }
}

/**
 * Mean cross-entropy of `logits` [..., C] against integer class `targets` (i32, one per row:
 * shaped like the leading dimensions or flat), fused with log-softmax, as PyTorch's
 * `F.cross_entropy(logits.view(-1, C), targets.view(-1), ignore_index=ignoreIndex)`.
 *
 * - Rows whose target equals `ignoreIndex` (default -100) contribute nothing; the mean is
 *   over the other rows.
 * - If every row is ignored (or there are no rows) the loss is 0 and the gradient is all
 *   zeros (PyTorch returns NaN there).
 * - A target outside [0, C) that is not `ignoreIndex` makes the loss NaN and its row's
 *   gradient NaN: targets live on the GPU, so the kernel cannot raise; NaN is the signal
 *   (trainers stop on a non-finite loss).
 *
 * @example
 * ```ts
 * const logits = tensor([2, 0, 0, 0, 3, 0], [2, 3], { requiresGrad: true });
 * const targets = tensor(new Int32Array([0, 1]), [2], { dtype: "i32" });
 * const loss = crossEntropy(logits, targets); // ≈ 0.1629
 * backward(loss);
 * ```
 */
export function crossEntropy(
  logits: Tensor,
  targets: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const ignoreIndex = options.ignoreIndex ?? -100;
  checkCrossEntropy(logits, targets, ignoreIndex);
  const xd = asContiguous(logits);
  const td = asContiguous(targets);
  const { out, saved } = crossEntropyForward(xd, td, ignoreIndex);
  const loss = out.view([], [], 0);
  const count = out.view([], [], 1);
  out.dispose();
  record("crossEntropy", loss, [logits, targets], [xd, td, saved.lse, count], (g, kept) => {
    const [x, t, lse, c] = kept;
    const gd = asContiguous(g);
    const dx = crossEntropyBackward(x, t, { plan: saved.plan, lse }, c, gd, ignoreIndex);
    if (gd !== g) gd.dispose();
    return [dx, null];
  });
  for (const t of [xd, td]) if (t !== logits && t !== targets) t.dispose();
  saved.lse.dispose();
  count.dispose();
  return loss;
}

/**
 * Mean squared error `mean((pred − target)²)` over all elements (a scalar), as PyTorch's
 * `F.mse_loss`; `pred` and `target` must have the same shape. Gradients flow to both.
 *
 * @example
 * ```ts
 * const loss = mseLoss(tanh(out), target); // the 1989 net's loss
 * ```
 */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  for (const [name, t] of [["pred", pred], ["target", target]] as const) {
    if (t.dtype !== "f32") throw new Error(`mseLoss: ${name} must be f32, got ${t.dtype} ${t}`);
  }
  if (target.rank !== pred.rank || target.shape.some((d, i) => d !== pred.shape[i])) {
    throw new Error(
      `mseLoss: target has shape [${target.shape}], expected [${pred.shape}] (the shape of pred)`,
    );
  }
  const n = pred.size;
  if (n === 0) throw new Error(`mseLoss: pred has no elements (shape [${pred.shape}])`);
  const a = asContiguous(pred);
  const b = asContiguous(target);
  const out = mseForward(a, b);
  record("mseLoss", out, [pred, target], [a, b], (g, [sa, sb]) => {
    const gd = asContiguous(g);
    const { da, db } = mseBackward(sa, sb, gd, { a: wantsGrad(pred), b: wantsGrad(target) });
    if (gd !== g) gd.dispose();
    return [da, db];
  });
  if (a !== pred) a.dispose();
  if (b !== target) b.dispose();
  return out;
}
