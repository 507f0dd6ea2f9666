/**
 * Seeded synthetic data for the fit tests: standard normal noise and log-spaced grids.
 *
 * @module
 */

import { mulberry32 } from "../../lib/random/mulberry32.ts";

/** A seeded uniform generator on [0, 1) (mulberry32). */
export const seededUniform = mulberry32;

/** A seeded standard-normal generator (Box–Muller on {@link seededUniform}). */
export function seededNormal(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

/** `count` values log-spaced from `low` to `high`. */
export function logGrid(low: number, high: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => low * (high / low) ** (i / (count - 1)));
}

/** Multiplies each value by exp(σ·ε), ε standard normal: noise on the log scale. */
export function withLogNoise(values: number[], sigma: number, seed: number): number[] {
  const normal = seededNormal(seed);
  return values.map((v) => v * Math.exp(sigma * normal()));
}

/** Asserts |actual − expected| ≤ tolerance with a message naming the quantity. */
export function assertNear(actual: number, expected: number, tolerance: number, what: string) {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new Error(`${what}: got ${actual}, expected ${expected} ± ${tolerance}`);
  }
}
