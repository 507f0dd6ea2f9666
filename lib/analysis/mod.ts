/**
 * Results analysis: each experiment's fits and figures from its finished trial records
 * (`fits.json` and SVG/PNG plots in the results directory).
 *
 * @module
 */
export {
  type AblationRun,
  analyzeAblations,
  type ComputeMultiplier,
  computeMultipliers,
  type MultiplierOptions,
} from "./ablations.ts";
export { type AnalysisReport } from "./common.ts";
export { analyzeDataSize } from "./data_size.ts";
export { analyzeIsoFlop } from "./isoflop.ts";
export { analyzeModelSize } from "./model_size.ts";
export { analyzeLecunScaling } from "./lecun_scaling.ts";
export { lecunErrorCurvesSpec, writeLecunErrorCurves } from "./lecun1989.ts";
export { bootstrapBand, type CurveRefit } from "./bands.ts";
export {
  ablationLabel,
  additive,
  chinchillaText,
  kaplanEquation,
  lecunRecipe,
  lecunRecipeLabel,
  lecunRecipeRank,
  powerLawText,
} from "./labels.ts";
export {
  analyzeFactorial,
  FACTORIAL_FACTORS,
  type FactorialAnalysisOptions,
  type FactorialFactor,
  type FactorialLevels,
  ladderCells,
  type LadderRung,
  LECUN_FACTORIAL_DESIGN,
} from "./factorial.ts";
export {
  type Attribution,
  type AttributionOptions,
  factorialAttribution,
  type FactorialAttributionResult,
  type FactorialCell,
  type FactorialDesign,
  type FactorialRun,
} from "./factorial_attribution.ts";
export {
  cellName,
  effectMasks,
  effectName,
  effectWeights,
  type FactorialEffect,
  factorialEffects,
  shapleyValues,
} from "./shapley.ts";
export {
  analyzeIsoError,
  type ComputeEquivalent,
  computeEquivalent,
  type ComputeEquivalentOptions,
  type ErrorLaw,
  type IsoErrorRun,
  type MeasuredEquivalent,
  type Multiplier,
  predictError,
} from "./iso_error.ts";
export {
  CLAIM_RULES,
  type ClaimVerdict,
  claimVerdicts,
  type FactorialFits,
  type IsoErrorFits,
  type IsoMultiplier,
  type Verdict,
} from "./claims.ts";
