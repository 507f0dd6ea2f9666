/**
 * Optimizers over the parameters of R runs held in one slab (AdamW and SGD with momentum, one
 * update dispatch per step with per-run scalars), learning-rate schedules, and gradient
 * clipping by global norm without CPU readback.
 *
 * @example
 * ```ts
 * import { adamW, cosineLr, ParameterSlab } from "./mod.ts";
 * const slab = ParameterSlab.create(specs, 1, (p) => initialValues(p));
 * const opt = adamW(slab, {
 *   lr: cosineLr({ peak: 6e-4, floor: 6e-5, warmupSteps: 100, decaySteps: 5000 }),
 *   weightDecay: 0.1,
 *   maxGradNorm: 1,
 * });
 * backward(loss);
 * opt.step();
 * ```
 *
 * @module
 */
export { adamW, Optimizer, type RunOptimizerOptions, sgd } from "./optimizer.ts";
export { ParameterSlab, type SlabParameter, type SlabRegion } from "./slab.ts";
export {
  constantLr,
  cosineLr,
  type CosineLrOptions,
  linearLr,
  type LrSchedule,
} from "./schedule.ts";
