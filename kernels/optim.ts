/**
 * Optimizer kernels: the squared global gradient norm, and one fused update (AdamW or SGD with
 * optional momentum) over all parameters in a single dispatch.
 *
 * Layout (owned by `lib/optim`): every parameter has a region in flat "slabs" of the same
 * layout: the parameter values, the gradients (each parameter's `.grad` is a view into that
 * slab) and each optimizer state (Adam moments, SGD momentum). Regions start at multiples of
 * {@link UPDATE_BLOCK} elements and their padding stays zero (a zero stays zero under every
 * rule), so each workgroup updates one block of one parameter with no bounds checks, and reads
 * that block's weight decay and whether it is updated this step from a per-block table.
 *
 * Gradient clipping by global norm stays on the GPU: {@link gradNormSource} writes per-chunk
 * partial sums of squares in a fixed order, and one thread of every update workgroup sums those
 * partials in the same order and shares the clip factor through workgroup memory, so all
 * workgroups agree on it bit for bit and the CPU never reads it.
 *
 * @module
 */
import { FLAT_GROUP, grid1d } from "../lib/gpu/grid.ts";
import { declareKernel, type StorageDecl } from "../lib/gpu/program.ts";
import type { GpuBuffer } from "../lib/gpu/pool.ts";
import type { Gpu } from "../lib/gpu/runtime.ts";

/** Which update rule a fused kernel applies. */
export type UpdateRule = "adamw" | "sgd" | "sgd_momentum";

/** Threads per update workgroup. */
const UPDATE_WG = 64;
/** Elements each update thread handles. */
const UPDATE_PER_THREAD = 4;
/** Elements per update workgroup. */
export const UPDATE_BLOCK = UPDATE_WG * UPDATE_PER_THREAD;
/** u32 words per block in the block table: weight decay (f32 bits), live flag (0 or 1). */
export const BLOCK_TABLE_WORDS = 2;
/** Most partial sums the norm kernel writes (one per workgroup). */
export const NORM_MAX_PARTS = 64;
const NORM_WG = 256;
const NORM_MIN_PER_PART = 65536;

/** State buffers (slabs) each rule reads and writes. */
export const STATE_SLABS: Record<UpdateRule, number> = { adamw: 2, sgd: 0, sgd_momentum: 1 };

/**
 * Number of partial sums for a gradient slab of `n` elements: one per 65,536 elements, at
 * least 1 and at most {@link NORM_MAX_PARTS}.
 *
 * @example
 * ```ts
 * normParts(1_000_000); // 16
 * ```
 */
export function normParts(n: number): number {
  return Math.min(NORM_MAX_PARTS, Math.max(1, Math.ceil(n / NORM_MIN_PER_PART)));
}

/** The kernel writing `parts[k] = Σ g²` over the k-th contiguous chunk of the gradient slab. */
const gradNormKernel = declareKernel("grad_norm", () => ({
  storage: [
    { name: "grads", access: "read", type: "f32" },
    { name: "parts", access: "read_write", type: "f32" },
  ],
  uniforms: { n: "u32", chunk: "u32" },
  body: /* wgsl */ `
var<workgroup> partial: array<f32, ${NORM_WG}>;
@compute @workgroup_size(${NORM_WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let start = wg.x * p.chunk;
  let end = min(start + p.chunk, p.n);
  var acc = 0.0;
  for (var i = start + lid; i < end; i += ${NORM_WG}u) {
    let g = grads[i];
    acc += g * g;
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = ${NORM_WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { parts[wg.x] = partial[0]; }
}`,
}));

/**
 * Records the partial sums of squares of a gradient slab of `n` elements into `parts`;
 * returns how many partials it writes ({@link normParts}).
 *
 * @example
 * ```ts
 * const count = recordGradNorm(gpu, grads.buffer, parts.buffer, grads.size);
 * ```
 */
export function recordGradNorm(gpu: Gpu, grads: GpuBuffer, parts: GpuBuffer, n: number): number {
  const count = normParts(n);
  gpu.run(gradNormKernel, {}, { grads, parts }, { n, chunk: Math.ceil(n / count) }, [count]);
  return count;
}

/** Per-step scalars of the fused update (all rules share one uniform layout). */
export interface UpdateScalars {
  /** Learning rate of this step. */
  lr: number;
  /** AdamW β1, or SGD momentum. */
  beta1: number;
  /** AdamW β2 (unused by SGD). */
  beta2: number;
  /** AdamW ε (unused by SGD). */
  eps: number;
  /** AdamW lr / (1 - β1^t) (unused by SGD). */
  stepSize: number;
  /** AdamW sqrt(1 - β2^t) (unused by SGD). */
  bias2Sqrt: number;
  /** Clip threshold of the global gradient norm (used when the kernel clips). */
  maxNorm: number;
}

const RULES: Record<UpdateRule, string> = {
  // PyTorch torch.optim.AdamW (single tensor): decoupled decay, then Adam with bias correction.
  adamw: `
  let decayed = w * (1.0 - p.lr * decay);
  let m = s0[j] + (g - s0[j]) * (1.0 - p.beta1);
  let v = s1[j] * p.beta2 + (1.0 - p.beta2) * g * g;
  s0[j] = m;
  s1[j] = v;
  let denom = sqrt(v) / p.bias2Sqrt + p.eps;
  return decayed - p.stepSize * (m / denom);`,
  // PyTorch torch.optim.SGD without momentum: w - lr (g + wd w).
  sgd: `
  return w - p.lr * (g + decay * w);`,
  // With momentum (dampening 0): b = μ b + (g + wd w), the first step b = g + wd w.
  sgd_momentum: `
  let b = s0[j] * p.beta1 + (g + decay * w);
  s0[j] = b;
  return w - p.lr * b;`,
};

/** The fused update: one workgroup per block of the slab (see the module doc). */
const updateKernel = declareKernel("optimizer_update", (c: { rule: UpdateRule; clip: boolean }) => {
  const { rule, clip } = c;
  const storage: StorageDecl[] = [
    { name: "grads", access: "read", type: "f32" },
    { name: "blocks", access: "read", type: "Block" },
  ];
  if (clip) storage.push({ name: "parts", access: "read", type: "f32" });
  storage.push({ name: "values", access: "read_write", type: "f32" });
  for (let s = 0; s < STATE_SLABS[rule]; s++) {
    storage.push({ name: `s${s}`, access: "read_write", type: "f32" });
  }
  const clipFactor = clip
    ? `// One thread sums the norm partials (fixed order: every workgroup gets the same bits).
  if (lid == 0u) {
    var sq = 0.0;
    for (var k = 0u; k < p.parts; k++) { sq += parts[k]; }
    let norm = sqrt(sq);
    clipShared = select(1.0, p.maxNorm / (norm + 1e-6), norm > p.maxNorm);
  }
  workgroupBarrier();
  let clip = clipShared;`
    : "let clip = 1.0;";
  return {
    storage,
    uniforms: {
      blocks: "u32",
      parts: "u32",
      lr: "f32",
      beta1: "f32",
      beta2: "f32",
      eps: "f32",
      stepSize: "f32",
      bias2Sqrt: "f32",
      maxNorm: "f32",
    },
    body: /* wgsl */ `
struct Block { decay: f32, live: u32 }
${clip ? "var<workgroup> clipShared: f32;" : ""}
fn update(w: f32, j: u32, decay: f32, clip: f32) -> f32 {
  let g = grads[j] * clip;${RULES[rule]}
}
@compute @workgroup_size(${UPDATE_WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let block = ${FLAT_GROUP};
  if (block >= p.blocks) { return; }
  let b = blocks[block];
  if (b.live == 0u) { return; }
  ${clipFactor}
  let first = block * ${UPDATE_BLOCK}u + lid;
  for (var r = 0u; r < ${UPDATE_PER_THREAD}u; r++) {
    let j = first + r * ${UPDATE_WG}u;
    values[j] = update(values[j], j, b.decay, clip);
  }
}`,
  };
});

/** The slabs one fused update reads and writes. */
export interface UpdateSlabs {
  grads: GpuBuffer;
  /** The block table ({@link BLOCK_TABLE_WORDS} words per block). */
  table: GpuBuffer;
  /** Norm partials, when clipping. */
  parts?: GpuBuffer;
  values: GpuBuffer;
  /** The rule's state slabs ({@link STATE_SLABS}). */
  state: readonly GpuBuffer[];
}

/**
 * Records the fused update of `blocks` blocks with `rule`; `parts` norm partials (0 when not
 * clipping).
 *
 * @example
 * ```ts
 * recordUpdate(gpu, "adamw", slabs, blocks, parts, scalars);
 * ```
 */
export function recordUpdate(
  gpu: Gpu,
  rule: UpdateRule,
  slabs: UpdateSlabs,
  blocks: number,
  parts: number,
  s: UpdateScalars,
): void {
  const buffers: Record<string, GpuBuffer> = {
    grads: slabs.grads,
    blocks: slabs.table,
    values: slabs.values,
  };
  if (slabs.parts) buffers.parts = slabs.parts;
  slabs.state.forEach((b, k) => (buffers[`s${k}`] = b));
  gpu.run(updateKernel, { rule, clip: slabs.parts !== undefined }, buffers, {
    blocks,
    parts,
    lr: s.lr,
    beta1: s.beta1,
    beta2: s.beta2,
    eps: s.eps,
    stepSize: s.stepSize,
    bias2Sqrt: s.bias2Sqrt,
    maxNorm: s.maxNorm,
  }, grid1d(blocks, 1));
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
