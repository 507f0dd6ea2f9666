/**
 * Hoffmann et al. 2022's parametric law L(N, D) = E + A/N^α + B/D^β, fitted as they (and Epoch
 * AI's replication) describe: Huber loss (δ = 1e-3) on log L − LSE(a − α·log N, b − β·log D, e),
 * L-BFGS from the grid α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1}, a, b ∈ {0, 5, …, 25},
 * keeping the best; E = eᵉ, A = eᵃ, B = eᵇ.
 *
 * @module
 */

import { computeOptimalExponents } from "./compute_optimal.ts";
import { formatConstant } from "./format.ts";
import { fitLogLinkLaw, type LawFit, type LawFitOptions, type LogLinkLaw } from "./law_fit.ts";
import type { LbfgsObjective } from "./lbfgs.ts";
import { gridStarts, type LogLinkModel } from "./log_link.ts";
import { checkResidualLoss, type ResidualLoss } from "./residual_loss.ts";

/** Parameters of L(N, D) = E + A/N^α + B/D^β. */
export interface ChinchillaParams {
  /** Irreducible loss. */
  E: number;
  /** Model-size coefficient. */
  A: number;
  /** Data coefficient. */
  B: number;
  /** Model-size exponent α. */
  alpha: number;
  /** Data exponent β. */
  beta: number;
}

/** The constants Hoffmann et al. 2022 published (fit on all their runs). */
export const CHINCHILLA_PUBLISHED: Readonly<ChinchillaParams> = Object.freeze({
  E: 1.69,
  A: 406.4,
  B: 410.7,
  alpha: 0.34,
  beta: 0.28,
});

/** Epoch AI's best fit on the Figure 4 points without the 5 highest-loss runs. */
export const CHINCHILLA_EPOCH_REPLICATION: Readonly<ChinchillaParams> = Object.freeze({
  E: 1.817,
  A: 477,
  B: 2138,
  alpha: 0.3473,
  beta: 0.3671,
});

/** The grid of starting points, in the internal order [a, b, e, α, β] (4500 points). */
export const CHINCHILLA_GRID: readonly number[][] = gridStarts([
  [0, 5, 10, 15, 20, 25],
  [0, 5, 10, 15, 20, 25],
  [-1, -0.5, 0, 0.5, 1],
  [0, 0.5, 1, 1.5, 2],
  [0, 0.5, 1, 1.5, 2],
]);

/**
 * L(N, D) = E + A/N^α + B/D^β.
 *
 * @example
 * ```ts
 * predictChinchillaLoss(CHINCHILLA_PUBLISHED, 70e9, 1.4e12); // ≈ 1.94
 * ```
 */
export function predictChinchillaLoss(params: ChinchillaParams, n: number, d: number): number {
  return params.E + params.A / n ** params.alpha + params.B / d ** params.beta;
}

/** log L = LSE(a − α·log N, b − β·log D, e); θ = [a, b, e, α, β]. */
function chinchillaModel(logN: Float64Array, logD: Float64Array): LogLinkModel {
  return {
    parameterCount: 5,
    pointCount: logN.length,
    evaluate(theta, logPrediction, jacobian) {
      const [a, b, e, alpha, beta] = theta;
      for (let i = 0; i < logN.length; i++) {
        const t1 = a - alpha * logN[i];
        const t2 = b - beta * logD[i];
        const top = Math.max(t1, t2, e);
        const e1 = Math.exp(t1 - top);
        const e2 = Math.exp(t2 - top);
        const e3 = Math.exp(e - top);
        const sum = e1 + e2 + e3;
        logPrediction[i] = top + Math.log(sum);
        const w1 = e1 / sum;
        const w2 = e2 / sum;
        const row = 5 * i;
        jacobian[row] = w1;
        jacobian[row + 1] = w2;
        jacobian[row + 2] = e3 / sum;
        jacobian[row + 3] = -w1 * logN[i];
        jacobian[row + 4] = -w2 * logD[i];
      }
    },
  };
}

/**
 * The summed residual loss of {@link chinchillaModel} and its gradient in one pass over the
 * points (the grid search spends nearly all its time here). Squared loss is Huber with δ = ∞.
 */
function chinchillaObjective(
  logN: Float64Array,
  logD: Float64Array,
  logL: Float64Array,
  loss: ResidualLoss,
): LbfgsObjective {
  checkResidualLoss(loss);
  const delta = loss.kind === "huber" ? loss.delta : Infinity;
  const count = logN.length;
  return (theta, gradient) => {
    const a = theta[0], b = theta[1], e = theta[2], alpha = theta[3], beta = theta[4];
    const expE = Math.exp(e);
    let total = 0, ga = 0, gb = 0, ge = 0, gAlpha = 0, gBeta = 0;
    for (let i = 0; i < count; i++) {
      const t1 = a - alpha * logN[i];
      const t2 = b - beta * logD[i];
      // Plain exponentials while they stay in range (two per point); shifted by the largest
      // term otherwise.
      let e1 = Math.exp(t1);
      let e2 = Math.exp(t2);
      let e3 = expE;
      let sum = e1 + e2 + e3;
      let top = 0;
      if (!(sum > 1e-300 && sum < 1e300)) {
        top = t1 > t2 ? (t1 > e ? t1 : e) : (t2 > e ? t2 : e);
        e1 = Math.exp(t1 - top);
        e2 = Math.exp(t2 - top);
        e3 = Math.exp(e - top);
        sum = e1 + e2 + e3;
      }
      const r = top + Math.log(sum) - logL[i];
      let slope: number;
      if (r > delta) {
        total += delta * (r - 0.5 * delta);
        slope = delta;
      } else if (r < -delta) {
        total += delta * (-r - 0.5 * delta);
        slope = -delta;
      } else {
        total += 0.5 * r * r;
        slope = r;
      }
      const scale = slope / sum;
      const w1 = scale * e1;
      const w2 = scale * e2;
      ga += w1;
      gb += w2;
      ge += scale * e3;
      gAlpha -= w1 * logN[i];
      gBeta -= w2 * logD[i];
    }
    gradient[0] = ga;
    gradient[1] = gb;
    gradient[2] = ge;
    gradient[3] = gAlpha;
    gradient[4] = gBeta;
    return total;
  };
}

/**
 * The law as text with its fitted constants.
 *
 * @example
 * ```ts
 * chinchillaEquation(CHINCHILLA_PUBLISHED); // "L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28"
 * ```
 */
export function chinchillaEquation(p: ChinchillaParams): string {
  return `L = ${formatConstant(p.E)} + ${formatConstant(p.A)}/N^${formatConstant(p.alpha)} + ${
    formatConstant(p.B)
  }/D^${formatConstant(p.beta)}`;
}

const CHINCHILLA: LogLinkLaw<ChinchillaParams> = {
  name: "chinchilla",
  parameterCount: 5,
  defaultLoss: { kind: "huber", delta: 1e-3 },
  model: ([logN, logD]) => chinchillaModel(logN, logD),
  objective: ([logN, logD], logL, loss) => chinchillaObjective(logN, logD, logL, loss),
  starts: () => CHINCHILLA_GRID,
  params: (theta) => ({
    E: Math.exp(theta[2]),
    A: Math.exp(theta[0]),
    B: Math.exp(theta[1]),
    alpha: theta[3],
    beta: theta[4],
  }),
  derived: (p) => ({ ...computeOptimalExponents(p) }),
  equation: chinchillaEquation,
};

/**
 * Fits L(N, D) = E + A/N^α + B/D^β to losses of runs with N parameters trained on D tokens.
 * `derived` holds the compute-optimal exponents a = β/(α+β), b = α/(α+β) and the coefficient G.
 *
 * @example
 * ```ts
 * const fit = fitChinchilla({ n, d, loss }, { bootstrap: { resamples: 200, seed: 0 } });
 * fit.params.alpha; fit.derived.a; fit.bootstrap?.intervals.E.lower;
 * ```
 */
export function fitChinchilla(
  data: { n: ArrayLike<number>; d: ArrayLike<number>; loss: ArrayLike<number> },
  options: LawFitOptions = {},
): LawFit<ChinchillaParams> {
  return fitLogLinkLaw(CHINCHILLA, { n: data.n, d: data.d }, { loss: data.loss }, options);
}
