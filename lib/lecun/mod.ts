/**
 * The LeCun 1989 convnet, its reproduction and modernization ladder: the net's shape and
 * counts, recipes with every factor as a switch, the fused WebGPU trainer (many runs per
 * dispatch), the generic-ops version, the float64 reference, run orchestration and reports.
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
} from "./architecture.ts";
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
  fusedSpecOf,
  FusedTrainer,
  type FusedTrainerOptions,
  fusedUnsupported,
  type RunEvaluation,
  type SplitStats,
  uploadDigits,
} from "./fused.ts";
export { lecunSuite } from "./bench.ts";
export { GenericLecunNet, type GenericOptions, h2Connections } from "./generic.ts";
export { initParameters } from "./init.ts";
export { augmentShift, dropoutKeeps, rollImage } from "./noise.ts";
export {
  ADAM,
  referenceGradient,
  type ReferenceOptimizerState,
  type ReferenceOptions,
  type ReferenceResult,
  referenceUpdate,
} from "./reference.ts";
export {
  errorCurvesSpec,
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
