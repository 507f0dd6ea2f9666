/**
 * The GPT trainer, for R runs of one architecture trained together as one model (R = 1 is the
 * ordinary run): AdamW (or SGD with momentum) with linear warmup then cosine decay to 10% of
 * the peak over each run's own horizon, gradient clipping by each run's global norm, each run
 * on its own random-window batches of its own training stream, held-out loss at each run's
 * intervals, per-run divergence detection (a diverged run stops updating and is reported; the
 * others go on), and throughput accounting.
 *
 * Each step (forward, backward, update) is recorded into one command encoder and submitted
 * without waiting. Per-row losses go to a ring on the GPU; at a logging point one kernel
 * reduces them per run and the readback is started without waiting for it: it is collected at
 * the next logging point, so the ≈ 10 ms a WebGPU readback costs in Deno (its `mapAsync` polls
 * the device and then sleeps 10 ms) overlaps with training instead of stalling it. Same options
 * and seeds → bitwise the same losses.
 *
 * @module
 */
import { meanLosses } from "../../kernels/loss.ts";
import { combineHeldOut, recordHeldOut } from "./evaluate.ts";
import type { RunDropout } from "../../kernels/dropout.ts";
import { acquireGpu } from "../gpu/device.ts";
import type { TokenBatch } from "../data/text/windows.ts";
import { randomWindowBatches } from "../data/text/windows.ts";
import type { TokenArray } from "../data/tokenizer.ts";
import { Optimizer, type RunOptimizerOptions } from "../optim/optimizer.ts";
import { constantLr, cosineLr, type LrSchedule } from "../optim/schedule.ts";
import { gptTrainingFlops } from "../scaling/flops.ts";
import { empty, type Tensor } from "../tensor/tensor.ts";
import { type GptConfig, gptFlopsConfig } from "../nn/config.ts";
import { Gpt } from "../nn/gpt.ts";
import { type GptCounts, gptCounts } from "../nn/parameters.ts";

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
  /** Dropout probability of this run (default 0). */
  dropout?: number;
  /** Steps between training-loss readbacks (default 25). */
  logInterval?: number;
  /** Steps between held-out evaluations (default: 4 evaluations per run; 0: only at the end). */
  evalInterval?: number;
  /** A loss above this (or non-finite) means divergence (default 2·ln V). */
  divergenceLoss?: number;
}

/** One run: its hyperparameters and its data. */
export interface GptRun extends TrainHyper {
  /** The training token stream. */
  train: TokenArray;
  /** The fixed held-out windows (every run of a pack has as many, of the same size). */
  validation: readonly TokenBatch[];
  /** Called at every logging point of this run. */
  onLog?: (point: TrainLogPoint) => void;
  /** Called once when the run is done (all its steps, or diverged), before the others end. */
  onEnd?: (result: GptRunResult) => void;
}

/** Everything a training of R runs needs. */
export interface TrainGptOptions {
  /** The architecture; windows are `config.blockSize` tokens long. */
  config: GptConfig;
  /** The runs, trained together (they must share the batch size and the optimizer). */
  runs: readonly GptRun[];
  /** Bytes of text per token (default 1: byte tokens), for bits per byte. */
  bytesPerToken?: number;
  /** Start from this model instead of fresh ones (trained in place; as many runs). */
  model?: Gpt;
  /** Stops the training (the promise rejects with the signal's reason). */
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
  /** Seconds since the start of the training. */
  seconds: number;
}

/** What one run produced. */
export interface GptRunResult {
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
  /** This run's share of the training throughput: its tokens per second of training. */
  tokensPerSecond: number;
  /** Its achieved training FLOP/s (exact count; evaluation time excluded). */
  flopsPerSecond: number;
  /** Seconds spent training (evaluations excluded) and evaluating, until the run ended. */
  trainSeconds: number;
  evalSeconds: number;
  /** Runs trained together (the pack size R). */
  packSize: number;
  /** Why the run stopped early, or null. */
  diverged: string | null;
  /** Every logging point. */
  history: TrainLogPoint[];
}

/** What a training of R runs produced. */
export interface GptTrainResult {
  /** One result per run, in order. */
  results: GptRunResult[];
  /** The trained model (the caller disposes it). */
  model: Gpt;
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
    dropout: 0,
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
  if (!(full.dropout >= 0 && full.dropout < 1)) {
    throw new RangeError(`train: dropout must be in [0, 1), got ${full.dropout}`);
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
 * The optimizer settings of a run (AdamW β from the run, SGD with momentum 0.9; weight decay
 * on matrices and embeddings only, as the slab's decay flags say).
 *
 * @example
 * ```ts
 * const opt = new Optimizer(model.slab, "adamw", runs.map((r) => runOptimizer(resolveTrainHyper(r, 256))));
 * ```
 */
export function runOptimizer(hyper: Required<TrainHyper>): RunOptimizerOptions {
  return {
    lr: learningRateSchedule(hyper),
    weightDecay: hyper.weightDecay,
    maxGradNorm: hyper.maxGradNorm,
    ...(hyper.optimizer === "sgd" ? { momentum: 0.9 } : { beta1: hyper.beta1, beta2: hyper.beta2 }),
  };
}

/** A logging point's readback in flight: its losses arrive later, with the step they belong to. */
interface PendingLog {
  step: number;
  /** Runs that log at this point, and those that also evaluated. */
  logging: number[];
  evaluated: Set<number>;
  /** Per-run mean training loss since the previous point. */
  train: Promise<Float32Array>;
  /** Per-run held-out loss, when some run evaluated. */
  val?: Promise<number[]>;
  seconds: number;
  lrs: number[];
}

/**
 * Trains R runs of one architecture as one model and returns each run's metrics and the
 * trained model.
 *
 * @example
 * ```ts
 * const data = await loadTextData({ source: { corpus: "sotu" }, trainTokens: 2_000_000 });
 * const config = gptConfig({ nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 64, vocabSize: 256 });
 * const validation = validationBatches(data.validation, { context: 64, batch: 32, windows: 128 });
 * const { results, model } = await trainGpt({
 *   config,
 *   runs: [0, 1, 2].map((seed) => ({ train: data.train, validation, steps: 500, batch: 16, lr: 3e-3, seed })),
 * });
 * console.log(results.map((r) => r.valLoss));
 * model.dispose();
 * ```
 */
export async function trainGpt(options: TrainGptOptions): Promise<GptTrainResult> {
  const { config } = options;
  const runs = options.runs;
  if (runs.length === 0) throw new Error("train: no runs given");
  const hypers = runs.map((r) => resolveTrainHyper(r, config.vocabSize));
  checkPack(runs, hypers);
  const R = runs.length;
  const context = config.blockSize;
  const batch = hypers[0].batch;
  const rows = batch * context;
  const bytesPerToken = options.bytesPerToken ?? 1;
  const gpu = await acquireGpu();
  const model = options.model ?? Gpt.create(config, hypers.map((h) => h.seed));
  if (model.runs !== R) throw new Error(`train: the model has ${model.runs} runs, ${R} given`);
  const optimizer = new Optimizer(model.slab, hypers[0].optimizer, hypers.map(runOptimizer));
  const samplers = runs.map((r, k) =>
    randomWindowBatches(r.train, { context, batch, seed: hypers[k].seed })
  );
  const dropout: RunDropout[] = hypers.map((h) => ({ seed: h.seed >>> 0, p: h.dropout }));
  const flopsPerToken = gptTrainingFlops(gptFlopsConfig(config), 1).exact;
  const counts = gptCounts(config);
  const tokensPerStep = rows;
  const logInterval = hypers[0].logInterval;
  const validation = runs.map((r) => r.validation);
  const ring = empty([logInterval, R * rows], "f32", gpu);
  const ids = new Int32Array(R * rows), targets = new Int32Array(R * rows);
  const histories: TrainLogPoint[][] = runs.map(() => []);
  const state = runs.map(() => ({
    done: false,
    diverged: null as string | null,
    trainLoss: NaN,
    valLoss: NaN,
    bestValLoss: Infinity,
    steps: 0,
    endSeconds: 0,
    evalSecondsAtEnd: 0,
  }));
  const started = performance.now();
  let evalSeconds = 0;
  let slot = 0;
  let pending: PendingLog | null = null;
  const seconds = () => (performance.now() - started) / 1000;

  /** Collects a readback: per-run train (and val) losses, divergence, history, run ends. */
  const collect = async (log: PendingLog) => {
    const train = await log.train;
    const val = await log.val;
    for (const r of log.logging) {
      const run = state[r];
      const trainLoss = train[r];
      run.trainLoss = trainLoss;
      const point: TrainLogPoint = {
        step: log.step,
        tokens: log.step * tokensPerStep,
        flops: log.step * tokensPerStep * flopsPerToken,
        trainLoss,
        lr: log.lrs[r],
        seconds: log.seconds,
      };
      if (!Number.isFinite(trainLoss) || trainLoss > hypers[r].divergenceLoss) {
        run.diverged ??= `training loss ${trainLoss} at step ${log.step} ` +
          `(limit ${hypers[r].divergenceLoss.toFixed(2)})`;
      } else if (val && log.evaluated.has(r)) {
        point.valLoss = val[r];
        run.valLoss = point.valLoss;
        run.bestValLoss = Math.min(run.bestValLoss, point.valLoss);
      }
      histories[r].push(point);
      runs[r].onLog?.(point);
      if (run.diverged || log.step >= hypers[r].steps) finish(r, log.step);
    }
  };
  const finish = (r: number, step: number) => {
    const run = state[r];
    if (run.done) return;
    run.done = true;
    run.steps = run.diverged ? step : hypers[r].steps;
    run.endSeconds = seconds();
    run.evalSecondsAtEnd = evalSeconds;
    optimizer.setLive(r, false);
    runs[r].onEnd?.(resultOf(r));
  };
  const resultOf = (r: number): GptRunResult => {
    const run = state[r];
    const trainSeconds = Math.max(1e-9, run.endSeconds - run.evalSecondsAtEnd);
    const tokens = run.steps * tokensPerStep;
    return {
      steps: run.steps,
      tokens,
      trainLoss: run.trainLoss,
      valLoss: run.valLoss,
      valBitsPerByte: run.valLoss / Math.LN2 / bytesPerToken,
      bestValLoss: run.bestValLoss,
      params: counts,
      flops: {
        exact: tokens * flopsPerToken,
        sixND: 6 * counts.nonEmbedding * tokens,
        sixNDTotal: 6 * counts.total * tokens,
      },
      tokensPerSecond: tokens / trainSeconds,
      flopsPerSecond: (tokens * flopsPerToken) / trainSeconds,
      trainSeconds,
      evalSeconds: run.evalSecondsAtEnd,
      packSize: R,
      diverged: run.diverged,
      history: histories[r],
    };
  };

  try {
    optimizer.zeroGrad();
    // Go on while some run still has steps to take (a run past its horizon waits only for its
    // readback, and every run taking steps logs at least every logInterval steps).
    const wantsStep = (step: number) => state.some((s, r) => !s.done && step < hypers[r].steps);
    for (let step = 0; wantsStep(step); step++) {
      options.signal?.throwIfAborted();
      for (let r = 0; r < R; r++) {
        // Finished runs keep drawing batches (their updates are off), so the others' streams
        // are the ones they would draw alone.
        const windows = samplers[r].next().value;
        ids.set(windows.inputs, r * rows);
        targets.set(windows.targets, r * rows);
      }
      model.forward(ids, targets, { batch, context }, {
        training: true,
        step,
        dropout,
        losses: ring,
        lossOffset: slot * R * rows,
      });
      model.backward({ batch, context });
      optimizer.step();
      slot++;
      const done = step + 1;
      const logging: number[] = [];
      const evaluating = new Set<number>();
      for (let r = 0; r < R; r++) {
        if (state[r].done || done > hypers[r].steps) continue;
        // A run past its horizon stops updating at once (its result follows with the readback).
        if (done === hypers[r].steps) optimizer.setLive(r, false);
        const h = hypers[r];
        const last = done === h.steps;
        const evaluate = last || (h.evalInterval > 0 && done % h.evalInterval === 0);
        if (last || evaluate || done % logInterval === 0) logging.push(r);
        if (evaluate) evaluating.add(r);
      }
      if (logging.length === 0) {
        gpu.flush();
        continue;
      }
      const trainMeans = empty([R], "f32", gpu);
      meanLosses(ring, R, rows, slot, trainMeans);
      slot = 0;
      const log: PendingLog = {
        step: done,
        logging,
        evaluated: evaluating,
        train: readBack(trainMeans),
        seconds: seconds(),
        lrs: hypers.map((_, r) => optimizer.lr(r, step)),
      };
      if (evaluating.size > 0) {
        const evalStart = performance.now();
        const recorded = recordHeldOut(model, validation);
        log.val = readBack(recorded.means).then((means) => combineHeldOut(recorded, means));
        evalSeconds += (performance.now() - evalStart) / 1000;
      }
      const previous = pending;
      pending = log;
      if (previous) await collect(previous);
    }
    if (pending) await collect(pending);
    for (let r = 0; r < R; r++) finish(r, state[r].steps || hypers[r].steps);
  } catch (error) {
    optimizer.dispose();
    if (!options.model) model.dispose();
    throw error;
  } finally {
    ring.dispose();
  }
  optimizer.dispose();
  return { results: runs.map((_, r) => resultOf(r)), model };
}

/** Starts reading a small tensor back (collected later) and frees it once read. */
function readBack(t: Tensor): Promise<Float32Array> {
  return t.toArray().then((values) => values as Float32Array).finally(() => t.dispose());
}

/** Runs train together only when they share the batch, the optimizer and the evaluation shape. */
function checkPack(runs: readonly GptRun[], hypers: readonly Required<TrainHyper>[]): void {
  const first = hypers[0];
  const v0 = runs[0].validation;
  if (v0.length === 0) throw new Error("train: no validation windows given");
  runs.forEach((run, r) => {
    const h = hypers[r];
    if (h.batch !== first.batch || h.optimizer !== first.optimizer) {
      throw new Error(
        `train: run ${r} has batch ${h.batch} and ${h.optimizer}; runs trained together must ` +
          `share the batch and the optimizer (run 0: ${first.batch}, ${first.optimizer})`,
      );
    }
    if (h.logInterval !== first.logInterval) {
      throw new Error(
        `train: run ${r} logs every ${h.logInterval} steps, run 0 every ${first.logInterval}`,
      );
    }
    const v = run.validation;
    if (v.length !== v0.length || v.some((b, k) => b.batch !== v0[k].batch)) {
      throw new Error(`train: run ${r}'s validation windows differ in count or size from run 0's`);
    }
  });
}
