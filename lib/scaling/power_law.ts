/**
 * Power laws y = a·x^(−b), optionally with an irreducible term: y = a·x^(−b) + c (c > 0),
 * fitted on log residuals (least squares by default).
 *
 * @module
 */

import { formatConstant } from "./format.ts";
import { fitLogLinkLaw, type LawFit, type LawFitOptions, type LogLinkLaw } from "./law_fit.ts";
import { logLinearModel, logLinearStart, type LogLinkModel } from "./log_link.ts";
import { fitLine } from "./regression.ts";

/** Parameters of y = a·x^(−b) + c; c is 0 for the pure power law. */
export interface PowerLawParams {
  /** Coefficient. */
  a: number;
  /** Exponent (positive for a decreasing law). */
  b: number;
  /** Irreducible term (0 without one). */
  c: number;
}

/** Options of {@link fitPowerLaw}. */
export interface PowerLawFitOptions extends LawFitOptions {
  /** Fit an irreducible term c (default false). */
  irreducible?: boolean;
}

/**
 * y = a·x^(−b) + c at x.
 *
 * @example
 * ```ts
 * predictPowerLaw({ a: 2, b: 1, c: 0.5 }, 4); // 1
 * ```
 */
export function predictPowerLaw(params: PowerLawParams, x: number): number {
  return params.a * x ** -params.b + params.c;
}

/** log y = log(exp(ln a − b·log x) + exp(ln c)); θ = [ln a, b, ln c]. */
function irreducibleModel(logX: Float64Array): LogLinkModel {
  return {
    parameterCount: 3,
    pointCount: logX.length,
    evaluate(theta, logPrediction, jacobian) {
      for (let i = 0; i < logX.length; i++) {
        const power = theta[0] - theta[1] * logX[i];
        const floor = theta[2];
        const top = Math.max(power, floor);
        const wPower = Math.exp(power - top);
        const wFloor = Math.exp(floor - top);
        const sum = wPower + wFloor;
        logPrediction[i] = top + Math.log(sum);
        jacobian[3 * i] = wPower / sum;
        jacobian[3 * i + 1] = -logX[i] * wPower / sum;
        jacobian[3 * i + 2] = wFloor / sum;
      }
    },
  };
}

function equation(p: PowerLawParams): string {
  const power = `${formatConstant(p.a)}·x^${formatConstant(-p.b)}`;
  return p.c === 0 ? `y = ${power}` : `y = ${power} + ${formatConstant(p.c)}`;
}

/** y = a·x^(−b) is log-linear: θ = [ln a, b]. */
const PURE: LogLinkLaw<PowerLawParams> = {
  name: "power",
  parameterCount: 2,
  defaultLoss: { kind: "squared" },
  model: ([logX]) => logLinearModel(logX),
  starts: logLinearStart,
  params: (theta) => ({ a: Math.exp(theta[0]), b: theta[1], c: 0 }),
  derived: () => ({}),
  equation,
};

const EXPONENT_STARTS = [0.05, 0.2, 0.5, 1, 2];
const FLOOR_FRACTIONS = [0.01, 0.3, 0.6, 0.9, 0.99];

const WITH_IRREDUCIBLE: LogLinkLaw<PowerLawParams> = {
  name: "power",
  parameterCount: 3,
  defaultLoss: { kind: "squared" },
  model: ([logX]) => irreducibleModel(logX),
  starts([logX], logY) {
    const y = logY.map(Math.exp);
    const smallest = Math.min(...y);
    const [intercept, slope] = fitLine(logX, logY);
    const starts: number[][] = [[intercept, -slope, Math.log(smallest) - 5]];
    for (const fraction of FLOOR_FRACTIONS) {
      const c = fraction * smallest;
      for (const b of EXPONENT_STARTS) {
        let lnA = 0;
        for (let i = 0; i < y.length; i++) lnA += Math.log(y[i] - c) + b * logX[i];
        starts.push([lnA / y.length, b, Math.log(c)]);
      }
    }
    return starts;
  },
  params: (theta) => ({ a: Math.exp(theta[0]), b: theta[1], c: Math.exp(theta[2]) }),
  derived: () => ({}),
  equation,
};

/**
 * Fits y = a·x^(−b) (or y = a·x^(−b) + c with `irreducible: true`) by minimizing the squared log
 * residuals (or `options.loss`); x and y must be positive.
 *
 * @example
 * ```ts
 * const x = [1e6, 1e7, 1e8, 1e9];
 * const fit = fitPowerLaw({ x, y: x.map((v) => 400 * v ** -0.3 + 1.7) }, { irreducible: true });
 * fit.params; // ≈ { a: 400, b: 0.3, c: 1.7 }
 * ```
 */
export function fitPowerLaw(
  data: { x: ArrayLike<number>; y: ArrayLike<number> },
  options: PowerLawFitOptions = {},
): LawFit<PowerLawParams> {
  const law = options.irreducible ? WITH_IRREDUCIBLE : PURE;
  return fitLogLinkLaw(law, { x: data.x }, { y: data.y }, options);
}
