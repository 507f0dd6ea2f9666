/**
 * Seeded randomness, in one place: mulberry32 (text data sampling, sweep sampling,
 * bootstrap resamples), xoshiro128** (parameter initialization), NumPy's MT19937 (the 1989
 * digit selection), and the counter-based generator that GPU kernels share with their CPU
 * references (dropout masks, augmentation shifts). Each keeps the exact streams that
 * published results were drawn with.
 *
 * @example
 * ```ts
 * import { mulberry32, Rng } from "./mod.ts";
 * const uniform = mulberry32(1);
 * const normal = new Rng(1).normal();
 * ```
 *
 * @module
 */
export {
  checkSeed,
  mulberry32,
  type Random,
  randomIndex,
  seededRandom,
  shuffled,
} from "./mulberry32.ts";
export { Rng } from "./xoshiro.ts";
export { Mt19937 } from "./mt19937.ts";
export {
  COUNTER_RNG_WGSL,
  COUNTER_STREAM,
  dropoutKeeps,
  hash32,
  noiseBits,
  noiseUniform,
} from "./counter.ts";
