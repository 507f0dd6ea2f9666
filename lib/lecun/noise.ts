/**
 * The noise of a LeCun training run: the augmentation shift and the dropout mask of step `t`
 * are pure functions of (seed, t, unit) drawn from the counter-based generator of
 * `lib/random/counter.ts`, computed the same way inside the fused trainer and here (for the
 * float64 reference trainer), so every implementation sees the same noise.
 *
 * @module
 */
import { noiseBits, noiseUniform } from "../random/counter.ts";

/** Streams of draws, so shifts and dropout never reuse a draw. */
export const NOISE_STREAM = { shiftRows: 1, shiftCols: 2, dropout: 3 } as const;

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
