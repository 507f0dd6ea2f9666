/**
 * Training: the GPT trainer for R runs trained together as one model (AdamW or SGD, warmup +
 * cosine to 10%, per-run clipping, held-out loss, per-run divergence, throughput), byte-level
 * text data, held-out evaluation, and the sweep trials built on them.
 *
 * @example
 * ```ts
 * import { gptConfig } from "../nn/mod.ts";
 * import { loadTextData, trainGpt, validationBatches } from "./mod.ts";
 * const data = await loadTextData({ source: { corpus: "sotu" }, trainTokens: 1_000_000 });
 * const config = gptConfig({ nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 64, vocabSize: 256 });
 * const validation = validationBatches(data.validation, { context: 64, batch: 32, windows: 128 });
 * const { results, model } = await trainGpt({
 *   config,
 *   runs: [{ train: data.train, validation, steps: 300, batch: 16, lr: 3e-3, seed: 0 }],
 * });
 * model.dispose();
 * ```
 *
 * @module
 */
export {
  type GptRun,
  type GptRunResult,
  type GptTrainResult,
  learningRateSchedule,
  type OptimizerKind,
  resolveTrainHyper,
  runOptimizer,
  type ScheduleKind,
  trainGpt,
  type TrainGptOptions,
  type TrainHyper,
  type TrainLogPoint,
} from "./trainer.ts";
export {
  combineHeldOut,
  evaluateGptLoss,
  type HeldOutLoss,
  type RecordedHeldOut,
  recordHeldOut,
} from "./evaluate.ts";
export {
  loadTextData,
  type TextData,
  type TextDataOptions,
  type TextSource,
  validationBatches,
} from "./text_data.ts";
export {
  gptModels,
  type GptModelShape,
  gptPackKey,
  type GptTrialConfig,
  type GptTrialContext,
  type GptTrialModel,
  nonEmbeddingParams,
  runGptTrial,
  runGptTrials,
  trialMetrics,
  trialModelConfig,
} from "./gpt_trial.ts";
