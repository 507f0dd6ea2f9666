/**
 * AdamW (Loshchilov & Hutter 2019) as PyTorch's `torch.optim.AdamW`, fused over all
 * parameters: p ← p − lr·wd·p, then the Adam update with bias correction.
 *
 * @module
 */
import type { UpdateScalars } from "../../kernels/optim.ts";
import { FusedOptimizer, type OptimizerOptions, type ParameterList } from "./fused.ts";

/** Options of {@link AdamW}. */
export interface AdamWOptions extends OptimizerOptions {
  /** Decay of the first moment (default 0.9). */
  beta1?: number;
  /** Decay of the second moment (default 0.999). */
  beta2?: number;
  /** Added to the denominator (default 1e-8). */
  eps?: number;
}

/**
 * AdamW with decoupled weight decay (default 0.01, as PyTorch), β1 0.9, β2 0.999, ε 1e-8;
 * moments on the GPU, one fused update per step.
 *
 * @example
 * ```ts
 * const opt = new AdamW(params, { lr: linearLr(3e-4, 1e-4, steps), weightDecay: 1e-4 });
 * opt.zeroGrad();
 * backward(loss);
 * opt.step();
 * ```
 */
export class AdamW extends FusedOptimizer {
  /** β1, β2 and ε. */
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(parameters: ParameterList, options: AdamWOptions) {
    super("AdamW", "adamw", parameters, options, 0.01);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    for (const [what, v] of [["beta1", this.beta1], ["beta2", this.beta2]] as const) {
      if (!(v >= 0 && v < 1)) throw new Error(`AdamW: ${what} must be in [0, 1), got ${v}`);
    }
    if (!(this.eps > 0)) throw new Error(`AdamW: eps must be positive, got ${this.eps}`);
  }

  protected scalars(lr: number, t: number): UpdateScalars {
    return {
      lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      stepSize: lr / (1 - this.beta1 ** t),
      bias2Sqrt: Math.sqrt(1 - this.beta2 ** t),
      maxNorm: this.maxGradNorm ?? 0,
    };
  }
}
