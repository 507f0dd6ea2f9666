/**
 * The counter-based random numbers of GPU kernels and their CPU twin: a draw is a pure function
 * of (seed, stream, step, unit), computed the same way in WGSL ({@link COUNTER_RNG_WGSL}) and
 * here, so a kernel needs no random state, every run is reproducible from its seed, and the
 * float64 references see the same noise as the kernels. Dropout masks and the LeCun net's
 * augmentation shifts both draw from it, each from its own stream.
 *
 * The generator is a chain of lowbias32 hashes (Wellons), one per counter word.
 *
 * @module
 */

/** Streams of draws, so the uses of one seed never share a draw. */
export const COUNTER_STREAM = { shiftRows: 1, shiftCols: 2, dropout: 3 } as const;

/**
 * lowbias32 (Wellons): a 32-bit integer hash with good avalanche.
 *
 * @example
 * ```ts
 * hash32(1); // 0x... (a fixed number)
 * ```
 */
export function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The draw for (seed, stream, step, unit) as a 32-bit integer.
 *
 * @example
 * ```ts
 * const bits = noiseBits(1337, NOISE_STREAM.dropout, 0, 5);
 * ```
 */
export function noiseBits(seed: number, stream: number, step: number, unit: number): number {
  return hash32(hash32(hash32(hash32(seed) ^ stream) ^ step) ^ unit);
}

/**
 * Uniform in [0, 1) with 24 bits, from {@link noiseBits}.
 *
 * @example
 * ```ts
 * noiseUniform(1337, NOISE_STREAM.dropout, 0, 5) < 1; // true
 * ```
 */
export function noiseUniform(seed: number, stream: number, step: number, unit: number): number {
  return (noiseBits(seed, stream, step, unit) >>> 8) / 16777216;
}

/**
 * Whether dropout keeps unit `unit` at step `step` (drop probability `p`): its uniform of the
 * dropout stream is at least `p`. Dropout in the GPT kernels and in the LeCun trainer both
 * decide this way.
 *
 * @example
 * ```ts
 * dropoutKeeps(1337, 0, 3, 0.25);
 * ```
 */
export function dropoutKeeps(seed: number, step: number, unit: number, p: number): boolean {
  return noiseUniform(seed, COUNTER_STREAM.dropout, step, unit) >= p;
}

/**
 * WGSL of the same functions: `hash32`, `noise_bits`, `noise_uniform` and
 * `dropout_keeps(seed, step, unit, p)`.
 */
export const COUNTER_RNG_WGSL = /* wgsl */ `
fn hash32(x: u32) -> u32 {
  var h = x;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}
fn noise_bits(seed: u32, stream: u32, step: u32, unit: u32) -> u32 {
  return hash32(hash32(hash32(hash32(seed) ^ stream) ^ step) ^ unit);
}
fn noise_uniform(seed: u32, stream: u32, step: u32, unit: u32) -> f32 {
  return f32(noise_bits(seed, stream, step, unit) >> 8u) / 16777216.0;
}
fn dropout_keeps(seed: u32, step: u32, unit: u32, p: f32) -> bool {
  return noise_uniform(seed, ${COUNTER_STREAM.dropout}u, step, unit) >= p;
}
`;
