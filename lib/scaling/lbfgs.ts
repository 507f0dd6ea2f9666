/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, algorithms 7.4–7.5) with a
 * strong-Wolfe line search (algorithms 3.5–3.6, cubic interpolation in the zoom phase).
 *
 * @module
 */

/** A differentiable function: returns f(x) and writes ∇f(x) into `gradient`. */
export type LbfgsObjective = (x: Float64Array, gradient: Float64Array) => number;

/** Stopping rules and memory of {@link minimizeLbfgs}. */
export interface LbfgsOptions {
  /** Correction pairs kept (default 10). */
  memory?: number;
  /** Iteration cap (default 1000). */
  maxIterations?: number;
  /** Stop when max |∂f/∂xᵢ| falls to this (default 1e-10). */
  gradientTolerance?: number;
  /** Stop when an iteration lowers f by no more than this fraction of |f| (default 1e-12). */
  relativeTolerance?: number;
}

/** Why {@link minimizeLbfgs} stopped. */
export type LbfgsStop = "gradient" | "value" | "iterations" | "line-search";

/** The outcome of {@link minimizeLbfgs}. */
export interface LbfgsResult {
  /** The best point found. */
  x: Float64Array;
  /** f at `x`. */
  value: number;
  /** max |∂f/∂xᵢ| at `x`. */
  gradientMax: number;
  /** Iterations taken. */
  iterations: number;
  /** Objective evaluations. */
  evaluations: number;
  /** The rule that stopped the search. */
  stop: LbfgsStop;
}

const WOLFE_DECREASE = 1e-4;
const WOLFE_CURVATURE = 0.9;
const LINE_SEARCH_EVALUATIONS = 30;

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function maxAbs(a: Float64Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]));
  return max;
}

/** Minimizer of the cubic through (a, fa, da) and (b, fb, db), or NaN when it has none. */
function cubicMinimizer(a: number, fa: number, da: number, b: number, fb: number, db: number) {
  const d1 = da + db - 3 * (fa - fb) / (a - b);
  const discriminant = d1 * d1 - da * db;
  if (!(discriminant >= 0)) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(discriminant);
  return b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
}

/** Evaluation state shared by the line search: the trial point and its gradient. */
class LineSearch {
  readonly trial: Float64Array;
  readonly trialGradient: Float64Array;
  evaluations = 0;

  constructor(
    private readonly objective: LbfgsObjective,
    private readonly x: Float64Array,
    private readonly direction: Float64Array,
  ) {
    this.trial = new Float64Array(x.length);
    this.trialGradient = new Float64Array(x.length);
  }

  /** Evaluates f and its slope along the direction at step `step`. */
  probe(step: number): [number, number] {
    for (let i = 0; i < this.x.length; i++) this.trial[i] = this.x[i] + step * this.direction[i];
    this.evaluations++;
    const value = this.objective(this.trial, this.trialGradient);
    return [Number.isFinite(value) ? value : Infinity, dot(this.trialGradient, this.direction)];
  }

  /**
   * Finds a step meeting the strong Wolfe conditions, leaving its point and gradient in
   * `trial`/`trialGradient`; returns the new value, or NaN when no step lowers f.
   */
  search(value0: number, slope0: number, firstStep: number): number {
    let previousStep = 0;
    let previousValue = value0;
    let previousSlope = slope0;
    let step = firstStep;
    for (let i = 0; i < LINE_SEARCH_EVALUATIONS; i++) {
      const [value, slope] = this.probe(step);
      if (value > value0 + WOLFE_DECREASE * step * slope0 || (i > 0 && value >= previousValue)) {
        return this.zoom(
          value0,
          slope0,
          previousStep,
          previousValue,
          previousSlope,
          step,
          value,
          slope,
        );
      }
      if (Math.abs(slope) <= -WOLFE_CURVATURE * slope0) return value;
      if (slope >= 0) {
        return this.zoom(
          value0,
          slope0,
          step,
          value,
          slope,
          previousStep,
          previousValue,
          previousSlope,
        );
      }
      previousStep = step;
      previousValue = value;
      previousSlope = slope;
      step *= 4;
    }
    return NaN;
  }

  private zoom(
    value0: number,
    slope0: number,
    low: number,
    lowValue: number,
    lowSlope: number,
    high: number,
    highValue: number,
    highSlope: number,
  ): number {
    while (this.evaluations < LINE_SEARCH_EVALUATIONS) {
      const width = high - low;
      let step = Number.isFinite(highValue)
        ? cubicMinimizer(low, lowValue, lowSlope, high, highValue, highSlope)
        : NaN;
      const lo = Math.min(low, high) + 0.1 * Math.abs(width);
      const hi = Math.max(low, high) - 0.1 * Math.abs(width);
      if (!(step >= lo && step <= hi)) step = low + 0.5 * width;
      if (step === low || step === high) break;
      const [value, slope] = this.probe(step);
      if (value > value0 + WOLFE_DECREASE * step * slope0 || value >= lowValue) {
        high = step;
        highValue = value;
        highSlope = slope;
      } else {
        if (Math.abs(slope) <= -WOLFE_CURVATURE * slope0) return value;
        if (slope * (high - low) >= 0) {
          high = low;
          highValue = lowValue;
          highSlope = lowSlope;
        }
        low = step;
        lowValue = value;
        lowSlope = slope;
      }
    }
    if (low > 0 && lowValue < value0) return this.probe(low)[0];
    return NaN;
  }
}

/**
 * Minimizes a smooth function with L-BFGS from `start`.
 *
 * @example
 * ```ts
 * const result = minimizeLbfgs((x, g) => {
 *   g[0] = 2 * (x[0] - 3);
 *   g[1] = 20 * (x[1] + 1);
 *   return (x[0] - 3) ** 2 + 10 * (x[1] + 1) ** 2;
 * }, [0, 0]);
 * result.x; // ≈ [3, -1]
 * ```
 */
export function minimizeLbfgs(
  objective: LbfgsObjective,
  start: ArrayLike<number>,
  options: LbfgsOptions = {},
): LbfgsResult {
  const memory = options.memory ?? 10;
  const maxIterations = options.maxIterations ?? 1000;
  const gradientTolerance = options.gradientTolerance ?? 1e-10;
  const relativeTolerance = options.relativeTolerance ?? 1e-12;
  const n = start.length;
  const x = Float64Array.from(start);
  const gradient = new Float64Array(n);
  let value = objective(x, gradient);
  let evaluations = 1;
  if (!Number.isFinite(value)) {
    throw new RangeError(`objective is not finite at the start point [${Array.from(x)}]`);
  }
  const steps = Array.from({ length: memory }, () => new Float64Array(n));
  const gradientChanges = Array.from({ length: memory }, () => new Float64Array(n));
  const curvature = new Float64Array(memory);
  const weights = new Float64Array(memory);
  const direction = new Float64Array(n);
  let step = new Float64Array(n);
  let change = new Float64Array(n);
  let stored = 0;
  let newest = -1;
  let stop: LbfgsStop = "iterations";
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    if (maxAbs(gradient) <= gradientTolerance) {
      stop = "gradient";
      break;
    }
    // Two-loop recursion: direction = −H·∇f.
    for (let i = 0; i < n; i++) direction[i] = gradient[i];
    for (let k = 0; k < stored; k++) {
      const slot = (newest - k + memory) % memory;
      weights[slot] = curvature[slot] * dot(steps[slot], direction);
      const y = gradientChanges[slot];
      for (let i = 0; i < n; i++) direction[i] -= weights[slot] * y[i];
    }
    if (stored > 0) {
      const y = gradientChanges[newest];
      const scale = dot(steps[newest], y) / dot(y, y);
      for (let i = 0; i < n; i++) direction[i] *= scale;
    }
    for (let k = stored - 1; k >= 0; k--) {
      const slot = (newest - k + memory) % memory;
      const beta = curvature[slot] * dot(gradientChanges[slot], direction);
      const s = steps[slot];
      for (let i = 0; i < n; i++) direction[i] += s[i] * (weights[slot] - beta);
    }
    for (let i = 0; i < n; i++) direction[i] = -direction[i];
    let slope = dot(direction, gradient);
    if (!(slope < 0)) {
      stored = 0;
      for (let i = 0; i < n; i++) direction[i] = -gradient[i];
      slope = -dot(gradient, gradient);
    }
    const firstStep = stored === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const search = new LineSearch(objective, x, direction);
    const newValue = search.search(value, slope, firstStep);
    evaluations += search.evaluations;
    if (Number.isNaN(newValue)) {
      if (stored === 0) {
        stop = "line-search";
        break;
      }
      stored = 0;
      continue;
    }
    for (let i = 0; i < n; i++) {
      step[i] = search.trial[i] - x[i];
      change[i] = search.trialGradient[i] - gradient[i];
      x[i] = search.trial[i];
      gradient[i] = search.trialGradient[i];
    }
    const sy = dot(step, change);
    if (sy > 1e-14 * dot(change, change)) {
      const slot = (newest + 1) % memory;
      [steps[slot], step] = [step, steps[slot]];
      [gradientChanges[slot], change] = [change, gradientChanges[slot]];
      curvature[slot] = 1 / sy;
      newest = slot;
      stored = Math.min(stored + 1, memory);
    }
    const decrease = value - newValue;
    value = newValue;
    if (decrease <= relativeTolerance * Math.abs(value)) {
      iterations++;
      stop = "value";
      break;
    }
  }
  return { x, value, gradientMax: maxAbs(gradient), iterations, evaluations, stop };
}
