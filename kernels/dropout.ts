/**
 * Dropout from a counter-based random number generator (Philox-4x32-10, Salmon et al. 2011):
 * the keep/drop decision of element i is a pure function of (seed, step, i), so masks are
 * reproducible on any device, need no state buffer, and backward recomputes the same mask
 * instead of saving it.
 *
 * Element i uses word `i % 4` of Philox(counter = [i / 4, step, 0, 0], key = [seed, 0]) and
 * is kept when that word is at least floor(p · 2^32); kept elements are scaled by 1 / (1 - p)
 * (inverted dropout), so the expectation is unchanged. Use a different seed per dropout site
 * (e.g. `seed + layerIndex`) and a new step per training step.
 *
 * @module
 */
import { FLAT_GROUP, grid1d } from "../lib/gpu/grid.ts";
import { type KernelSource, Params } from "../lib/gpu/runtime.ts";
import { record } from "../lib/tensor/autograd.ts";
import { empty, type Tensor } from "../lib/tensor/tensor.ts";
import { asContiguous } from "./map.ts";

const WG = 64;
const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;

/** WGSL Philox-4x32-10 (`philox(counter, key)`), with the 32x32→64 multiply split in halves. */
export const PHILOX_WGSL = /* wgsl */ `
fn mulhi32(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu; let ah = a >> 16u;
  let bl = b & 0xffffu; let bh = b >> 16u;
  let lh = al * bh; let hl = ah * bl;
  let cross = ((al * bl) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return ah * bh + (lh >> 16u) + (hl >> 16u) + (cross >> 16u);
}
fn philox(counter: vec4u, key: vec2u) -> vec4u {
  var c = counter;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    let hi0 = mulhi32(${PHILOX_M0}u, c.x); let lo0 = ${PHILOX_M0}u * c.x;
    let hi1 = mulhi32(${PHILOX_M1}u, c.z); let lo1 = ${PHILOX_M1}u * c.z;
    c = vec4u(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k += vec2u(${PHILOX_W0}u, ${PHILOX_W1}u);
  }
  return c;
}`;

function dropoutSource(): KernelSource {
  return {
    name: "dropout",
    key: "dropout",
    bindings: ["read", "write"],
    uniformBytes: 32,
    code: () => /* wgsl */ `
struct P { n: u32, seed: u32, step: u32, threshold: u32, scale: f32, offset: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${PHILOX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let block = ${FLAT_GROUP} * ${WG}u + lid;
  let first = block * 4u;
  if (first >= p.n) { return; }
  let r = philox(vec4u(block, p.step, 0u, 0u), vec2u(p.seed, 0u));
  let keep = r >= vec4u(p.threshold);
  for (var lane = 0u; lane < 4u; lane++) {
    let i = first + lane;
    if (i < p.n) { y[i] = select(0.0, x[p.offset + i] * p.scale, keep[lane]); }
  }
}`,
  };
}

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

/** Applies the mask of (seed, step) with scale 1/(1-p) to a dense tensor. */
function applyMask(x: Tensor, p: number, seed: number, step: number): Tensor {
  const dense = asContiguous(x);
  const gpu = dense.gpu;
  const y = empty(x.shape, "f32", gpu);
  const params = new Params()
    .u32(x.size, seed, step, dropThreshold(p))
    .f32(Math.fround(1 / (1 - p)))
    .u32(dense.offset);
  gpu.dispatch(
    gpu.kernel(dropoutSource()),
    [dense.buffer, y.buffer],
    params,
    grid1d(Math.ceil(x.size / 4), WG),
  );
  if (dense !== x) dense.dispose();
  return y;
}

/** Random words below this are dropped: floor(p · 2^32). */
function dropThreshold(p: number): number {
  return Math.floor(p * 4294967296);
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
  const y = applyMask(x, p, seed, step);
  return record("dropout", y, [x], [], (g) => [applyMask(g, p, seed, step)]);
}

// ---------------------------------------------------------------------------------------------
// Float64 references.

/** High 32 bits of the 64-bit product of two u32 (exact in doubles: 16-bit halves). */
function mulhi32(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const lh = al * bh, hl = ah * bl;
  const cross = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + Math.floor(cross / 65536)) >>> 0;
}

/**
 * Philox-4x32-10 on the CPU: four random u32 words for a 4-word counter and 2-word key.
 *
 * @example
 * ```ts
 * philox4x32([0, 0, 0, 0], [0, 0]); // [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
 * ```
 */
export function philox4x32(
  counter: readonly [number, number, number, number],
  key: readonly [number, number],
): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi32(PHILOX_M0, c0), lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, c2), lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/**
 * The keep mask {@link dropout} uses for `n` elements (1 kept, 0 dropped).
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
  const mask = new Uint8Array(n);
  const threshold = dropThreshold(p);
  for (let block = 0; block * 4 < n; block++) {
    const words = philox4x32([block, step, 0, 0], [seed, 0]);
    for (let lane = 0; lane < 4 && block * 4 + lane < n; lane++) {
      mask[block * 4 + lane] = words[lane] >= threshold ? 1 : 0;
    }
  }
  return mask;
}

/**
 * Reference of {@link dropout} in training mode (the scale rounded to f32 as on the GPU).
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
