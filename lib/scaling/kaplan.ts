/**
 * Kaplan et al. 2020 laws: L(N) = (N_c/N)^α_N, L(D) = (D_c/D)^α_D and
 * L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D, fitted on log residuals (least squares by default).
 *
 * @module
 */

import { formatConstant } from "./format.ts";
import { fitLogLinkLaw, type LawFit, type LawFitOptions, type LogLinkLaw } from "./law_fit.ts";
import { gridStarts, logLinearModel, logLinearStart, type LogLinkModel } from "./log_link.ts";

/** Parameters of L(N) = (N_c/N)^α_N. */
export interface KaplanNParams {
  /** Critical parameter count N_c. */
  Nc: number;
  /** Exponent α_N (Kaplan et al.: ≈ 0.076). */
  alphaN: number;
}

/** Parameters of L(D) = (D_c/D)^α_D. */
export interface KaplanDParams {
  /** Critical token count D_c. */
  Dc: number;
  /** Exponent α_D (Kaplan et al.: ≈ 0.095). */
  alphaD: number;
}

/** Parameters of L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D. */
export type KaplanNDParams = KaplanNParams & KaplanDParams;

/**
 * L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D.
 *
 * @example
 * ```ts
 * predictKaplanLoss({ Nc: 8.8e13, alphaN: 0.076, Dc: 5.4e13, alphaD: 0.095 }, 1e9, 1e10);
 * ```
 */
export function predictKaplanLoss(params: KaplanNDParams, n: number, d: number): number {
  return ((params.Nc / n) ** (params.alphaN / params.alphaD) + params.Dc / d) ** params.alphaD;
}

/** L = (x_c/x)^α is log-linear: θ = [α·ln x_c, α]. */
const KAPLAN_N: LogLinkLaw<KaplanNParams> = {
  name: "kaplan-n",
  parameterCount: 2,
  defaultLoss: { kind: "squared" },
  model: ([logN]) => logLinearModel(logN),
  starts: logLinearStart,
  params: (theta) => ({ Nc: Math.exp(theta[0] / theta[1]), alphaN: theta[1] }),
  derived: () => ({}),
  equation: (p) => `L = (${formatConstant(p.Nc)}/N)^${formatConstant(p.alphaN)}`,
};

const KAPLAN_D: LogLinkLaw<KaplanDParams> = {
  name: "kaplan-d",
  parameterCount: 2,
  defaultLoss: { kind: "squared" },
  model: ([logD]) => logLinearModel(logD),
  starts: logLinearStart,
  params: (theta) => ({ Dc: Math.exp(theta[0] / theta[1]), alphaD: theta[1] }),
  derived: () => ({}),
  equation: (p) => `L = (${formatConstant(p.Dc)}/D)^${formatConstant(p.alphaD)}`,
};

/**
 * log L = α_D·log(exp(u₁) + exp(u₂)), u₁ = (α_N/α_D)(ln N_c − ln N), u₂ = ln D_c − ln D;
 * θ = [ln N_c, ln D_c, α_N, α_D].
 */
function jointModel(logN: Float64Array, logD: Float64Array): LogLinkModel {
  return {
    parameterCount: 4,
    pointCount: logN.length,
    evaluate(theta, logPrediction, jacobian) {
      const [logNc, logDc, alphaN, alphaD] = theta;
      const ratio = alphaN / alphaD;
      for (let i = 0; i < logN.length; i++) {
        const sN = logNc - logN[i];
        const u1 = ratio * sN;
        const u2 = logDc - logD[i];
        const top = Math.max(u1, u2);
        const e1 = Math.exp(u1 - top);
        const e2 = Math.exp(u2 - top);
        const sum = e1 + e2;
        const lse = top + Math.log(sum);
        const w1 = e1 / sum;
        const w2 = e2 / sum;
        logPrediction[i] = alphaD * lse;
        const row = 4 * i;
        jacobian[row] = w1 * alphaN;
        jacobian[row + 1] = w2 * alphaD;
        jacobian[row + 2] = w1 * sN;
        jacobian[row + 3] = lse - w1 * u1;
      }
    },
  };
}

const KAPLAN_ND: LogLinkLaw<KaplanNDParams> = {
  name: "kaplan-nd",
  parameterCount: 4,
  defaultLoss: { kind: "squared" },
  model: ([logN, logD]) => jointModel(logN, logD),
  starts([logN, logD]) {
    const maxLogN = Math.max(...logN);
    const maxLogD = Math.max(...logD);
    const offsets = [0, 5, 10, 20];
    const exponents = [0.05, 0.1, 0.3];
    return gridStarts([
      offsets.map((o) => maxLogN + o),
      offsets.map((o) => maxLogD + o),
      exponents,
      exponents,
    ]);
  },
  params: (theta) => ({
    Nc: Math.exp(theta[0]),
    alphaN: theta[2],
    Dc: Math.exp(theta[1]),
    alphaD: theta[3],
  }),
  derived: () => ({}),
  equation: (p) =>
    `L = [(${formatConstant(p.Nc)}/N)^${formatConstant(p.alphaN / p.alphaD)} + ${
      formatConstant(p.Dc)
    }/D]^${formatConstant(p.alphaD)}`,
};

/**
 * Fits Kaplan et al.'s L(N) = (N_c/N)^α_N (losses of models trained to convergence).
 *
 * @example
 * ```ts
 * const n = [1e6, 1e7, 1e8];
 * fitKaplanN({ n, loss: n.map((v) => (8.8e13 / v) ** 0.076) }).params; // ≈ { Nc: 8.8e13, alphaN: 0.076 }
 * ```
 */
export function fitKaplanN(
  data: { n: ArrayLike<number>; loss: ArrayLike<number> },
  options: LawFitOptions = {},
): LawFit<KaplanNParams> {
  return fitLogLinkLaw(KAPLAN_N, { n: data.n }, { loss: data.loss }, options);
}

/**
 * Fits Kaplan et al.'s L(D) = (D_c/D)^α_D (large models, early-stopped, on D tokens).
 *
 * @example
 * ```ts
 * const d = [1e8, 1e9, 1e10];
 * fitKaplanD({ d, loss: d.map((v) => (5.4e13 / v) ** 0.095) }).params; // ≈ { Dc: 5.4e13, alphaD: 0.095 }
 * ```
 */
export function fitKaplanD(
  data: { d: ArrayLike<number>; loss: ArrayLike<number> },
  options: LawFitOptions = {},
): LawFit<KaplanDParams> {
  return fitLogLinkLaw(KAPLAN_D, { d: data.d }, { loss: data.loss }, options);
}

/**
 * Fits Kaplan et al.'s joint L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D from a grid of 144 starts.
 *
 * @example
 * ```ts
 * const fit = fitKaplanND({ n, d, loss });
 * fit.params.alphaN;
 * ```
 */
export function fitKaplanND(
  data: { n: ArrayLike<number>; d: ArrayLike<number>; loss: ArrayLike<number> },
  options: LawFitOptions = {},
): LawFit<KaplanNDParams> {
  return fitLogLinkLaw(KAPLAN_ND, { n: data.n, d: data.d }, { loss: data.loss }, options);
}
