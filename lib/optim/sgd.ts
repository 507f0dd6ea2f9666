/**
 * Stochastic gradient descent as PyTorch's `torch.optim.SGD` (dampening 0, not Nesterov),
 * fused over all parameters.
 *
 * @module
 */
import type { UpdateScalars } from "../../kernels/optim.ts";
import { FusedOptimizer, type OptimizerOptions, type ParameterList } from "./fused.ts";

/** Options of {@link SGD}. */
export interface SGDOptions extends OptimizerOptions {
  /** Momentum μ (default 0: plain SGD, no state). */
  momentum?: number;
}

/**
 * SGD: d = g + wd·p; with momentum b ← μ·b + d (b = d on the first step) and d = b; then
 * p ← p − lr·d. One fused update per step.
 *
 * @example
 * ```ts
 * const opt = new SGD(params, { lr: 0.03 }); // the 1989 recipe
 * const heavy = new SGD(params, { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
 * ```
 */
export class SGD extends FusedOptimizer {
  /** Momentum μ (0 for none). */
  readonly momentum: number;

  constructor(parameters: ParameterList, options: SGDOptions) {
    const momentum = options.momentum ?? 0;
    if (!(momentum >= 0 && momentum < 1)) {
      throw new Error(`SGD: momentum must be in [0, 1), got ${momentum}`);
    }
    super("SGD", momentum === 0 ? "sgd" : "sgd_momentum", parameters, options, 0);
    this.momentum = momentum;
  }

  protected scalars(lr: number): UpdateScalars {
    return {
      lr,
      beta1: this.momentum,
      beta2: 0,
      eps: 0,
      stepSize: 0,
      bias2Sqrt: 0,
      maxNorm: this.maxGradNorm ?? 0,
    };
  }
}
