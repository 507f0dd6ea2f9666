/**
 * One GPT sweep trial: a flat, JSON-serializable trial config (the axes of the GPT experiments)
 * → data, model and hyperparameters → a training run whose logging points become the trial's
 * history (`ctx.report`) and whose result becomes its metrics.
 *
 * Metrics: `loss` (the final held-out loss, nats/token, the sweep objective), `best_loss`
 * (lowest held-out loss at any evaluation: early stopping), `val_bpb`, `train_loss`, `n`
 * (non-embedding parameters), `n_total`, `d` (training tokens seen), `train_tokens` (size of
 * the training set), `flops` (exact), `flops_6nd`, `tokens_per_second`, `flops_per_second`,
 * `steps`, `train_seconds`, `adapter_name`. A diverged run returns `loss: Infinity` (the sweep
 * records it as diverged) and `loss_at_divergence`.
 *
 * @module
 */
import { acquireGpu } from "../gpu/device.ts";
import type { TrialContext } from "../sweep/define.ts";
import {
  type Activation,
  type GptConfig,
  gptConfig,
  type NormPlacement,
  type PositionEncoding,
} from "../nn/config.ts";
import { gptCounts } from "../nn/parameters.ts";
import { loadTextData, validationBatches } from "./text_data.ts";
import { type GptTrainResult, type OptimizerKind, type ScheduleKind, trainGpt } from "./trainer.ts";

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
 * Runs one GPT trial for the sweep engine.
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
  const config = trialModelConfig(trial);
  const data = await loadTextData({
    source: { corpus: trial.corpus ?? "sotu" },
    trainTokens: trial.tokens,
    dataSeed: trial.seed,
  });
  const gpu = await ctx.device.then(() => acquireGpu(), () => acquireGpu());
  const evals = trial.evals ?? 4;
  const result = await trainGpt({
    config,
    train: data.train,
    validation: validationBatches(data.validation, {
      context: trial.context,
      batch: EVAL_BATCH,
      windows: trial.eval_windows ?? 128,
    }),
    bytesPerToken: data.bytesPerToken,
    steps: trial.steps,
    batch: trial.batch,
    lr: trial.lr,
    seed: trial.seed,
    schedule: trial.schedule,
    optimizer: trial.optimizer,
    evalInterval: Math.max(1, Math.ceil(trial.steps / evals)),
    signal: ctx.signal,
    onLog: (point) =>
      ctx.report(point.step, {
        train_loss: point.trainLoss,
        ...(point.valLoss !== undefined ? { val_loss: point.valLoss } : {}),
        tokens: point.tokens,
        flops: point.flops,
        lr: point.lr,
      }),
  });
  result.model.dispose();
  return trialMetrics(result, data.train.length, gpu.adapterName);
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
  result: Omit<GptTrainResult, "model">,
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
