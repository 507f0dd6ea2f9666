/**
 * Inverted dropout with autograd (the kernel and its counter-based mask are in
 * `kernels/dropout.ts`).
 *
 * @module
 */
import { applyDropout } from "../../kernels/dropout.ts";
import { asContiguous } from "../../kernels/map.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { record } from "./autograd.ts";

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Apply dropout (default true); when false the op is the identity. */
  training?: boolean;
}

function checkU32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`dropout: ${name} must be an integer in [0, 2^32), got ${value}`);
  }
}

/** The mask of (seed, step) applied to any tensor (a dense copy first when it is a view). */
function masked(x: Tensor, p: number, seed: number, step: number): Tensor {
  const dense = asContiguous(x);
  const y = applyDropout(dense, [{ seed, p }], step);
  if (dense !== x) dense.dispose();
  return y;
}

/**
 * Inverted dropout: zeroes each element with probability `p` and scales the rest by
 * 1 / (1 - p). The mask is a pure function of (`seed`, `step`, element index), so the same
 * arguments give the same mask and backward applies it again without saving it. With `p = 0`
 * or `training: false` it is the identity (a view of `x`).
 *
 * @example
 * ```ts
 * const h = dropout(hidden, 0.25, seed, trainingStep);
 * const e = dropout(hidden, 0.25, seed, 0, { training: false }); // evaluation: identity
 * ```
 */
export function dropout(
  x: Tensor,
  p: number,
  seed: number,
  step: number,
  options: DropoutOptions = {},
): Tensor {
  if (x.dtype !== "f32") throw new Error(`dropout: needs an f32 tensor, got ${x.dtype} ${x}`);
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  checkU32("seed", seed);
  checkU32("step", step);
  if (p === 0 || options.training === false) {
    const y = x.view(x.shape, x.strides, x.offset);
    return record("dropout", y, [x], [], (g) => [g]);
  }
  const y = masked(x, p, seed, step);
  return record("dropout", y, [x], [], (g) => [masked(g, p, seed, step)]);
}
