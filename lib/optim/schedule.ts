/**
 * Learning-rate schedules: pure functions from the 0-based step number to a learning rate.
 *
 * @module
 */

/** A learning rate for each 0-based optimizer step. */
export type LrSchedule = (step: number) => number;

function checkNumber(what: string, value: number, min = -Infinity): void {
  if (!Number.isFinite(value) || value < min) {
    throw new Error(`${what} must be a finite number >= ${min}, got ${value}`);
  }
}

function checkSteps(what: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${what} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * The same learning rate at every step.
 *
 * @example
 * ```ts
 * constantLr(0.03)(1000); // 0.03
 * ```
 */
export function constantLr(lr: number): LrSchedule {
  checkNumber("constantLr: lr", lr, 0);
  return () => lr;
}

/**
 * Linear interpolation from `from` at step 0 to `to` at step `steps`, then `to`.
 *
 * @example
 * ```ts
 * const lr = linearLr(3e-4, 1e-4, 100);
 * lr(0); // 3e-4
 * lr(50); // 2e-4
 * lr(100); // 1e-4 (and after)
 * ```
 */
export function linearLr(from: number, to: number, steps: number): LrSchedule {
  checkNumber("linearLr: from", from, 0);
  checkNumber("linearLr: to", to, 0);
  checkSteps("linearLr: steps", steps, 1);
  return (step) => {
    const t = Math.min(Math.max(step, 0), steps) / steps;
    return from + (to - from) * t;
  };
}

/** Options of {@link cosineLr}. */
export interface CosineLrOptions {
  /** Learning rate at the end of warmup. */
  peak: number;
  /** Learning rate after the decay (default 0). */
  floor?: number;
  /** Steps of linear warmup (default 0). */
  warmupSteps?: number;
  /** Step at which the cosine reaches the floor (> warmupSteps). */
  decaySteps: number;
}

/**
 * Linear warmup to `peak`, then a half cosine down to `floor` at `decaySteps`, then `floor`
 * (nanoGPT's `get_lr`): warmup steps give peak·(step + 1)/(warmupSteps + 1).
 *
 * @example
 * ```ts
 * const lr = cosineLr({ peak: 6e-4, floor: 6e-5, warmupSteps: 100, decaySteps: 5000 });
 * lr(100); // 6e-4
 * lr(2550); // 3.3e-4 (half way)
 * lr(9000); // 6e-5
 * ```
 */
export function cosineLr(options: CosineLrOptions): LrSchedule {
  const { peak, floor = 0, warmupSteps = 0, decaySteps } = options;
  checkNumber("cosineLr: peak", peak, 0);
  checkNumber("cosineLr: floor", floor, 0);
  checkSteps("cosineLr: warmupSteps", warmupSteps, 0);
  checkSteps("cosineLr: decaySteps", decaySteps, warmupSteps + 1);
  return (step) => {
    if (step < warmupSteps) return peak * (step + 1) / (warmupSteps + 1);
    if (step > decaySteps) return floor;
    const ratio = (step - warmupSteps) / (decaySteps - warmupSteps);
    return floor + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (peak - floor);
  };
}
