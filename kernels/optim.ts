/**
 * The optimizer kernels: per-run gradient norms, and one update kernel (AdamW, or SGD with
 * momentum) over every parameter of every run in a single dispatch, with per-run scalars.
 *
 * Layout (owned by `lib/optim/slab.ts`): the parameters of R runs live in flat slabs — values,
 * gradients, and each optimizer state (Adam's two moments, SGD's momentum) — one region per
 * parameter holding its R runs back to back ([R, ...shape], run-major), each region starting
 * at a multiple of {@link UPDATE_BLOCK} elements with zero padding. So a workgroup updates one
 * block of one region; an element's run is `(index − region start) / size`.
 *
 * Per step, every run has its own scalars (learning rate of its schedule, weight decay, betas
 * or momentum, ε, bias corrections, clip threshold, and whether it still trains): they reach
 * the kernel as a uniform array, so a step of R runs is the same two dispatches as a step of
 * one. Clipping by global norm stays on the GPU: {@link recordGradNorms} writes, per (region,
 * run), the sum of squares of that run's gradient in the region; every update workgroup sums
 * its runs' partials in region order (the same bits in every workgroup) into the clip factor.
 * The update also zeroes each gradient it has read, so the next backward accumulates into
 * zeros with no extra dispatch.
 *
 * @module
 */
import { FLAT_GROUP, grid1d } from "../lib/gpu/grid.ts";
import { declareKernel } from "../lib/gpu/program.ts";
import type { GpuBuffer } from "../lib/gpu/pool.ts";
import type { Gpu } from "../lib/gpu/runtime.ts";

/** The update rule: AdamW (PyTorch's `torch.optim.AdamW`) or SGD with momentum. */
export type UpdateRule = "adamw" | "sgd";

/** Threads per update workgroup. */
const UPDATE_WG = 64;
/** Elements each update thread handles. */
const UPDATE_PER_THREAD = 4;
/** Elements per update workgroup (regions start at multiples of it). */
export const UPDATE_BLOCK = UPDATE_WG * UPDATE_PER_THREAD;
/** u32 words per block in the block table: region start, per-run size, decays (0/1), region. */
export const BLOCK_TABLE_WORDS = 4;
const NORM_WG = 256;

/** State slabs each rule keeps. */
export const STATE_SLABS: Record<UpdateRule, number> = { adamw: 2, sgd: 1 };

/** One run's scalars for one step. */
export interface RunStepScalars {
  /** Learning rate of this step (0 leaves the run unchanged but for decay, which is lr-scaled). */
  lr: number;
  /** Decoupled (AdamW) or L2 (SGD) weight decay of the decaying parameters. */
  weightDecay: number;
  /** AdamW β1, or SGD momentum. */
  beta1: number;
  /** AdamW β2 (unused by SGD). */
  beta2: number;
  /** AdamW ε (unused by SGD). */
  eps: number;
  /** AdamW lr / (1 − β1^t) (unused by SGD). */
  stepSize: number;
  /** AdamW √(1 − β2^t) (unused by SGD). */
  bias2Sqrt: number;
  /** Clip threshold of the run's global gradient norm; 0 for no clipping. */
  maxNorm: number;
  /** False for a run that no longer trains (diverged, or done): its state stays as it is. */
  live: boolean;
}

/** Words of one run's scalars in the update's uniform array (3 vec4). */
const RUN_VEC4 = 3;

/** The per-(region, run) sums of squares of the gradient slab. */
const gradNormKernel = declareKernel("grad_norms", () => ({
  storage: [
    { name: "grads", access: "read", type: "f32" },
    { name: "table", access: "read", type: "vec4u" },
    { name: "parts", access: "read_write", type: "f32" },
  ],
  uniforms: { runs: "u32", regions: "u32" },
  body: /* wgsl */ `
var<workgroup> partial: array<f32, ${NORM_WG}>;
@compute @workgroup_size(${NORM_WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let flat = ${FLAT_GROUP};
  if (flat >= p.regions * p.runs) { return; }
  let region = table[flat / p.runs];
  let run = flat % p.runs;
  let start = region.x + run * region.y;
  var acc = 0.0;
  for (var i = lid; i < region.y; i += ${NORM_WG}u) {
    let g = grads[start + i];
    acc += g * g;
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = ${NORM_WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { parts[flat] = partial[0]; }
}`,
}));

const RULES: Record<UpdateRule, string> = {
  // PyTorch torch.optim.AdamW (single tensor): decoupled decay, then Adam with bias correction.
  adamw: `
  let decayed = w * (1.0 - s0v.x * decay);
  let m = s0[j] + (g - s0[j]) * (1.0 - s0v.z);
  let v = s1[j] * s0v.w + (1.0 - s0v.w) * g * g;
  s0[j] = m;
  s1[j] = v;
  let denom = sqrt(v) / s1v.z + s1v.x;
  return decayed - s1v.y * (m / denom);`,
  // PyTorch torch.optim.SGD (dampening 0): b = μ b + (g + wd w), the first step b = g + wd w.
  sgd: `
  let b = s0[j] * s0v.z + (g + decay * w);
  s0[j] = b;
  return w - s0v.x * b;`,
};

/** The update over one block of one region, for `runs` runs (a compile-time array size). */
const updateKernel = declareKernel(
  "optimizer_update",
  (c: { rule: UpdateRule; runs: number }) => {
    const states = Array.from({ length: STATE_SLABS[c.rule] }, (_, s) => ({
      name: `s${s}`,
      access: "read_write" as const,
      type: "f32",
    }));
    // The runs one block can touch: all of them when regions are smaller than a block.
    const shared = Math.min(c.runs, UPDATE_BLOCK + 1);
    return {
      storage: [
        { name: "grads", access: "read_write", type: "f32" },
        { name: "blocks", access: "read", type: "vec4u" },
        { name: "regions", access: "read", type: "vec4u" },
        { name: "parts", access: "read", type: "f32" },
        { name: "values", access: "read_write", type: "f32" },
        ...states,
      ],
      uniforms: {
        blockCount: "u32",
        regionCount: "u32",
        run: `array<vec4f, ${RUN_VEC4 * c.runs}>`,
      },
      body: /* wgsl */ `
var<workgroup> clipOf: array<f32, ${shared}>;
fn update(w: f32, j: u32, decay: f32, g: f32, s0v: vec4f, s1v: vec4f) -> f32 {${RULES[c.rule]}
}
@compute @workgroup_size(${UPDATE_WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let block = ${FLAT_GROUP};
  if (block >= p.blockCount) { return; }
  let b = blocks[block];
  let start = block * ${UPDATE_BLOCK}u;
  let first = (start - b.x) / b.y;
  let last = min(${c.runs - 1}u, (start + ${UPDATE_BLOCK - 1}u - b.x) / b.y);
  // Clip factors of this block's runs: each sums its partials in region order (the same bits
  // in every workgroup).
  for (var r = first + lid; r <= last; r += ${UPDATE_WG}u) {
    let maxNorm = p.run[${RUN_VEC4}u * r + 1u].w;
    var sq = 0.0;
    for (var k = 0u; k < p.regionCount; k++) { sq += parts[k * ${c.runs}u + r]; }
    let norm = sqrt(sq);
    clipOf[r - first] = select(1.0, maxNorm / (norm + 1e-6), maxNorm > 0.0 && norm > maxNorm);
  }
  workgroupBarrier();
  for (var i = 0u; i < ${UPDATE_PER_THREAD}u; i++) {
    let j = start + lid + i * ${UPDATE_WG}u;
    let run = (j - b.x) / b.y;
    if (run >= ${c.runs}u) { continue; }
    let s0v = p.run[${RUN_VEC4}u * run];
    let s1v = p.run[${RUN_VEC4}u * run + 1u];
    let s2v = p.run[${RUN_VEC4}u * run + 2u];
    let g = grads[j] * clipOf[run - first];
    grads[j] = 0.0;
    if (s2v.x == 0.0) { continue; }
    let decay = select(0.0, s0v.y, b.z == 1u);
    values[j] = update(values[j], j, decay, g, s0v, s1v);
  }
}`,
    };
  },
);

/** The slabs and tables of one optimizer. */
export interface OptimizerSlabs {
  values: GpuBuffer;
  grads: GpuBuffer;
  /** Per block: (region start, per-run size, decays 0/1, region index). */
  blocks: GpuBuffer;
  /** Per region: (start, per-run size, 0, 0). */
  regions: GpuBuffer;
  /** Norm partials, one per (region, run). */
  parts: GpuBuffer;
  /** The rule's state slabs ({@link STATE_SLABS}). */
  state: readonly GpuBuffer[];
}

/**
 * Records the per-(region, run) sums of squares of the gradients into `slabs.parts`.
 *
 * @example
 * ```ts
 * recordGradNorms(gpu, slabs, { regions: 27, runs: 8 });
 * ```
 */
export function recordGradNorms(
  gpu: Gpu,
  slabs: OptimizerSlabs,
  count: { regions: number; runs: number },
): void {
  gpu.run(
    gradNormKernel,
    {},
    {
      grads: slabs.grads,
      table: slabs.regions,
      parts: slabs.parts,
    },
    { runs: count.runs, regions: count.regions },
    grid1d(count.regions * count.runs, 1),
  );
}

/**
 * Records one update of every parameter of every run (reading the norm partials of
 * {@link recordGradNorms} for clipping), and zeroes the gradients.
 *
 * @example
 * ```ts
 * recordUpdate(gpu, "adamw", slabs, { blocks: 40, regions: 27 }, runScalars);
 * ```
 */
export function recordUpdate(
  gpu: Gpu,
  rule: UpdateRule,
  slabs: OptimizerSlabs,
  count: { blocks: number; regions: number },
  runs: readonly RunStepScalars[],
): void {
  const run = new Array<number>(RUN_VEC4 * 4 * runs.length);
  runs.forEach((s, r) => {
    run.splice(
      RUN_VEC4 * 4 * r,
      RUN_VEC4 * 4,
      s.lr,
      s.weightDecay,
      s.beta1,
      s.beta2,
      s.eps,
      s.stepSize,
      s.bias2Sqrt,
      s.maxNorm,
      s.live ? 1 : 0,
      0,
      0,
      0,
    );
  });
  const buffers: Record<string, GpuBuffer> = {
    grads: slabs.grads,
    blocks: slabs.blocks,
    regions: slabs.regions,
    parts: slabs.parts,
    values: slabs.values,
  };
  slabs.state.forEach((b, k) => (buffers[`s${k}`] = b));
  gpu.run(updateKernel, { rule, runs: runs.length }, buffers, {
    blockCount: count.blocks,
    regionCount: count.regions,
    run,
  }, grid1d(count.blocks, 1));
}

// ---------------------------------------------------------------------------------------------
// Float64 references.

/** Hyperparameters of {@link adamwReference}. */
export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/**
 * The clip factor for a global gradient norm: `maxNorm / (norm + 1e-6)` when the norm exceeds
 * `maxNorm` (PyTorch `clip_grad_norm_`), exactly 1 otherwise.
 *
 * @example
 * ```ts
 * clipFactorReference(10, 1); // 0.0999999990...
 * clipFactorReference(0.5, 1); // 1
 * ```
 */
export function clipFactorReference(norm: number, maxNorm: number): number {
  return norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
}

/**
 * One AdamW step (PyTorch `torch.optim.AdamW`) in float64, in place on `param`, `m`, `v`;
 * `t` is the 1-based step number.
 *
 * @example
 * ```ts
 * adamwReference(p, g, m, v, 1, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
 * ```
 */
export function adamwReference(
  param: Float64Array,
  grad: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
  t: number,
  h: AdamWHyper,
): void {
  const stepSize = h.lr / (1 - h.beta1 ** t);
  const bias2Sqrt = Math.sqrt(1 - h.beta2 ** t);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    param[i] *= 1 - h.lr * h.weightDecay;
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * g;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * g * g;
    param[i] -= stepSize * m[i] / (Math.sqrt(v[i]) / bias2Sqrt + h.eps);
  }
}

/**
 * One SGD step (PyTorch `torch.optim.SGD`, dampening 0, not Nesterov) in float64, in place on
 * `param` and the momentum buffer `b` (zeros before the first step).
 *
 * @example
 * ```ts
 * sgdReference(p, g, b, { lr: 0.03, momentum: 0.9, weightDecay: 0 });
 * ```
 */
export function sgdReference(
  param: Float64Array,
  grad: ArrayLike<number>,
  b: Float64Array,
  h: { lr: number; momentum: number; weightDecay: number },
): void {
  for (let i = 0; i < param.length; i++) {
    let d = grad[i] + h.weightDecay * param[i];
    if (h.momentum !== 0) d = b[i] = h.momentum * b[i] + d;
    param[i] -= h.lr * d;
  }
}
