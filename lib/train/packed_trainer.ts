/**
 * Packed training: P runs of one architecture and one step count that differ only in seed,
 * learning rate and training data, trained as one {@link PackedGpt} with a leading trial axis.
 * Each trial follows the recipe of `trainGpt` (warmup then cosine to 10% of its own peak,
 * clipping by its own global norm, its own batches drawn with its own seed) and gets its own
 * history and result; a diverged trial stops being reported while the others go on. On small
 * models a packed step costs about one trial's dispatches, so P trials run in far less than P
 * times the time (see `tests/train/packed_trainer_test.ts` and the benchmark in the report).
 *
 * @module
 */
import { acquireGpu } from "../gpu/device.ts";
import { fillInPlace, mapInPlace } from "../../kernels/map.ts";
import { concat, reshape } from "../../kernels/layout.ts";
import type { TokenBatch } from "../data/text/windows.ts";
import { randomWindowBatches } from "../data/text/windows.ts";
import type { TokenArray } from "../data/tokenizer.ts";
import { backward, noGrad } from "../tensor/autograd.ts";
import { keep, type Tensor, tensor, tidy } from "../tensor/tensor.ts";
import { gptTrainingFlops } from "../scaling/flops.ts";
import { type GptConfig, gptFlopsConfig } from "../nn/config.ts";
import { PackedGpt } from "../nn/packed_gpt.ts";
import { gptCounts } from "../nn/parameters.ts";
import { PackedAdamW } from "./packed_adamw.ts";
import {
  type GptTrainResult,
  learningRateSchedule,
  resolveTrainHyper,
  runSummary,
  type TrainHyper,
  type TrainLogPoint,
} from "./trainer.ts";

/** One trial of a packed run. */
export interface PackedTrial {
  /** Seed of its initialization and batches. */
  seed: number;
  /** Its peak learning rate. */
  lr: number;
  /** Its training stream. */
  train: TokenArray;
  /** Stops reporting this trial (training goes on while another trial is live). */
  signal?: AbortSignal;
}

/** Options of {@link trainGptPacked}: the shared recipe and the trials. */
export interface PackedTrainOptions extends Omit<TrainHyper, "lr" | "seed" | "optimizer"> {
  config: GptConfig;
  trials: readonly PackedTrial[];
  /** Fixed held-out windows, shared by the trials. */
  validation: readonly TokenBatch[];
  bytesPerToken?: number;
  /** Called at every logging point of every live trial. */
  onLog?: (trial: number, point: TrainLogPoint) => void;
}

/** A packed trial's result: `GptTrainResult` without the model, plus the packing. */
export interface PackedTrialResult extends Omit<GptTrainResult, "model"> {
  /** Trials trained together. */
  packedTrials: number;
  /** Training tokens per second of all packed trials together. */
  packedTokensPerSecond: number;
}

/**
 * Trains P packed trials and returns one result per trial.
 *
 * @example
 * ```ts
 * const results = await trainGptPacked({
 *   config, steps: 300, batch: 16, validation,
 *   trials: [0, 1, 2].map((seed) => ({ seed, lr: 3e-3, train: data.train })),
 * });
 * results.map((r) => r.valLoss);
 * ```
 */
export async function trainGptPacked(options: PackedTrainOptions): Promise<PackedTrialResult[]> {
  const { config, trials } = options;
  const count = trials.length;
  const hypers = trials.map((t) =>
    resolveTrainHyper({ ...options, lr: t.lr, seed: t.seed, optimizer: "adamw" }, config.vocabSize)
  );
  const hyper = hypers[0];
  const context = config.blockSize;
  const gpu = await acquireGpu();
  const model = PackedGpt.create(config, trials.map((t) => t.seed));
  const optimizer = new PackedAdamW(model, {
    lr: hypers.map(learningRateSchedule),
    weightDecay: hyper.weightDecay,
    beta1: hyper.beta1,
    beta2: hyper.beta2,
    maxGradNorm: hyper.maxGradNorm,
  });
  const streams = trials.map((t) =>
    randomWindowBatches(t.train, { context, batch: hyper.batch, seed: t.seed })
  );
  const flopsPerToken = gptTrainingFlops(gptFlopsConfig(config), 1).exact;
  const counts = gptCounts(config);
  const rows = hyper.batch * context;
  const lossSum = keep(tensor(new Float32Array(count), [count]));
  const histories: TrainLogPoint[][] = trials.map(() => []);
  const trainLoss = new Array<number>(count).fill(NaN);
  const valLoss = new Array<number>(count).fill(NaN);
  const bestValLoss = new Array<number>(count).fill(Infinity);
  const stoppedAt = new Array<number>(count).fill(-1);
  const diverged: (string | null)[] = trials.map(() => null);
  const live = (k: number) => stoppedAt[k] < 0;
  const started = performance.now();
  let evalSeconds = 0, sinceLog = 0, step = 0;
  const inputs = new Int32Array(count * rows);
  const targets = new Int32Array(count * rows);
  try {
    while (step < hyper.steps && trials.some((_, k) => live(k))) {
      streams.forEach((stream, k) => {
        const batch = stream.next().value;
        inputs.set(batch.inputs, k * rows);
        targets.set(batch.targets, k * rows);
      });
      model.zeroGrad();
      const { total, perTrial } = model.loss(inputs, targets, hyper.batch, context);
      backward(total);
      mapInPlace("accumulate", "a + b", lossSum, perTrial);
      total.dispose();
      perTrial.dispose();
      optimizer.step();
      gpu.flush();
      step++;
      sinceLog++;
      const evaluate = step === hyper.steps ||
        (hyper.evalInterval > 0 && step % hyper.evalInterval === 0);
      if (step % hyper.logInterval !== 0 && !evaluate) continue;
      const sums = await lossSum.toArray();
      fillInPlace(lossSum, 0);
      const seconds = (performance.now() - started) / 1000;
      const points = trials.map((_, k): TrainLogPoint => ({
        step,
        tokens: step * rows,
        flops: step * rows * flopsPerToken,
        trainLoss: trainLoss[k] = sums[k] / sinceLog,
        lr: optimizer.schedules[k](step - 1),
        seconds,
      }));
      sinceLog = 0;
      trials.forEach((trial, k) => {
        if (!live(k)) return;
        if (!Number.isFinite(trainLoss[k]) || trainLoss[k] > hyper.divergenceLoss) {
          diverged[k] = `training loss ${trainLoss[k]} at step ${step} ` +
            `(limit ${hyper.divergenceLoss.toFixed(2)})`;
          stoppedAt[k] = step;
          histories[k].push(points[k]);
          options.onLog?.(k, points[k]);
        } else if (trial.signal?.aborted) stoppedAt[k] = step;
      });
      if (evaluate) {
        const evalStart = performance.now();
        const losses = await evaluatePacked(model, options.validation);
        evalSeconds += (performance.now() - evalStart) / 1000;
        losses.forEach((loss, k) => {
          if (!live(k)) return;
          valLoss[k] = loss;
          bestValLoss[k] = Math.min(bestValLoss[k], loss);
          points[k].valLoss = loss;
          points[k].seconds = (performance.now() - started) / 1000;
        });
      }
      trials.forEach((_, k) => {
        if (!live(k)) return;
        histories[k].push(points[k]);
        options.onLog?.(k, points[k]);
      });
    }
  } finally {
    lossSum.dispose();
    optimizer.dispose();
    model.dispose();
  }
  const trainSeconds = (performance.now() - started) / 1000 - evalSeconds;
  return trials.map((_, k) => {
    const steps = stoppedAt[k] < 0 ? step : stoppedAt[k];
    return {
      ...runSummary({
        steps,
        tokens: steps * rows,
        trainLoss: trainLoss[k],
        valLoss: valLoss[k],
        bestValLoss: bestValLoss[k],
        bytesPerToken: options.bytesPerToken ?? 1,
        params: counts,
        flopsPerToken,
        trainSeconds,
        evalSeconds,
        diverged: diverged[k],
        history: histories[k],
      }),
      packedTrials: count,
      packedTokensPerSecond: (count * step * rows) / trainSeconds,
    };
  });
}

/** Each trial's mean held-out loss over all positions of `batches` (one readback). */
async function evaluatePacked(model: PackedGpt, batches: readonly TokenBatch[]): Promise<number[]> {
  const count = model.trials;
  const losses: Tensor = noGrad(() =>
    tidy(() =>
      concat(
        batches.map((batch) => {
          const n = batch.batch * batch.context;
          const inputs = new Int32Array(count * n);
          const targets = new Int32Array(count * n);
          for (let k = 0; k < count; k++) {
            inputs.set(batch.inputs, k * n);
            targets.set(batch.targets, k * n);
          }
          const { total, perTrial } = model.loss(inputs, targets, batch.batch, batch.context);
          total.dispose();
          return reshape(perTrial, [1, count]);
        }),
        0,
      )
    )
  );
  const values = await losses.toArray().finally(() => losses.dispose());
  const sums = new Array<number>(count).fill(0);
  let tokens = 0;
  batches.forEach((batch, i) => {
    const n = batch.batch * batch.context;
    for (let k = 0; k < count; k++) sums[k] += values[i * count + k] * n;
    tokens += n;
  });
  return sums.map((s) => s / tokens);
}
