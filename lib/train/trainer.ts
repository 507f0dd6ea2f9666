/**
 * The GPT trainer: AdamW (or SGD for the ablation) with linear warmup then cosine decay to 10%
 * of the peak over the run's own horizon, gradient clipping by global norm, random-window
 * batches, held-out loss at intervals, divergence detection, and throughput accounting.
 *
 * Each step (forward, backward, update) is recorded into one command encoder and submitted
 * without waiting; the loss is summed on the GPU and read back only at logging intervals, so
 * the CPU never stalls the GPU between logs. Same options and seed → bitwise the same losses.
 *
 * @module
 */
import { acquireGpu } from "../gpu/device.ts";
import { fillInPlace, mapInPlace } from "../../kernels/map.ts";
import type { TokenBatch } from "../data/text/windows.ts";
import { randomWindowBatches } from "../data/text/windows.ts";
import type { TokenArray } from "../data/tokenizer.ts";
import { backward } from "../ops/autograd.ts";
import { keep, tensor } from "../tensor/tensor.ts";
import { AdamW } from "../optim/adamw.ts";
import { SGD } from "../optim/sgd.ts";
import type { FusedOptimizer } from "../optim/fused.ts";
import { constantLr, cosineLr, type LrSchedule } from "../optim/schedule.ts";
import { gptTrainingFlops } from "../scaling/flops.ts";
import { type GptConfig, gptFlopsConfig } from "../nn/config.ts";
import { Gpt } from "../nn/gpt.ts";
import { type GptCounts, gptCounts } from "../nn/parameters.ts";
import { evaluateGptLoss } from "./evaluate.ts";

/** Learning-rate schedule shapes. */
export type ScheduleKind = "cosine" | "constant";
/** Optimizers. */
export type OptimizerKind = "adamw" | "sgd";

/** Hyperparameters of a run (everything but the model and the data). */
export interface TrainHyper {
  /** Optimizer steps. */
  steps: number;
  /** Windows per batch. */
  batch: number;
  /** Peak learning rate. */
  lr: number;
  /** Seed of initialization, batch order and dropout. */
  seed: number;
  /** `"cosine"` (default): warmup, then cosine to `minLrFraction`·lr; `"constant"`: lr throughout. */
  schedule?: ScheduleKind;
  /** Warmup steps (default: 5% of the steps, at least 1). */
  warmupSteps?: number;
  /** Floor of the cosine as a fraction of the peak (default 0.1). */
  minLrFraction?: number;
  /** `"adamw"` (default) or `"sgd"` (momentum 0.9). */
  optimizer?: OptimizerKind;
  /** Decoupled weight decay on matrices and embeddings (default 0.1). */
  weightDecay?: number;
  /** AdamW β1 (default 0.9). */
  beta1?: number;
  /** AdamW β2 (default 0.95). */
  beta2?: number;
  /** Clip gradients to this global norm (default 1; 0 disables). */
  maxGradNorm?: number;
  /** Steps between training-loss readbacks (default 25). */
  logInterval?: number;
  /** Steps between held-out evaluations (default: 4 evaluations per run; 0: only at the end). */
  evalInterval?: number;
  /** A loss above this (or non-finite) means divergence (default 2·ln V). */
  divergenceLoss?: number;
}

/** Everything a training run needs. */
export interface TrainGptOptions extends TrainHyper {
  /** The architecture; windows are `config.blockSize` tokens long. */
  config: GptConfig;
  /** The training token stream. */
  train: TokenArray;
  /** The fixed held-out windows. */
  validation: readonly TokenBatch[];
  /** Bytes of text per token, for bits per byte (default 1: byte tokens). */
  bytesPerToken?: number;
  /** Start from this model instead of a fresh one (it is trained in place). */
  model?: Gpt;
  /** Called at every logging point. */
  onLog?: (point: TrainLogPoint) => void;
  /** Stops the run (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** One logging point. */
export interface TrainLogPoint {
  /** Steps done. */
  step: number;
  /** Training tokens seen. */
  tokens: number;
  /** Training FLOPs spent (exact count). */
  flops: number;
  /** Mean training loss (nats/token) over the steps since the previous point. */
  trainLoss: number;
  /** Held-out loss (nats/token), at evaluation points. */
  valLoss?: number;
  /** Learning rate of the last step. */
  lr: number;
  /** Seconds since the start of the run. */
  seconds: number;
}

/** What a run produced. */
export interface GptTrainResult {
  /** Steps done (fewer than asked when it diverged). */
  steps: number;
  /** Training tokens seen. */
  tokens: number;
  /** Mean training loss over the last logging interval (nats/token). */
  trainLoss: number;
  /** Final held-out loss (nats/token). */
  valLoss: number;
  /** Final held-out loss in bits per byte. */
  valBitsPerByte: number;
  /** Lowest held-out loss seen at any evaluation (early stopping). */
  bestValLoss: number;
  /** Parameter counts. */
  params: GptCounts;
  /** Exact training FLOPs (3 × forward), and 6·N·D with non-embedding and total N. */
  flops: { exact: number; sixND: number; sixNDTotal: number };
  /** Training tokens per second (evaluation time excluded). */
  tokensPerSecond: number;
  /** Achieved training FLOP/s (exact count; evaluation time excluded). */
  flopsPerSecond: number;
  /** Seconds spent training and evaluating. */
  trainSeconds: number;
  evalSeconds: number;
  /** Why the run stopped early, or null. */
  diverged: string | null;
  /** Every logging point. */
  history: TrainLogPoint[];
  /** The trained model (the caller disposes it). */
  model: Gpt;
}

/** What a finished run measured, for {@link runSummary}. */
export interface RunMeasurements {
  /** Steps done. */
  steps: number;
  /** Training tokens seen. */
  tokens: number;
  /** Mean training loss over the last logging interval (nats/token). */
  trainLoss: number;
  /** Final held-out loss (nats/token). */
  valLoss: number;
  /** Lowest held-out loss seen at any evaluation. */
  bestValLoss: number;
  /** Bytes per token, for bits per byte. */
  bytesPerToken: number;
  /** Parameter counts. */
  params: GptCounts;
  /** Exact training FLOPs per token. */
  flopsPerToken: number;
  /** Seconds spent training and evaluating. */
  trainSeconds: number;
  evalSeconds: number;
  /** Why the run stopped early, or null. */
  diverged: string | null;
  /** Every logging point. */
  history: TrainLogPoint[];
}

/**
 * A run's result without its model: the measurements with bits per byte, FLOP counts and
 * throughput derived from them (shared by the single and the packed trainer).
 *
 * @example
 * ```ts
 * const params = gptCounts(config);
 * const summary = runSummary({
 *   steps: 100, tokens: 51200, trainLoss: 2.1, valLoss: 2.2, bestValLoss: 2.2, bytesPerToken: 1,
 *   params, flopsPerToken: 6 * params.total, trainSeconds: 10, evalSeconds: 1, diverged: null,
 *   history: [],
 * });
 * summary.tokensPerSecond; // 5120
 * ```
 */
export function runSummary(run: RunMeasurements): Omit<GptTrainResult, "model"> {
  const { tokens, params, flopsPerToken, trainSeconds } = run;
  return {
    steps: run.steps,
    tokens,
    trainLoss: run.trainLoss,
    valLoss: run.valLoss,
    valBitsPerByte: run.valLoss / Math.LN2 / run.bytesPerToken,
    bestValLoss: run.bestValLoss,
    params,
    flops: {
      exact: tokens * flopsPerToken,
      sixND: 6 * params.nonEmbedding * tokens,
      sixNDTotal: 6 * params.total * tokens,
    },
    tokensPerSecond: tokens / trainSeconds,
    flopsPerSecond: (tokens * flopsPerToken) / trainSeconds,
    trainSeconds,
    evalSeconds: run.evalSeconds,
    diverged: run.diverged,
    history: run.history,
  };
}

/**
 * Hyperparameters with defaults filled in and checked (one-line errors).
 *
 * @example
 * ```ts
 * resolveTrainHyper({ steps: 1000, batch: 16, lr: 3e-3, seed: 0 }, 256).warmupSteps; // 50
 * ```
 */
export function resolveTrainHyper(hyper: TrainHyper, vocabSize: number): Required<TrainHyper> {
  const steps = hyper.steps;
  const checkInt = (name: string, v: number, min: number) => {
    if (!Number.isSafeInteger(v) || v < min) {
      throw new RangeError(`train: ${name} must be an integer ≥ ${min}, got ${v}`);
    }
  };
  checkInt("steps", steps, 1);
  checkInt("batch", hyper.batch, 1);
  if (!(hyper.lr > 0) || !Number.isFinite(hyper.lr)) {
    throw new RangeError(`train: lr must be a positive number, got ${hyper.lr}`);
  }
  const full = {
    schedule: "cosine",
    warmupSteps: Math.max(1, Math.round(0.05 * steps)),
    minLrFraction: 0.1,
    optimizer: "adamw",
    weightDecay: 0.1,
    beta1: 0.9,
    beta2: 0.95,
    maxGradNorm: 1,
    logInterval: 25,
    evalInterval: Math.max(1, Math.ceil(steps / 4)),
    divergenceLoss: 2 * Math.log(vocabSize),
    ...Object.fromEntries(Object.entries(hyper).filter(([, v]) => v !== undefined)),
  } as Required<TrainHyper>;
  checkInt("warmupSteps", full.warmupSteps, 0);
  checkInt("logInterval", full.logInterval, 1);
  checkInt("evalInterval", full.evalInterval, 0);
  if (!["cosine", "constant"].includes(full.schedule)) {
    throw new RangeError(`train: schedule must be "cosine" or "constant", got "${full.schedule}"`);
  }
  if (!["adamw", "sgd"].includes(full.optimizer)) {
    throw new RangeError(`train: optimizer must be "adamw" or "sgd", got "${full.optimizer}"`);
  }
  if (!(full.minLrFraction >= 0 && full.minLrFraction <= 1)) {
    throw new RangeError(`train: minLrFraction must be in [0, 1], got ${full.minLrFraction}`);
  }
  return full;
}

/**
 * The learning rate per 0-based step: linear warmup to `lr`, then a half cosine reaching
 * `minLrFraction · lr` at the last step; or `lr` throughout for `"constant"`.
 *
 * @example
 * ```ts
 * const lr = learningRateSchedule(resolveTrainHyper({ steps: 1000, batch: 8, lr: 1e-3, seed: 0 }, 256));
 * lr(999); // 1e-4
 * ```
 */
export function learningRateSchedule(hyper: Required<TrainHyper>): LrSchedule {
  if (hyper.schedule === "constant") return constantLr(hyper.lr);
  const warmupSteps = Math.min(hyper.warmupSteps, hyper.steps - 1);
  return cosineLr({
    peak: hyper.lr,
    floor: hyper.minLrFraction * hyper.lr,
    warmupSteps,
    decaySteps: Math.max(warmupSteps + 1, hyper.steps - 1),
  });
}

/**
 * The optimizer of a run over a model's parameters (weight decay on matrices and embeddings).
 *
 * @example
 * ```ts
 * const opt = createGptOptimizer(model, resolveTrainHyper(hyper, 256));
 * ```
 */
export function createGptOptimizer(model: Gpt, hyper: Required<TrainHyper>): FusedOptimizer {
  const { decay, noDecay } = model.decayGroups();
  const groups = [{ params: decay, weightDecay: hyper.weightDecay }];
  if (noDecay.length > 0) groups.push({ params: noDecay, weightDecay: 0 });
  const common = {
    lr: learningRateSchedule(hyper),
    maxGradNorm: hyper.maxGradNorm > 0 ? hyper.maxGradNorm : undefined,
  };
  return hyper.optimizer === "sgd"
    ? new SGD(groups, { ...common, momentum: 0.9 })
    : new AdamW(groups, { ...common, beta1: hyper.beta1, beta2: hyper.beta2 });
}

/**
 * Trains a GPT and returns its metrics and the trained model.
 *
 * @example
 * ```ts
 * const data = await loadTextData({ source: { corpus: "sotu" }, trainTokens: 2_000_000 });
 * const config = gptConfig({ nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 64, vocabSize: 256 });
 * const result = await trainGpt({
 *   config, train: data.train, steps: 500, batch: 16, lr: 3e-3, seed: 0,
 *   validation: validationBatches(data.validation, { context: 64, batch: 32, windows: 128 }),
 * });
 * console.log(result.valLoss, result.tokensPerSecond);
 * result.model.dispose();
 * ```
 */
export async function trainGpt(options: TrainGptOptions): Promise<GptTrainResult> {
  const { config } = options;
  const hyper = resolveTrainHyper(options, config.vocabSize);
  const context = config.blockSize;
  const bytesPerToken = options.bytesPerToken ?? 1;
  const gpu = await acquireGpu();
  const model = options.model ?? Gpt.create(config, hyper.seed);
  const optimizer = createGptOptimizer(model, hyper);
  const batches = randomWindowBatches(options.train, {
    context,
    batch: hyper.batch,
    seed: hyper.seed,
  });
  const flopsPerToken = gptTrainingFlops(gptFlopsConfig(config), 1).exact;
  const counts = gptCounts(config);
  const tokensPerStep = hyper.batch * context;
  const lossSum = keep(tensor([0], []));
  const history: TrainLogPoint[] = [];
  const started = performance.now();
  let evalSeconds = 0;
  let diverged: string | null = null;
  let sinceLog = 0;
  let trainLoss = NaN;
  let valLoss = NaN;
  let bestValLoss = Infinity;
  let step = 0;
  try {
    while (step < hyper.steps) {
      options.signal?.throwIfAborted();
      const batch = batches.next().value;
      const shape = [hyper.batch, context];
      const inputs = tensor(batch.inputs, shape, { dtype: "i32" });
      const targets = tensor(batch.targets, shape, { dtype: "i32" });
      optimizer.zeroGrad();
      const loss = model.loss(inputs, targets, {
        training: true,
        dropoutSeed: hyper.seed,
        step,
      });
      backward(loss);
      mapInPlace("accumulate", "a + b", lossSum, loss);
      for (const t of [loss, inputs, targets]) t.dispose();
      optimizer.step();
      gpu.flush();
      step++;
      sinceLog++;
      const evaluate = step === hyper.steps ||
        (hyper.evalInterval > 0 && step % hyper.evalInterval === 0);
      if (step % hyper.logInterval !== 0 && !evaluate) continue;
      trainLoss = (await lossSum.item()) / sinceLog;
      fillInPlace(lossSum, 0);
      sinceLog = 0;
      const point: TrainLogPoint = {
        step,
        tokens: step * tokensPerStep,
        flops: step * tokensPerStep * flopsPerToken,
        trainLoss,
        lr: optimizer.schedule(step - 1),
        seconds: (performance.now() - started) / 1000,
      };
      if (!Number.isFinite(trainLoss) || trainLoss > hyper.divergenceLoss) {
        diverged = `training loss ${trainLoss} at step ${step} ` +
          `(limit ${hyper.divergenceLoss.toFixed(2)})`;
        history.push(point);
        options.onLog?.(point);
        break;
      }
      if (evaluate) {
        const evalStart = performance.now();
        valLoss = (await evaluateGptLoss(model, options.validation)).loss;
        evalSeconds += (performance.now() - evalStart) / 1000;
        bestValLoss = Math.min(bestValLoss, valLoss);
        point.valLoss = valLoss;
        point.seconds = (performance.now() - started) / 1000;
      }
      history.push(point);
      options.onLog?.(point);
    }
  } catch (error) {
    optimizer.dispose();
    if (!options.model) model.dispose();
    throw error;
  } finally {
    lossSum.dispose();
  }
  optimizer.dispose();
  const trainSeconds = (performance.now() - started) / 1000 - evalSeconds;
  return {
    ...runSummary({
      steps: step,
      tokens: step * tokensPerStep,
      trainLoss,
      valLoss,
      bestValLoss,
      bytesPerToken,
      params: counts,
      flopsPerToken,
      trainSeconds,
      evalSeconds,
      diverged,
      history,
    }),
    model,
  };
}
