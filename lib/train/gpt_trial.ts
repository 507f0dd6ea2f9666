/**
 * One GPT sweep trial: a flat, JSON-serializable trial config (the axes of the GPT experiments)
 * → data, model and hyperparameters → a training run whose logging points become the trial's
 * history (`ctx.report`) and whose result becomes its metrics.
 *
 * Metrics: `loss` (the final held-out loss, nats/token, the sweep objective), `best_loss`
 * (lowest held-out loss at any evaluation: early stopping), `val_bpb`, `train_loss`, `n`
 * (non-embedding parameters), `n_total`, `d` (training tokens seen), `train_tokens` (size of
 * the training set), `flops` (exact), `flops_6nd`, `tokens_per_second`, `flops_per_second`,
 * `steps`, `train_seconds`, `pack_size` (runs trained together), `adapter_name`. A diverged run
 * returns `loss: Infinity` (the sweep records it as diverged) and `loss_at_divergence`.
 *
 * @module
 */
import { acquireGpu } from "../gpu/device.ts";
import {
  type AdapterLimits,
  packSignal,
  type PackSpec,
  type TrialContext,
} from "../sweep/define.ts";
import { gptSizeProblems } from "../nn/limits.ts";
import {
  type Activation,
  type GptConfig,
  gptConfig,
  type NormPlacement,
  type PositionEncoding,
} from "../nn/config.ts";
import { gptCounts } from "../nn/parameters.ts";
import { loadTextData, validationBatches } from "./text_data.ts";
import { type GptRunResult, type OptimizerKind, type ScheduleKind, trainGpt } from "./trainer.ts";

/** A GPT trial's config as experiment axes give it (optional fields have defaults). */
export interface GptTrialConfig {
  layers: number;
  heads: number;
  width: number;
  /** Context length T (the model's block size). */
  context: number;
  batch: number;
  steps: number;
  lr: number;
  seed: number;
  /** Training-set size D in tokens (default: the whole training split). */
  tokens?: number;
  /** Corpus name (default `sotu`). */
  corpus?: string;
  norm?: NormPlacement;
  activation?: Activation;
  tied_head?: boolean;
  positions?: PositionEncoding;
  bias?: boolean;
  dropout?: number;
  schedule?: ScheduleKind;
  optimizer?: OptimizerKind;
  /** Held-out windows (default 128). */
  eval_windows?: number;
  /** Held-out evaluations per run (default 4). */
  evals?: number;
}

/** The fields of a trial config that fix the model. */
export type GptTrialModel = Pick<
  GptTrialConfig,
  | "layers"
  | "heads"
  | "width"
  | "context"
  | "norm"
  | "activation"
  | "tied_head"
  | "positions"
  | "bias"
  | "dropout"
>;

/** A model axis value: layers, width and heads. */
export interface GptModelShape {
  layers: number;
  width: number;
  heads: number;
}

/**
 * Model-axis values from [layers, width] pairs, with heads of about `headSize` (default 16):
 * the nearest head count to width/headSize that divides the width, rounding down.
 *
 * @example
 * ```ts
 * gptModels([[1, 16], [2, 32]]); // [{ layers: 1, width: 16, heads: 1 }, { layers: 2, width: 32, heads: 2 }]
 * ```
 */
export function gptModels(
  shapes: readonly (readonly [number, number])[],
  headSize = 16,
): GptModelShape[] {
  return shapes.map(([layers, width]) => {
    let heads = Math.max(1, Math.round(width / headSize));
    while (width % heads !== 0) heads--;
    return { layers, width, heads };
  });
}

/**
 * The peak AdamW learning rate the experiments use for a model of width `width`:
 * 0.01 · min(1, 16 / width), falling as 1/width beyond width 16 as μP prescribes for Adam on
 * hidden matrices (tuned by hand on byte-level SOTU: at width 32 it beats 0.01/√2 by 0.18 nats
 * after 1,500 steps).
 *
 * @example
 * ```ts
 * defaultGptLr(64); // 0.0025
 * ```
 */
export function defaultGptLr(width: number): number {
  return 0.01 * Math.min(1, 16 / width);
}

/** Validation windows per batch. */
const EVAL_BATCH = 32;

/**
 * The model config of a trial config (vocabulary 256: byte tokens).
 *
 * @example
 * ```ts
 * trialModelConfig({ layers: 2, heads: 2, width: 32, context: 64 });
 * ```
 */
export function trialModelConfig(trial: GptTrialModel): GptConfig {
  return gptConfig({
    nLayer: trial.layers,
    nHead: trial.heads,
    nEmbd: trial.width,
    blockSize: trial.context,
    vocabSize: 256,
    norm: trial.norm,
    activation: trial.activation,
    tiedHead: trial.tied_head,
    positions: trial.positions,
    bias: trial.bias,
    dropout: trial.dropout,
  });
}

/**
 * Kaplan's N (non-embedding parameters) of a trial's model, e.g. to derive steps from a
 * compute budget C = 6·N·D.
 *
 * @example
 * ```ts
 * nonEmbeddingParams({ layers: 2, heads: 2, width: 32, context: 64 }); // 25,408
 * ```
 */
export function nonEmbeddingParams(trial: GptTrialModel): number {
  return gptCounts(trialModelConfig(trial)).nonEmbedding;
}

/**
 * The key under which trials may train together: what fixes the model and the step's shape
 * (architecture with defaults filled in, batch, optimizer, corpus, held-out windows) and the
 * horizon (steps). Seeds, learning rates, training-set sizes, schedules, dropout and
 * evaluation counts may differ within a pack; so may axes the run never reads (a budget's
 * name, a derived ratio). Runs of one horizon, since a pack steps until its longest run ends.
 *
 * @example
 * ```ts
 * gptPackKey({ ...config, seed: 1 }) === gptPackKey({ ...config, seed: 2 }); // true
 * ```
 */
export function gptPackKey(trial: GptTrialConfig): string {
  const model = trialModelConfig({ ...trial, dropout: 0 });
  return JSON.stringify({
    model,
    batch: trial.batch,
    steps: trial.steps,
    optimizer: trial.optimizer ?? "adamw",
    corpus: trial.corpus ?? "sotu",
    eval_windows: trial.eval_windows ?? 128,
  });
}

/** Most GPT trials trained together (the host cost of a step does not grow with R). */
export const GPT_PACK_MAX = 64;

/**
 * How many trials like `trial` fit one pack on an adapter with `limits` (null: unknown, the
 * default WebGPU limits assumed): the most runs, up to {@link GPT_PACK_MAX}, whose parameter
 * slab and activations stay within the adapter's buffer and binding sizes.
 *
 * @example
 * ```ts
 * gptPackCapacity(trial, { maxBufferSize: 2 ** 28, maxStorageBufferBindingSize: 2 ** 27, maxComputeWorkgroupsPerDimension: 65535 });
 * ```
 */
export function gptPackCapacity(trial: GptTrialConfig, limits: AdapterLimits | null): number {
  const known = {
    maxBufferSize: limits?.maxBufferSize ?? 2 ** 28,
    maxStorageBufferBindingSize: limits?.maxStorageBufferBindingSize ?? 2 ** 27,
    maxComputeWorkgroupsPerDimension: limits?.maxComputeWorkgroupsPerDimension ?? 65535,
  };
  const config = trialModelConfig(trial);
  const fits = (runs: number) =>
    gptSizeProblems(config, trial.batch, { limits: known, training: true, runs }).length === 0 &&
    gptSizeProblems(config, EVAL_BATCH, { limits: known, training: false, runs }).length === 0;
  let runs = 1;
  while (runs < GPT_PACK_MAX && fits(runs + 1)) runs++;
  return runs;
}

/**
 * The `pack` of a GPT sweep: trials with equal {@link gptPackKey} train as one model with a
 * runs axis ({@link runGptTrials}), as many as {@link gptPackCapacity} allows.
 *
 * @example
 * ```ts
 * export const sweep = defineSweep({ name: "gpt-data-size", version: 1, axes, pack: gptPack,
 *   run: (config, ctx) => runGptTrial(config, ctx) });
 * ```
 */
export const gptPack: PackSpec<GptTrialConfig> = {
  key: gptPackKey,
  capacity: gptPackCapacity,
  run: runGptTrials,
};

/** What a trial of a pack sees: its id-free context (report, signal, device). */
export type GptTrialContext = Pick<TrialContext, "report" | "signal" | "device"> & {
  /** Records the trial's metrics as soon as its run ends (before the pack's other runs). */
  finish?: (metrics: Record<string, number | string>) => void;
};

/**
 * Runs GPT trials that share a pack key as one model with a runs axis: each trial's run has
 * its own seed, data, learning rate and schedule, dropout and horizon; each reports its own
 * history and metrics (and is finished as soon as its run ends). One trial is a pack of one.
 *
 * @example
 * ```ts
 * const metrics = await runGptTrials([configA, configB], [ctxA, ctxB]);
 * ```
 */
export async function runGptTrials(
  trials: readonly GptTrialConfig[],
  contexts: readonly GptTrialContext[],
): Promise<Record<string, number | string>[]> {
  if (trials.length === 0 || trials.length !== contexts.length) {
    throw new Error(`runGptTrials: ${trials.length} trials for ${contexts.length} contexts`);
  }
  const key = gptPackKey(trials[0]);
  trials.forEach((t, i) => {
    if (gptPackKey(t) !== key) {
      throw new Error(`runGptTrials: trial ${i} does not share trial 0's pack key`);
    }
  });
  const config = trialModelConfig(trials[0]);
  const data = await Promise.all(trials.map((trial) =>
    loadTextData({
      source: { corpus: trial.corpus ?? "sotu" },
      trainTokens: trial.tokens,
      dataSeed: trial.seed,
    })
  ));
  const gpu = await contexts[0].device.then(() => acquireGpu(), () => acquireGpu());
  const signal = packSignal(contexts);
  const metrics: (Record<string, number | string> | undefined)[] = trials.map(() => undefined);
  const { results, model } = await trainGpt({
    config,
    bytesPerToken: data[0].bytesPerToken,
    signal,
    runs: trials.map((trial, i) => ({
      train: data[i].train,
      validation: validationBatches(data[i].validation, {
        context: trial.context,
        batch: EVAL_BATCH,
        windows: trial.eval_windows ?? 128,
      }),
      steps: trial.steps,
      batch: trial.batch,
      lr: trial.lr,
      seed: trial.seed,
      schedule: trial.schedule,
      optimizer: trial.optimizer,
      dropout: trial.dropout,
      evalInterval: Math.max(1, Math.ceil(trial.steps / (trial.evals ?? 4))),
      onLog: (point) =>
        contexts[i].report(point.step, {
          train_loss: point.trainLoss,
          ...(point.valLoss !== undefined ? { val_loss: point.valLoss } : {}),
          tokens: point.tokens,
          flops: point.flops,
          lr: point.lr,
        }),
      onEnd: (result) => {
        metrics[i] = trialMetrics(result, data[i].train.length, gpu.adapterName);
        contexts[i].finish?.(metrics[i]!);
      },
    })),
  });
  model.dispose();
  return results.map((result, i) =>
    metrics[i] ?? trialMetrics(result, data[i].train.length, gpu.adapterName)
  );
}

/**
 * Runs one GPT trial for the sweep engine (a pack of one).
 *
 * @example
 * ```ts
 * export const sweep = defineSweep({
 *   name: "tiny-gpt", version: 1,
 *   axes: { layers: [2], heads: [2], width: [32], context: [64], batch: [16], steps: [200], lr: [3e-3], seed: [0, 1] },
 *   run: (config, ctx) => runGptTrial(config, ctx),
 * });
 * ```
 */
export async function runGptTrial(
  trial: GptTrialConfig,
  ctx: TrialContext,
): Promise<Record<string, number | string>> {
  const [metrics] = await runGptTrials([trial], [ctx]);
  return metrics;
}

/**
 * The metrics a GPT trial records (see the module description).
 *
 * @example
 * ```ts
 * const metrics = trialMetrics(result, data.train.length, gpu.adapterName);
 * ```
 */
export function trialMetrics(
  result: GptRunResult,
  trainTokens: number,
  adapter: string,
): Record<string, number | string> {
  const common = {
    n: result.params.nonEmbedding,
    n_total: result.params.total,
    d: result.tokens,
    train_tokens: trainTokens,
    flops: result.flops.exact,
    flops_6nd: result.flops.sixND,
    tokens_per_second: result.tokensPerSecond,
    flops_per_second: result.flopsPerSecond,
    steps: result.steps,
    train_seconds: result.trainSeconds,
    pack_size: result.packSize,
    adapter_name: adapter,
  };
  if (result.diverged) {
    return { loss: Infinity, loss_at_divergence: result.trainLoss, ...common };
  }
  return {
    loss: result.valLoss,
    best_loss: result.bestValLoss,
    val_bpb: result.valBitsPerByte,
    train_loss: result.trainLoss,
    ...common,
  };
}
