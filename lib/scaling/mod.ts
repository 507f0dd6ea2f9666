/**
 * Scaling laws: FLOP and parameter accounting, power-law, Kaplan and Chinchilla fits (L-BFGS on
 * Huber or squared log residuals, bootstrap intervals), compute-optimal allocation and
 * Chinchilla's three approaches (training-curve envelope, IsoFLOP profiles, parametric fit).
 *
 * @example
 * ```ts
 * import { fitChinchilla, readCsvTable, positiveColumn } from "./lib/scaling/mod.ts";
 * const table = await readCsvTable("tests/scaling/fixtures/chinchilla-figure4.csv");
 * const n = positiveColumn(table, "Model Size");
 * const c = positiveColumn(table, "Training FLOP");
 * const fit = fitChinchilla({ n, d: c.map((ci, i) => ci / (6 * n[i])), loss: positiveColumn(table, "loss") });
 * fit.equation;
 * ```
 *
 * @module
 */
export {
  convLayerMacs,
  type ConvLayerShape,
  denseLayerMacs,
  type ExampleTrainingCost,
  type GptConfig as GptFlopsConfig,
  type GptForwardFlops,
  gptForwardFlops,
  type GptParamCounts,
  gptParamCounts,
  type GptTrainingFlops,
  gptTrainingFlops,
  lecun1989Macs,
  trainingCostFromMacs,
} from "./flops.ts";
export {
  type LbfgsObjective,
  type LbfgsOptions,
  type LbfgsResult,
  type LbfgsStop,
  minimizeLbfgs,
} from "./lbfgs.ts";
export { huberDerivative, huberLoss, type ResidualLoss } from "./residual_loss.ts";
export {
  BootstrapFailure,
  bootstrapIntervals,
  type BootstrapOptions,
  type BootstrapSummary,
  type ParameterInterval,
} from "./bootstrap.ts";
export type { ResidualSummary } from "./observations.ts";
export { type LawFit, type LawFitOptions } from "./law_fit.ts";
export {
  fitPowerLaw,
  type PowerLawFitOptions,
  type PowerLawParams,
  predictPowerLaw,
} from "./power_law.ts";
export {
  fitKaplanD,
  fitKaplanN,
  fitKaplanND,
  type KaplanDParams,
  type KaplanNDParams,
  type KaplanNParams,
  predictKaplanLoss,
} from "./kaplan.ts";
export {
  CHINCHILLA_EPOCH_REPLICATION,
  CHINCHILLA_GRID,
  CHINCHILLA_PUBLISHED,
  chinchillaEquation,
  type ChinchillaParams,
  fitChinchilla,
  predictChinchillaLoss,
} from "./chinchilla.ts";
export {
  computeOptimalAllocation,
  type ComputeOptimalExponents,
  computeOptimalExponents,
  type ComputeOptimalLaw,
  type ComputeOptimalPoint,
  fitComputeOptimalLaw,
  optimalModelFor,
  parametricComputeOptimalLaw,
} from "./compute_optimal.ts";
export {
  envelopeApproach,
  type EnvelopePoint,
  type EnvelopeResult,
  type TrainingCurvePoint,
} from "./envelope.ts";
export {
  isoFlopApproach,
  type IsoFlopOptions,
  type IsoFlopProfile,
  type IsoFlopResult,
  type IsoFlopRun,
} from "./isoflop.ts";
export { type CsvTable, excludeHighest, positiveColumn, readCsvTable } from "./table.ts";
export { formatConstant } from "./format.ts";
