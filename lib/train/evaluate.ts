/**
 * Held-out evaluation: the mean cross-entropy over every predicted position of a fixed set of
 * windows, with one readback for the whole set.
 *
 * @module
 */
import type { TokenBatch } from "../data/text/windows.ts";
import { concat, reshape } from "../ops/layout.ts";
import { noGrad } from "../ops/autograd.ts";
import { type Tensor, tensor, tidy } from "../tensor/tensor.ts";
import type { Gpt } from "../nn/gpt.ts";

/** Batches recorded before one readback (bounds the work queued on the GPU). */
const BATCHES_PER_READBACK = 64;

/** A mean loss and the number of predicted positions it averages. */
export interface HeldOutLoss {
  /** Mean cross-entropy in nats per token. */
  loss: number;
  /** Predicted positions (windows × context). */
  tokens: number;
}

/**
 * The model's mean cross-entropy over all positions of `batches` (no dropout, no graph).
 *
 * @example
 * ```ts
 * const { loss } = await evaluateGptLoss(model, validationBatches(data.validation, { context: 64, batch: 32, windows: 128 }));
 * ```
 */
export async function evaluateGptLoss(
  model: Gpt,
  batches: readonly TokenBatch[],
): Promise<HeldOutLoss> {
  if (batches.length === 0) throw new Error("evaluateGptLoss: no batches to evaluate");
  let sum = 0, tokens = 0;
  for (let first = 0; first < batches.length; first += BATCHES_PER_READBACK) {
    const chunk = batches.slice(first, first + BATCHES_PER_READBACK);
    const losses: Tensor = noGrad(() =>
      tidy(() =>
        concat(
          chunk.map((batch) => {
            const shape = [batch.batch, batch.context];
            const inputs = tensor(batch.inputs, shape, { dtype: "i32" });
            const targets = tensor(batch.targets, shape, { dtype: "i32" });
            return reshape(model.loss(inputs, targets), [1]);
          }),
          0,
        )
      )
    );
    const values = await losses.toArray().finally(() => losses.dispose());
    chunk.forEach((batch, i) => {
      const count = batch.batch * batch.context;
      sum += values[i] * count;
      tokens += count;
    });
  }
  return { loss: sum / tokens, tokens };
}
