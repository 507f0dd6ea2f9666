/**
 * The LeCun 1989 convnet, its reproduction and modernization ladder: the net's shape and
 * counts (from `kernels/lecun/architecture.ts`), recipes with every factor as a switch, the
 * trainer over the whole-run WebGPU kernels (many runs per dispatch), run orchestration and
 * reports. The float64 reference the kernels are tested against is
 * `kernels/lecun/reference.ts`.
 *
 * @example
 * ```ts
 * import { acquireGpu } from "../gpu/mod.ts";
 * import { lecunConfig, trainLecun } from "./mod.ts";
 * const gpu = await acquireGpu();
 * const [run] = await trainLecun(gpu, [lecunConfig("baseline", { passes: 2 })]);
 * console.log(run.final.test.error);
 * ```
 *
 * @module
 */
export {
  countMacs,
  countParameters,
  type Fanout,
  h1Fanout,
  h2Inputs,
  type LecunShape,
  lecunShape,
  PARAMETER_NAMES,
  type ParameterLayout,
  parameterLayout,
  type ParameterName,
} from "../../kernels/lecun/architecture.ts";
export {
  DATA_SCALING,
  DEFAULT_SEED,
  findVariant,
  LADDER,
  type LecunActivation,
  type LecunConfig,
  lecunConfig,
  type LecunLoss,
  type LecunOptimizer,
  type LecunVariant,
  outputBiasInit,
  passLearningRate,
  validateConfig,
  VARIANTS,
} from "./config.ts";
export {
  type DigitsOnGpu,
  kernelSpecOf,
  LecunTrainer,
  type LecunTrainerOptions,
  type RunEvaluation,
  type SplitStats,
  unsupportedWidth,
  uploadDigits,
} from "./trainer.ts";
export { initParameters } from "./init.ts";
export { augmentShift, rollImage } from "./noise.ts";
export {
  formatTable,
  type MeanStd,
  meanStd,
  readRunFiles,
  reproJson,
  runFileName,
  type RunSummaryJson,
  summarizeVariants,
  type VariantSummary,
  writeRunFile,
  writeSummaryFiles,
} from "./report.ts";
export {
  groupKey,
  type PassRecord,
  type RunResult,
  trainLecun,
  type TrainLecunOptions,
} from "./run.ts";
