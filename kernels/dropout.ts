/**
 * The dropout kernel and its float64 reference. The keep/drop decision of element i is a pure
 * function of (seed, step, i) drawn from the counter-based generator of `lib/random/counter.ts`
 * (`dropout_keeps`, the same rule the LeCun trainer's dropout uses), so masks are reproducible
 * on any device, need no state buffer, and backward recomputes the same mask instead of saving
 * it. Kept elements are scaled by 1 / (1 - p) (inverted dropout), so the expectation is
 * unchanged. Use a different seed per dropout site and a new step per training step. With a
 * runs axis each run has its own seed and probability. The op with autograd is `dropout` in
 * `lib/ops/dropout.ts`.
 *
 * @module
 */
import { FLAT_GROUP, grid1d } from "../lib/gpu/grid.ts";
import { declareKernel } from "../lib/gpu/program.ts";
import { COUNTER_RNG_WGSL, dropoutKeeps } from "../lib/random/counter.ts";
import { empty, type Tensor } from "../lib/tensor/tensor.ts";

const WG = 64;

/**
 * The mask of each run applied to x (element i of run r: kept with probability 1 − p_r by the
 * draw of (seed_r, step, i mod perRun), scaled by 1 / (1 − p_r)), optionally added to a
 * residual stream.
 */
const dropoutKernel = declareKernel("dropout", (c: { runs: number; residual: boolean }) => ({
  storage: [
    { name: "x", access: "read", type: "f32" },
    ...(c.residual ? [{ name: "res", access: "read" as const, type: "f32" }] : []),
    { name: "y", access: "read_write", type: "f32" },
  ],
  uniforms: {
    n: "u32",
    perRun: "u32",
    step: "u32",
    xOff: "u32",
    resOff: "u32",
    yOff: "u32",
    seeds: `array<vec4u, ${c.runs}>`,
    rates: `array<vec4f, ${c.runs}>`,
  },
  body: /* wgsl */ `
${COUNTER_RNG_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = ${FLAT_GROUP} * ${WG}u + lid;
  if (i >= p.n) { return; }
  let run = i / p.perRun;
  let rate = p.rates[run];
  let kept = select(0.0, x[p.xOff + i] * rate.y, dropout_keeps(p.seeds[run].x, p.step, i % p.perRun, rate.x));
  y[p.yOff + i] = ${c.residual ? "res[p.resOff + i] + kept" : "kept"};
}`,
}));

/** One run's dropout: its mask seed and drop probability. */
export interface RunDropout {
  seed: number;
  p: number;
}

/**
 * Each run's dropout mask of (seed, step) with scale 1/(1-p) applied to a dense tensor whose
 * R runs are `x.size / R` elements each, into `into` (or a new tensor), optionally added to
 * `residual` (forward of `res + dropout(x)`; backward applies the same mask to the gradient).
 *
 * @example
 * ```ts
 * const y = applyDropout(x, [{ seed: 7, p: 0.25 }], 0);
 * applyDropout(branch, runs.map((r) => ({ seed: r.seed, p: r.dropout })), step, { residual: x, into: x2 });
 * ```
 */
export function applyDropout(
  x: Tensor,
  runs: readonly RunDropout[],
  step: number,
  options: { residual?: Tensor; into?: Tensor } = {},
): Tensor {
  const { residual, into } = options;
  for (const t of [x, residual, into]) {
    if (t && (!t.isContiguous || t.size !== x.size)) {
      throw new Error(`dropout: needs dense tensors of ${x.size} elements, got ${t}`);
    }
  }
  if (runs.length < 1 || x.size % runs.length !== 0) {
    throw new Error(`dropout: ${x.size} elements do not split into ${runs.length} runs`);
  }
  const gpu = x.gpu;
  const y = into ?? empty(x.shape, "f32", gpu);
  const buffers = residual
    ? { x: x.buffer, res: residual.buffer, y: y.buffer }
    : { x: x.buffer, y: y.buffer };
  gpu.run(dropoutKernel, { runs: runs.length, residual: residual !== undefined }, buffers, {
    n: x.size,
    perRun: x.size / runs.length,
    step,
    xOff: x.offset,
    resOff: residual?.offset ?? 0,
    yOff: y.offset,
    seeds: runs.flatMap((r) => [r.seed >>> 0, 0, 0, 0]),
    rates: runs.flatMap((r) => [r.p, Math.fround(1 / (1 - r.p)), 0, 0]),
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
