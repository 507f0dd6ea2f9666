/**
 * Held-out evaluation: each run's mean cross-entropy over every predicted position of a fixed
 * set of windows, recorded on the GPU as per-batch means with one readback for the whole set
 * (which the trainer collects later, so training goes on meanwhile).
 *
 * @module
 */
import { meanLosses } from "../../kernels/loss.ts";
import type { TokenBatch } from "../data/text/windows.ts";
import type { Gpt } from "../nn/gpt.ts";
import { empty, type Tensor } from "../tensor/tensor.ts";

/** Batches recorded before one flush (bounds the work queued on the GPU). */
const BATCHES_PER_FLUSH = 64;

/** Held-out losses recorded on the GPU, to be read back and combined. */
export interface RecordedHeldOut {
  /** Per batch k and run r, the mean loss of run r on batch k at [k·R + r]. */
  means: Tensor;
  /** Predicted positions of each batch (the weights of the per-batch means). */
  tokens: number[];
}

/**
 * Records the forward pass of every run on its held-out batches (run r on `batches[r]`, or
 * every run on the same batches) and the per-batch mean loss of each run.
 *
 * @example
 * ```ts
 * const recorded = recordHeldOut(model, validation);
 * const losses = combineHeldOut(recorded, (await recorded.means.toArray()) as Float32Array);
 * ```
 */
export function recordHeldOut(
  model: Gpt,
  batches: readonly TokenBatch[] | readonly (readonly TokenBatch[])[],
): RecordedHeldOut {
  const R = model.runs;
  const perRun = isPerRun(batches) ? batches : Array.from({ length: R }, () => batches);
  if (perRun.length !== R) throw new Error(`evaluate: ${perRun.length} batch lists for ${R} runs`);
  const first = perRun[0];
  if (first.length === 0) throw new Error("evaluate: no batches to evaluate");
  perRun.forEach((list, r) => {
    if (list.length !== first.length || list.some((b, k) => b.batch !== first[k].batch)) {
      throw new Error(`evaluate: run ${r}'s batches differ in count or size from run 0's`);
    }
  });
  const gpu = model.gpu;
  const means = empty([first.length * R], "f32", gpu);
  const largest = Math.max(...first.map((b) => b.batch * b.context));
  const ring = empty([R * largest], "f32", gpu);
  first.forEach((batch, k) => {
    const rows = batch.batch * batch.context;
    const ids = new Int32Array(R * rows), targets = new Int32Array(R * rows);
    perRun.forEach((list, r) => {
      ids.set(list[k].inputs, r * rows);
      targets.set(list[k].targets, r * rows);
    });
    model.forward(ids, targets, { batch: batch.batch, context: batch.context }, {
      training: false,
      losses: ring,
      lossOffset: 0,
    });
    const out = means.view([R], [1], k * R);
    meanLosses(ring, R, rows, 1, out);
    out.dispose();
    if ((k + 1) % BATCHES_PER_FLUSH === 0) gpu.flush();
  });
  ring.dispose();
  return { means, tokens: first.map((b) => b.batch * b.context) };
}

/**
 * Each run's mean loss over all positions from the read-back per-batch means.
 *
 * @example
 * ```ts
 * const [loss] = combineHeldOut(recorded, values);
 * ```
 */
export function combineHeldOut(recorded: RecordedHeldOut, means: Float32Array): number[] {
  const R = means.length / recorded.tokens.length;
  const total = recorded.tokens.reduce((a, b) => a + b, 0);
  return Array.from({ length: R }, (_, r) => {
    let sum = 0;
    recorded.tokens.forEach((tokens, k) => (sum += means[k * R + r] * tokens));
    return sum / total;
  });
}

/** Each run's mean loss and the positions it averages over. */
export interface HeldOutLoss {
  /** Mean cross-entropy of each run in nats per token. */
  losses: number[];
  /** Predicted positions per run (windows × context). */
  tokens: number;
}

/**
 * Every run's mean cross-entropy over all positions of `batches` (no dropout), read back.
 *
 * @example
 * ```ts
 * const { losses: [loss] } = await evaluateGptLoss(model, validationBatches(data.validation, { context: 64, batch: 32, windows: 128 }));
 * ```
 */
export async function evaluateGptLoss(
  model: Gpt,
  batches: readonly TokenBatch[],
): Promise<HeldOutLoss> {
  const recorded = recordHeldOut(model, batches);
  try {
    const values = (await recorded.means.toArray()) as Float32Array;
    return {
      losses: combineHeldOut(recorded, values),
      tokens: recorded.tokens.reduce((a, b) => a + b, 0),
    };
  } finally {
    recorded.means.dispose();
  }
}

function isPerRun(
  batches: readonly TokenBatch[] | readonly (readonly TokenBatch[])[],
): batches is readonly (readonly TokenBatch[])[] {
  return batches.length > 0 && Array.isArray(batches[0]);
}
