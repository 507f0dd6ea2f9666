/**
 * The dropout kernel and its float64 reference. The keep/drop decision of element i is a pure
 * function of (seed, step, i) drawn from the counter-based generator of `lib/random/counter.ts`
 * (`dropout_keeps`, the same rule the LeCun trainer's dropout uses), so masks are reproducible
 * on any device, need no state buffer, and backward recomputes the same mask instead of saving
 * it. Kept elements are scaled by 1 / (1 - p) (inverted dropout), so the expectation is
 * unchanged. Use a different seed per dropout site and a new step per training step. The op
 * with autograd is `dropout` in `lib/ops/dropout.ts`.
 *
 * @module
 */
import { FLAT_GROUP, grid1d } from "../lib/gpu/grid.ts";
import { declareKernel } from "../lib/gpu/program.ts";
import { COUNTER_RNG_WGSL, dropoutKeeps } from "../lib/random/counter.ts";
import { empty, type Tensor } from "../lib/tensor/tensor.ts";

const WG = 64;

const dropoutKernel = declareKernel("dropout", () => ({
  storage: [
    { name: "x", access: "read", type: "f32" },
    { name: "y", access: "read_write", type: "f32" },
  ],
  uniforms: { n: "u32", seed: "u32", step: "u32", p: "f32", scale: "f32", offset: "u32" },
  body: /* wgsl */ `
${COUNTER_RNG_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = ${FLAT_GROUP} * ${WG}u + lid;
  if (i >= p.n) { return; }
  y[i] = select(0.0, x[p.offset + i] * p.scale, dropout_keeps(p.seed, p.step, i, p.p));
}`,
}));

/**
 * The dropout mask of (seed, step) with scale 1/(1-p) applied to a dense tensor, into a new
 * tensor (forward, and backward on the output gradient).
 *
 * @example
 * ```ts
 * const y = applyDropout(x, 0.25, 7, 0);
 * ```
 */
export function applyDropout(x: Tensor, p: number, seed: number, step: number): Tensor {
  if (!x.isContiguous) throw new Error("dropout: the input must be dense");
  const gpu = x.gpu;
  const y = empty(x.shape, "f32", gpu);
  gpu.run(dropoutKernel, {}, { x: x.buffer, y: y.buffer }, {
    n: x.size,
    seed,
    step,
    p,
    scale: Math.fround(1 / (1 - p)),
    offset: x.offset,
  }, grid1d(x.size, WG));
  return y;
}

/**
 * The keep mask the dropout kernel uses for `n` elements (1 kept, 0 dropped).
 *
 * @example
 * ```ts
 * const mask = dropoutMaskReference(8, 0.5, 42, 0);
 * ```
 */
export function dropoutMaskReference(
  n: number,
  p: number,
  seed: number,
  step: number,
): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (dropoutKeeps(seed, step, i, p) ? 1 : 0));
}

/**
 * Reference of dropout in training mode (the scale rounded to f32 as on the GPU).
 *
 * @example
 * ```ts
 * const y = dropoutReference([1, 2, 3], 0.25, 7, 0);
 * ```
 */
export function dropoutReference(
  x: ArrayLike<number>,
  p: number,
  seed: number,
  step: number,
): Float64Array {
  const mask = dropoutMaskReference(x.length, p, seed, step);
  const scale = Math.fround(1 / (1 - p));
  return Float64Array.from(x, (v, i) => (mask[i] ? Math.fround(v * scale) : 0));
}
