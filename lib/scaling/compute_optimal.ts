/**
 * Compute-optimal allocation under L(N, D) = E + A/N^α + B/D^β with C = 6·N·D (Hoffmann et al.
 * 2022, eq. 4): N_opt(C) = G·(C/6)^a, D_opt(C) = G⁻¹·(C/6)^b, a = β/(α+β), b = α/(α+β),
 * G = (αA/(βB))^(1/(α+β)).
 *
 * @module
 */

import type { ChinchillaParams } from "./chinchilla.ts";
import { fitLine } from "./regression.ts";

/** Exponents and coefficient of the compute-optimal allocation. */
export interface ComputeOptimalExponents {
  /** N_opt ∝ C^a, a = β/(α+β). */
  a: number;
  /** D_opt ∝ C^b, b = α/(α+β). */
  b: number;
  /** G = (αA/(βB))^(1/(α+β)). */
  G: number;
}

/** The compute-optimal model for one budget. */
export interface ComputeOptimalPoint {
  /** Compute budget C (FLOPs). */
  flops: number;
  /** Optimal parameter count. */
  n: number;
  /** Optimal training tokens. */
  d: number;
  /** Predicted loss at (n, d). */
  loss: number;
}

/**
 * a, b and G of a Chinchilla law.
 *
 * @example
 * ```ts
 * computeOptimalExponents({ E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28 }).a; // ≈ 0.452
 * ```
 */
export function computeOptimalExponents(params: ChinchillaParams): ComputeOptimalExponents {
  const { A, B, alpha, beta } = params;
  const sum = alpha + beta;
  return {
    a: beta / sum,
    b: alpha / sum,
    G: ((alpha * A) / (beta * B)) ** (1 / sum),
  };
}

/**
 * The compute-optimal N, D and predicted loss for a budget of `flops` (C = 6·N·D).
 *
 * @example
 * ```ts
 * const point = computeOptimalAllocation({ E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28 }, 5.76e23);
 * point.n; // ≈ 3.2e10 parameters
 * ```
 */
export function computeOptimalAllocation(
  params: ChinchillaParams,
  flops: number,
): ComputeOptimalPoint {
  if (!(flops > 0) || !Number.isFinite(flops)) {
    throw new RangeError(`compute budget must be a positive number of FLOPs, got ${flops}`);
  }
  const { a, b, G } = computeOptimalExponents(params);
  const n = G * (flops / 6) ** a;
  const d = (flops / 6) ** b / G;
  const loss = params.E + params.A / n ** params.alpha + params.B / d ** params.beta;
  return { flops, n, d, loss };
}

/** Power laws N_opt = k_N·C^a and D_opt = k_D·C^b, however they were estimated. */
export interface ComputeOptimalLaw {
  /** N_opt exponent. */
  a: number;
  /** D_opt exponent. */
  b: number;
  /** N_opt coefficient k_N. */
  nCoefficient: number;
  /** D_opt coefficient k_D. */
  dCoefficient: number;
}

/**
 * Approach 3: the compute-optimal power laws implied by a parametric fit,
 * k_N = G·6^(−a), k_D = 6^(−b)/G.
 *
 * @example
 * ```ts
 * parametricComputeOptimalLaw({ E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28 }).a; // ≈ 0.452
 * ```
 */
export function parametricComputeOptimalLaw(params: ChinchillaParams): ComputeOptimalLaw {
  const { a, b, G } = computeOptimalExponents(params);
  return { a, b, nCoefficient: G * 6 ** -a, dCoefficient: 6 ** -b / G };
}

/**
 * Fits N_opt = k_N·C^a and D_opt = k_D·C^b by least squares in log-log space.
 *
 * @example
 * ```ts
 * const law = fitComputeOptimalLaw([{ flops: 1e19, n: 4e8, d: 4.2e9 }, { flops: 1e21, n: 4e9, d: 4.2e10 }]);
 * law.a; // 0.5
 * ```
 */
export function fitComputeOptimalLaw(
  points: readonly { flops: number; n: number; d: number }[],
): ComputeOptimalLaw {
  if (new Set(points.map((p) => p.flops)).size < 2) {
    throw new RangeError(
      `a compute-optimal law needs optima at two or more compute budgets, got ${points.length}`,
    );
  }
  const logC = points.map((p) => Math.log(p.flops));
  const [nIntercept, a] = fitLine(logC, points.map((p) => Math.log(p.n)));
  const [dIntercept, b] = fitLine(logC, points.map((p) => Math.log(p.d)));
  return { a, b, nCoefficient: Math.exp(nIntercept), dCoefficient: Math.exp(dIntercept) };
}

/**
 * N_opt and D_opt of a {@link ComputeOptimalLaw} at a budget.
 *
 * @example
 * ```ts
 * optimalModelFor({ a: 0.5, b: 0.5, nCoefficient: 0.1, dCoefficient: 1.67 }, 1e20); // { n: 1e9, d: 1.67e10 }
 * ```
 */
export function optimalModelFor(law: ComputeOptimalLaw, flops: number): { n: number; d: number } {
  return { n: law.nCoefficient * flops ** law.a, d: law.dCoefficient * flops ** law.b };
}
