/**
 * 95% bands of fitted curves, drawn from bootstrap curves: the law is refitted on resamples of
 * its points (with replacement; within strata when given, e.g. runs within a compute budget),
 * each refit's curve is evaluated on a grid of x, and the band at each x is the 2.5% and 97.5%
 * percentile of those curves (a pointwise percentile band). It uses the same resampler,
 * seed and number of resamples as the fits' parameter intervals.
 *
 * @module
 */
import { type BandRow, logSpaced } from "../plot/spec.ts";
import {
  BootstrapFailure,
  bootstrapIntervals,
  type BootstrapOptions,
} from "../scaling/bootstrap.ts";

/** A curve fitted on the points at `indices` (resampled, or every point). */
export type CurveRefit = (indices: Int32Array) => (x: number) => number;

/** Points on each band by default (log-spaced in x). */
const BAND_SAMPLES = 24;

/**
 * The pointwise percentile band of `refit`'s curve over `[low, high]` at `options.samples`
 * log-spaced points (default 24), or undefined when more than half of the refits fail.
 *
 * @example
 * ```ts
 * const band = bootstrapBand(n.length, [1e3, 1e5], (idx) => {
 *   const fit = fitKaplanN({ n: Array.from(idx, (i) => n[i]), loss: Array.from(idx, (i) => loss[i]) });
 *   return (x) => (fit.params.Nc / x) ** fit.params.alphaN;
 * }, { resamples: 1000, seed: 0 });
 * ```
 */
export function bootstrapBand(
  pointCount: number,
  [low, high]: readonly [number, number],
  refit: CurveRefit,
  options: BootstrapOptions & { samples?: number },
): BandRow[] | undefined {
  const xs = logSpaced(low, high, options.samples ?? BAND_SAMPLES);
  const curveAt = (indices: Int32Array) => {
    const curve = refit(indices);
    const values: Record<string, number> = {};
    xs.forEach((x, k) => {
      const y = curve(x);
      if (!Number.isFinite(y)) throw new RangeError(`refit curve is ${y} at x = ${x}`);
      values[`y${k}`] = y;
    });
    return values;
  };
  const all = Int32Array.from({ length: pointCount }, (_, i) => i);
  try {
    const { intervals } = bootstrapIntervals(pointCount, curveAt(all), curveAt, options);
    return xs.map((x, k) => ({
      x,
      lower: intervals[`y${k}`].lower,
      upper: intervals[`y${k}`].upper,
    }));
  } catch (error) {
    if (error instanceof BootstrapFailure) return undefined;
    throw error;
  }
}
