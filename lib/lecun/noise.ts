/**
 * Counter-based randomness of a training run: the augmentation shift and the dropout mask of
 * step `t` are pure functions of (seed, t, unit), computed the same way in WGSL (inside the
 * fused trainer) and here (for the generic and float64 trainers), so runs are reproducible
 * and every implementation sees the same noise.
 *
 * @module
 */

/** Streams of draws, so shifts and dropout never reuse a draw. */
export const NOISE_STREAM = { shiftRows: 1, shiftCols: 2, dropout: 3 } as const;

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
 * The augmentation shift of step `step`: rows and columns each in {-1, 0, 1}.
 *
 * @example
 * ```ts
 * const [dy, dx] = augmentShift(1337, 0);
 * ```
 */
export function augmentShift(seed: number, step: number): [number, number] {
  return [
    (noiseBits(seed, NOISE_STREAM.shiftRows, step, 0) % 3) - 1,
    (noiseBits(seed, NOISE_STREAM.shiftCols, step, 0) % 3) - 1,
  ];
}

/**
 * Whether dropout keeps unit `unit` at step `step` (drop probability `p`).
 *
 * @example
 * ```ts
 * dropoutKeeps(1337, 0, 3, 0.25);
 * ```
 */
export function dropoutKeeps(seed: number, step: number, unit: number, p: number): boolean {
  return noiseUniform(seed, NOISE_STREAM.dropout, step, unit) >= p;
}

/**
 * Rolls a 16×16 image by `dy` rows and `dx` columns with wrap-around, as
 * `torch.roll(x, (dy, dx), (2, 3))`: `out[y][x] = in[(y - dy) mod 16][(x - dx) mod 16]`.
 *
 * @example
 * ```ts
 * const shifted = rollImage(image, 1, -1);
 * ```
 */
export function rollImage(
  image: ArrayLike<number>,
  dy: number,
  dx: number,
  side = 16,
): Float32Array {
  const out = new Float32Array(side * side);
  for (let y = 0; y < side; y++) {
    const sy = (y - dy + side) % side;
    for (let x = 0; x < side; x++) out[y * side + x] = image[sy * side + ((x - dx + side) % side)];
  }
  return out;
}

/** WGSL of the same functions (`hash32`, `noise_bits`, `noise_uniform`). */
export const NOISE_WGSL = /* wgsl */ `
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
`;
