/**
 * Training: the GPT trainer (AdamW, warmup + cosine to 10%, clipping, held-out loss, divergence
 * detection, throughput), byte-level text data, and held-out evaluation.
 *
 * @example
 * ```ts
 * import { gptConfig } from "../nn/mod.ts";
 * import { loadTextData, trainGpt, validationBatches } from "./mod.ts";
 * const data = await loadTextData({ source: { corpus: "sotu" }, trainTokens: 1_000_000 });
 * const config = gptConfig({ nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 64, vocabSize: 256 });
 * const result = await trainGpt({
 *   config, train: data.train, steps: 300, batch: 16, lr: 3e-3, seed: 0,
 *   validation: validationBatches(data.validation, { context: 64, batch: 32, windows: 128 }),
 * });
 * result.model.dispose();
 * ```
 *
 * @module
 */
export {
  createGptOptimizer,
  type GptTrainResult,
  learningRateSchedule,
  type OptimizerKind,
  resolveTrainHyper,
  type ScheduleKind,
  trainGpt,
  type TrainGptOptions,
  type TrainHyper,
  type TrainLogPoint,
} from "./trainer.ts";
export { evaluateGptLoss, type HeldOutLoss } from "./evaluate.ts";
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
  type GptTrialConfig,
  type GptTrialModel,
  nonEmbeddingParams,
  runGptTrial,
  trialMetrics,
  trialModelConfig,
} from "./gpt_trial.ts";
