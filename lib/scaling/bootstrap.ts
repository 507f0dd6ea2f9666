/**
 * Bootstrap confidence intervals: refit on seeded resamples (with replacement) of the points and
 * report percentile intervals for every fitted quantity.
 *
 * @module
 */

import { mulberry32 } from "../random/mulberry32.ts";

/** How to bootstrap. */
export interface BootstrapOptions {
  /** Number of resamples (≥ 2). */
  resamples: number;
  /** Seed of the resampling (an integer in [0, 2³²)); the same seed gives the same intervals. */
  seed: number;
  /** Coverage of the percentile interval (default 0.95). */
  level?: number;
  /**
   * Groups of point indices that partition `0…pointCount−1`: each point is replaced by a draw
   * from its own group (a stratified bootstrap, e.g. runs resampled within each compute budget).
   * Default: one group of all points.
   */
  strata?: readonly (readonly number[])[];
}

/** One quantity's bootstrap distribution. */
export interface ParameterInterval {
  /** The value fitted on all points. */
  estimate: number;
  /** Mean over resamples. */
  mean: number;
  /** Standard deviation over resamples. */
  std: number;
  /** Lower percentile bound, the (1 − level)/2 quantile. */
  lower: number;
  /** Upper percentile bound, the (1 + level)/2 quantile. */
  upper: number;
}

/** Intervals for every quantity, with how they were drawn. */
export interface BootstrapSummary {
  /** Resamples requested. */
  resamples: number;
  /** Resamples whose refit failed (they are left out of the intervals). */
  failed: number;
  /** Seed used. */
  seed: number;
  /** Coverage of the intervals. */
  level: number;
  /** Interval per quantity name. */
  intervals: Record<string, ParameterInterval>;
}

/**
 * Thrown by {@link bootstrapIntervals} when more than half of the refits fail, so a caller can
 * keep the point estimates and report the intervals as unavailable.
 *
 * @example
 * ```ts
 * try {
 *   bootstrapIntervals(count, estimate, refit, { resamples: 1000, seed: 0 });
 * } catch (error) {
 *   if (!(error instanceof BootstrapFailure)) throw error;
 * }
 * ```
 */
export class BootstrapFailure extends RangeError {}

/** The q-quantile of sorted values, interpolating linearly between order statistics. */
function quantile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}

/** For each point, the group it is redrawn from; checks that `strata` partition the points. */
function poolsOf(
  pointCount: number,
  strata: readonly (readonly number[])[] | undefined,
): (readonly number[])[] {
  if (strata === undefined) {
    const all = Array.from({ length: pointCount }, (_, i) => i);
    return all.map(() => all);
  }
  const pools: (readonly number[])[] = new Array(pointCount);
  for (const stratum of strata) {
    for (const i of stratum) {
      if (!Number.isInteger(i) || i < 0 || i >= pointCount || pools[i] !== undefined) {
        throw new RangeError(
          `bootstrap strata must partition the points 0…${pointCount - 1}; got point ${i} ` +
            (pools[i] === undefined ? "out of range" : "twice"),
        );
      }
      pools[i] = stratum;
    }
  }
  const missing = Array.from({ length: pointCount }, (_, i) => i).find((i) => !pools[i]);
  if (missing !== undefined) {
    throw new RangeError(`bootstrap strata must partition the points; point ${missing} is in none`);
  }
  return pools;
}

/**
 * Refits `resamples` times on indices drawn with replacement from `0…pointCount−1` (within each
 * of `options.strata` when given: index i is redrawn from its own stratum) and returns
 * percentile intervals for every quantity in `estimate`. A refit that throws is counted in
 * `failed` and left out; if more than half fail, this throws a {@link BootstrapFailure}.
 *
 * @example
 * ```ts
 * const x = [1, 2, 3, 4, 5];
 * const meanOf = (idx: ArrayLike<number>) => ({ mean: Array.from(idx, (i) => x[i]).reduce((s, v) => s + v) / idx.length });
 * const summary = bootstrapIntervals(x.length, meanOf([0, 1, 2, 3, 4]), meanOf, { resamples: 200, seed: 1 });
 * summary.intervals.mean.lower; // ≈ 2
 * ```
 */
export function bootstrapIntervals(
  pointCount: number,
  estimate: Record<string, number>,
  refit: (indices: Int32Array) => Record<string, number>,
  options: BootstrapOptions,
): BootstrapSummary {
  const { resamples, seed } = options;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 2) {
    throw new RangeError(`bootstrap resamples must be an integer ≥ 2, got ${resamples}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new RangeError(`bootstrap seed must be an integer in [0, 2^32), got ${seed}`);
  }
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`bootstrap level must be in (0, 1), got ${level}`);
  }
  const pools = poolsOf(pointCount, options.strata);
  const names = Object.keys(estimate);
  const draws = names.map(() => [] as number[]);
  const uniform = mulberry32(seed);
  const indices = new Int32Array(pointCount);
  let failed = 0;
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < pointCount; i++) {
      const pool = pools[i];
      indices[i] = pool[Math.floor(uniform() * pool.length)];
    }
    let values: Record<string, number>;
    try {
      values = refit(indices);
    } catch {
      failed++;
      continue;
    }
    names.forEach((name, k) => draws[k].push(values[name]));
  }
  if (failed * 2 > resamples) {
    throw new BootstrapFailure(
      `bootstrap failed: ${failed} of ${resamples} refits did not succeed`,
    );
  }
  const intervals: Record<string, ParameterInterval> = {};
  names.forEach((name, k) => {
    const sorted = Float64Array.from(draws[k]).sort();
    const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
    const variance = sorted.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (sorted.length - 1);
    intervals[name] = {
      estimate: estimate[name],
      mean,
      std: Math.sqrt(variance),
      lower: quantile(sorted, (1 - level) / 2),
      upper: quantile(sorted, (1 + level) / 2),
    };
  });
  return { resamples, failed, seed, level, intervals };
}
