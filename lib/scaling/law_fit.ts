/**
 * The fitting procedure every law shares: validate the points, run L-BFGS from the law's
 * starting points on its log-residual objective, polish the winner, summarize residuals, and
 * optionally bootstrap every fitted quantity (each resample warm-started from the full fit).
 *
 * @module
 */

import { bootstrapIntervals, type BootstrapOptions, type BootstrapSummary } from "./bootstrap.ts";
import { type LbfgsObjective, type LbfgsOptions, minimizeLbfgs } from "./lbfgs.ts";
import {
  type LogLinkModel,
  logResidualObjective,
  logResiduals,
  minimizeFromStarts,
} from "./log_link.ts";
import {
  checkPointCount,
  checkSameLength,
  pick,
  positiveLogs,
  type ResidualSummary,
  summarizeResiduals,
} from "./observations.ts";
import type { ResidualLoss } from "./residual_loss.ts";

/** Options every law's fit accepts. */
export interface LawFitOptions {
  /** Penalty on log residuals; each law has its own default. */
  loss?: ResidualLoss;
  /**
   * Bootstrap every fitted quantity when given; each resample is refitted by L-BFGS started
   * from the fit on all points (not from the whole grid of starts).
   */
  bootstrap?: BootstrapOptions;
  /** Overrides the law's starting points (parameter vectors in the law's internal order). */
  starts?: readonly ArrayLike<number>[];
  /**
   * Stopping rules of the screening run from each start (default: stop once an iteration gains
   * less than 1e-6 of the objective); the best runs are then polished to full precision.
   */
  lbfgs?: LbfgsOptions;
}

/** A fitted law. */
export interface LawFit<P> {
  /** Which law (e.g. `"chinchilla"`, `"power"`, `"kaplan-n"`). */
  law: string;
  /** Fitted parameters by name. */
  params: P;
  /** Quantities computed from the parameters (e.g. compute-optimal exponents); may be empty. */
  derived: Record<string, number>;
  /** The law with its fitted constants, e.g. `L = 1.817 + 477/N^0.3473 + 2138/D^0.3671`. */
  equation: string;
  /** The minimized objective: summed loss of log residuals. */
  objective: number;
  /** Log-residual summary on the fitted points. */
  residuals: ResidualSummary;
  /** Starting points tried. */
  starts: number;
  /** Index of the start the best run came from. */
  bestStart: number;
  /** Objective evaluations spent over all starts. */
  evaluations: number;
  /** Wall-clock milliseconds of the multi-start fit (bootstrap excluded). */
  fitMilliseconds: number;
  /** Percentile intervals of every parameter and derived quantity, when bootstrapped. */
  bootstrap?: BootstrapSummary;
}

/** What a law supplies to {@link fitLogLinkLaw}. */
export interface LogLinkLaw<P> {
  /** Name reported in {@link LawFit.law}. */
  name: string;
  /** Free parameters (the minimum number of points). */
  parameterCount: number;
  /** The default residual penalty. */
  defaultLoss: ResidualLoss;
  /** The model on the logs of its input columns. */
  model(logInputs: readonly Float64Array[]): LogLinkModel;
  /**
   * A hand-specialized objective equal to {@link logResidualObjective} of {@link model}, for
   * laws fitted from many starts; the generic one is used when absent.
   */
  objective?(
    logInputs: readonly Float64Array[],
    logObserved: Float64Array,
    loss: ResidualLoss,
  ): LbfgsObjective;
  /** Starting parameter vectors for the given data. */
  starts(
    logInputs: readonly Float64Array[],
    logObserved: Float64Array,
  ): readonly ArrayLike<number>[];
  /** Named parameters from the internal vector. */
  params(theta: Float64Array): P;
  /** Derived quantities from the parameters. */
  derived(params: P): Record<string, number>;
  /** The fitted equation as text. */
  equation(params: P): string;
}

const SCREEN: LbfgsOptions = { relativeTolerance: 1e-6 };
const POLISHED_CANDIDATES = 10;
const POLISH: LbfgsOptions = {
  maxIterations: 5000,
  gradientTolerance: 0,
  relativeTolerance: 1e-15,
};

/**
 * Fits a {@link LogLinkLaw} to named input columns and an observed column (all positive); the
 * names appear in error messages.
 *
 * @example
 * ```ts
 * // log y = θ₀ − θ₁·log x, i.e. y = e^θ₀·x^(−θ₁)
 * const line: LogLinkLaw<{ a: number; b: number }> = {
 *   name: "line", parameterCount: 2, defaultLoss: { kind: "squared" },
 *   model: ([logX]) => ({
 *     parameterCount: 2, pointCount: logX.length,
 *     evaluate(t, p, j) { logX.forEach((v, i) => { p[i] = t[0] - t[1] * v; j[2 * i] = 1; j[2 * i + 1] = -v; }); },
 *   }),
 *   starts: () => [[0, 0]],
 *   params: (t) => ({ a: Math.exp(t[0]), b: t[1] }),
 *   derived: () => ({}),
 *   equation: (p) => `y = ${p.a}·x^-${p.b}`,
 * };
 * fitLogLinkLaw(line, { x: [1, 2, 4] }, { y: [8, 4, 2] }, {}).params; // ≈ { a: 8, b: 1 }
 * ```
 */
export function fitLogLinkLaw<P extends object>(
  law: LogLinkLaw<P>,
  inputs: Record<string, ArrayLike<number>>,
  observed: Record<string, ArrayLike<number>>,
  options: LawFitOptions,
): LawFit<P> {
  const pointCount = checkSameLength({ ...inputs, ...observed });
  const logInputs = Object.entries(inputs).map(([name, values]) => positiveLogs(values, name));
  const [[observedName, observedValues]] = Object.entries(observed);
  const logObserved = positiveLogs(observedValues, observedName);
  checkPointCount(pointCount, law.parameterCount, law.name);
  const loss = options.loss ?? law.defaultLoss;
  const started = performance.now();
  const objectiveOf = (columns: readonly Float64Array[], logY: Float64Array) =>
    law.objective?.(columns, logY, loss) ??
      logResidualObjective(law.model(columns), logY, loss);
  const objective = objectiveOf(logInputs, logObserved);
  const starts = options.starts ?? law.starts(logInputs, logObserved);
  const search = minimizeFromStarts(
    objective,
    starts,
    options.lbfgs ?? SCREEN,
    POLISHED_CANDIDATES,
  );
  let best = search.ranked[0];
  let evaluations = search.evaluations;
  for (const candidate of search.ranked) {
    const polished = minimizeLbfgs(objective, candidate.x, POLISH);
    evaluations += polished.evaluations;
    if (polished.value < best.value) best = { ...polished, start: candidate.start };
  }
  const theta = best.x;
  const fitMilliseconds = performance.now() - started;
  const params = law.params(theta);
  const derived = law.derived(params);
  const fit: LawFit<P> = {
    law: law.name,
    params,
    derived,
    equation: law.equation(params),
    objective: best.value,
    residuals: summarizeResiduals(logResiduals(law.model(logInputs), theta, logObserved)),
    starts: search.runs,
    bestStart: best.start,
    evaluations,
    fitMilliseconds,
  };
  if (options.bootstrap === undefined) return fit;
  const quantities = (p: P) => ({ ...(p as Record<string, number>), ...law.derived(p) });
  fit.bootstrap = bootstrapIntervals(pointCount, quantities(params), (indices) => {
    const sample = logInputs.map((column) => pick(column, indices));
    const sampleObjective = objectiveOf(sample, pick(logObserved, indices));
    const refit = minimizeLbfgs(sampleObjective, theta, POLISH);
    if (!refit.x.every(Number.isFinite)) throw new RangeError("refit diverged");
    return quantities(law.params(refit.x));
  }, options.bootstrap);
  return fit;
}
