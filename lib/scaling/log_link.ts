/**
 * Fitting laws in log space: a model predicts log y for every point (with its Jacobian), the
 * objective is the summed {@link ResidualLoss} of log ŷ − log y, and L-BFGS runs from several
 * starting points, keeping the best.
 *
 * @module
 */

import {
  type LbfgsObjective,
  type LbfgsOptions,
  type LbfgsResult,
  minimizeLbfgs,
} from "./lbfgs.ts";
import { fitLine } from "./regression.ts";
import { checkResidualLoss, type ResidualLoss, residualLossSum } from "./residual_loss.ts";

/** A law written as log-predictions with analytic derivatives. */
export interface LogLinkModel {
  /** Length of the parameter vector θ. */
  readonly parameterCount: number;
  /** Points the model predicts. */
  readonly pointCount: number;
  /** Writes log ŷᵢ(θ) into `logPrediction` and ∂log ŷᵢ/∂θₖ into `jacobian[i · parameterCount + k]`. */
  evaluate(theta: Float64Array, logPrediction: Float64Array, jacobian: Float64Array): void;
}

/** One L-BFGS run of a multi-start search, with the index of its start. */
export interface RankedRun extends LbfgsResult {
  /** Index of the starting point. */
  start: number;
}

/** The best runs of a multi-start search. */
export interface MultiStartResult {
  /** The lowest-objective runs, best first (ties keep the earlier start). */
  ranked: RankedRun[];
  /** Runs made (one per start). */
  runs: number;
  /** Objective evaluations over all runs. */
  evaluations: number;
}

/**
 * The objective Σ loss(log ŷᵢ(θ) − log yᵢ) of a {@link LogLinkModel} and its gradient.
 *
 * @example
 * ```ts
 * const model = { parameterCount: 1, pointCount: 1, evaluate: (t, p, j) => { p[0] = t[0]; j[0] = 1; } };
 * const objective = logResidualObjective(model, Float64Array.of(2), { kind: "squared" });
 * objective(Float64Array.of(3), new Float64Array(1)); // 0.5
 * ```
 */
export function logResidualObjective(
  model: LogLinkModel,
  logObserved: Float64Array,
  loss: ResidualLoss,
): LbfgsObjective {
  checkResidualLoss(loss);
  const n = model.pointCount;
  const p = model.parameterCount;
  const logPrediction = new Float64Array(n);
  const jacobian = new Float64Array(n * p);
  const residuals = new Float64Array(n);
  const derivatives = new Float64Array(n);
  return (theta, gradient) => {
    model.evaluate(theta, logPrediction, jacobian);
    for (let i = 0; i < n; i++) residuals[i] = logPrediction[i] - logObserved[i];
    const value = residualLossSum(loss, residuals, derivatives);
    gradient.fill(0);
    for (let i = 0; i < n; i++) {
      const weight = derivatives[i];
      const row = i * p;
      for (let k = 0; k < p; k++) gradient[k] += weight * jacobian[row + k];
    }
    return value;
  };
}

/**
 * Log residuals log ŷᵢ − log yᵢ of a model at θ.
 *
 * @example
 * ```ts
 * const model = { parameterCount: 1, pointCount: 1, evaluate: (t, p, j) => { p[0] = t[0]; j[0] = 1; } };
 * logResiduals(model, Float64Array.of(1), Float64Array.of(0.5)); // [0.5]
 * ```
 */
export function logResiduals(
  model: LogLinkModel,
  theta: Float64Array,
  logObserved: Float64Array,
): Float64Array {
  const logPrediction = new Float64Array(model.pointCount);
  model.evaluate(theta, logPrediction, new Float64Array(model.pointCount * model.parameterCount));
  return logPrediction.map((value, i) => value - logObserved[i]);
}

/**
 * Runs L-BFGS from every start and keeps the `keep` runs with the lowest objective.
 *
 * @example
 * ```ts
 * const square = (x: Float64Array, g: Float64Array) => { g[0] = 2 * x[0]; return x[0] ** 2; };
 * minimizeFromStarts(square, [[1], [-4]]).ranked[0].x; // ≈ [0]
 * ```
 */
export function minimizeFromStarts(
  objective: LbfgsObjective,
  starts: readonly ArrayLike<number>[],
  options: LbfgsOptions = {},
  keep = 1,
): MultiStartResult {
  if (starts.length === 0) throw new RangeError("at least one starting point is needed");
  const ranked: RankedRun[] = [];
  let evaluations = 0;
  starts.forEach((point, start) => {
    const result = minimizeLbfgs(objective, point, options);
    evaluations += result.evaluations;
    if (ranked.length === keep && !(result.value < ranked[keep - 1].value)) return;
    let slot = ranked.length;
    while (slot > 0 && result.value < ranked[slot - 1].value) slot--;
    ranked.splice(slot, 0, { ...result, start });
    if (ranked.length > keep) ranked.pop();
  });
  return { ranked, runs: starts.length, evaluations };
}

/**
 * Every combination of the given axis values, in row-major order (the last axis varies fastest).
 *
 * @example
 * ```ts
 * gridStarts([[0, 1], [5]]); // [[0, 5], [1, 5]]
 * ```
 */
export function gridStarts(axes: readonly (readonly number[])[]): number[][] {
  let points: number[][] = [[]];
  for (const axis of axes) points = points.flatMap((point) => axis.map((v) => [...point, v]));
  return points;
}

/**
 * The pure power law in log space, log ŷ = θ₀ − θ₁·log x (θ₁ the exponent, θ₀/θ₁ the log of
 * the scale), shared by the Kaplan single-variable laws and the power law without a floor.
 *
 * @example
 * ```ts
 * const model = logLinearModel(Float64Array.from([0, 1]));
 * const prediction = new Float64Array(2);
 * model.evaluate(Float64Array.from([1, 0.5]), prediction, new Float64Array(4)); // prediction = [1, 0.5]
 * ```
 */
export function logLinearModel(logX: Float64Array): LogLinkModel {
  return {
    parameterCount: 2,
    pointCount: logX.length,
    evaluate(theta, logPrediction, jacobian) {
      for (let i = 0; i < logX.length; i++) {
        logPrediction[i] = theta[0] - theta[1] * logX[i];
        jacobian[2 * i] = 1;
        jacobian[2 * i + 1] = -logX[i];
      }
    },
  };
}

/**
 * The one start of {@link logLinearModel}: the least-squares line through (log x, log y).
 *
 * @example
 * ```ts
 * logLinearStart([Float64Array.from([0, 1])], Float64Array.from([1, 0.5])); // [[1, 0.5]]
 * ```
 */
export function logLinearStart([logX]: readonly Float64Array[], logY: Float64Array): number[][] {
  const [intercept, slope] = fitLine(logX, logY);
  return [[intercept, -slope]];
}
