/**
 * Losses on residuals that a scaling-law fit minimizes: the Huber loss (quadratic within δ,
 * linear beyond; Hoffmann et al. 2022 use δ = 1e-3 on log-loss residuals) and the squared loss.
 *
 * @module
 */

/** How residuals are penalized: Huber with threshold `delta`, or squared (½r²). */
export type ResidualLoss = { kind: "huber"; delta: number } | { kind: "squared" };

/**
 * Huber loss of one residual: ½r² when |r| ≤ δ, δ·(|r| − ½δ) beyond.
 *
 * @example
 * ```ts
 * huberLoss(0.5, 1); // 0.125
 * huberLoss(3, 1); // 2.5
 * ```
 */
export function huberLoss(residual: number, delta: number): number {
  const size = Math.abs(residual);
  return size <= delta ? 0.5 * residual * residual : delta * (size - 0.5 * delta);
}

/**
 * Derivative of {@link huberLoss} with respect to the residual: r within δ, ±δ beyond.
 *
 * @example
 * ```ts
 * huberDerivative(0.5, 1); // 0.5
 * huberDerivative(-3, 1); // -1
 * ```
 */
export function huberDerivative(residual: number, delta: number): number {
  if (residual > delta) return delta;
  if (residual < -delta) return -delta;
  return residual;
}

/**
 * Checks a {@link ResidualLoss}, throwing a one-line error for a non-positive Huber δ.
 *
 * @example
 * ```ts
 * checkResidualLoss({ kind: "huber", delta: 1e-3 }); // fine
 * ```
 */
export function checkResidualLoss(loss: ResidualLoss): void {
  if (loss.kind === "huber" && !(loss.delta > 0 && Number.isFinite(loss.delta))) {
    throw new RangeError(`Huber delta must be a positive number, got ${loss.delta}`);
  }
}

/**
 * Sums the loss of `residuals` and writes each residual's derivative into `derivatives`.
 *
 * @example
 * ```ts
 * const d = new Float64Array(2);
 * residualLossSum({ kind: "squared" }, Float64Array.of(1, -2), d); // 2.5, d = [1, -2]
 * ```
 */
export function residualLossSum(
  loss: ResidualLoss,
  residuals: Float64Array,
  derivatives: Float64Array,
): number {
  let total = 0;
  if (loss.kind === "squared") {
    for (let i = 0; i < residuals.length; i++) {
      const r = residuals[i];
      total += 0.5 * r * r;
      derivatives[i] = r;
    }
    return total;
  }
  for (let i = 0; i < residuals.length; i++) {
    total += huberLoss(residuals[i], loss.delta);
    derivatives[i] = huberDerivative(residuals[i], loss.delta);
  }
  return total;
}
