/**
 * Optimizers fused over all parameters (one GPU dispatch per step), learning-rate schedules,
 * and gradient clipping by global norm without CPU readback.
 *
 * @example
 * ```ts
 * import { AdamW, cosineLr } from "./mod.ts";
 * const opt = new AdamW(params, {
 *   lr: cosineLr({ peak: 6e-4, floor: 6e-5, warmupSteps: 100, decaySteps: 5000 }),
 *   weightDecay: 0.1,
 *   maxGradNorm: 1,
 * });
 * opt.zeroGrad();
 * backward(loss);
 * opt.step();
 * ```
 *
 * @module
 */
export { AdamW, type AdamWOptions } from "./adamw.ts";
export { SGD, type SGDOptions } from "./sgd.ts";
export {
  FusedOptimizer,
  type OptimizerOptions,
  type ParameterGroup,
  type ParameterList,
} from "./fused.ts";
export {
  constantLr,
  cosineLr,
  type CosineLrOptions,
  linearLr,
  type LrSchedule,
} from "./schedule.ts";
