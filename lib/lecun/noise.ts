/**
 * The augmentation of a LeCun training run: the shift of step `t` is a pure function of
 * (seed, t) drawn from the counter-based generator of `lib/random/counter.ts` (as its dropout
 * masks are, `dropoutKeeps`), computed the same way inside the whole-run kernel and here (for
 * the float64 reference trainer), so every implementation sees the same noise; and the roll
 * that applies it.
 *
 * @module
 */
import { COUNTER_STREAM, noiseBits } from "../random/counter.ts";

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
    (noiseBits(seed, COUNTER_STREAM.shiftRows, step, 0) % 3) - 1,
    (noiseBits(seed, COUNTER_STREAM.shiftCols, step, 0) % 3) - 1,
  ];
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
