/**
 * AdamW for packed trials: P independent models whose parameters carry a leading trial axis,
 * each trial with its own learning rate and its own gradient clipping by global norm, updated
 * together in four dispatches per step whatever the number of parameters or trials.
 *
 * Layout (see {@link packedSlabLayout}): every parameter k holds P·n_k values ([P, ...shape],
 * trial-major) in flat slabs of the same layout: values, gradients and the two Adam moments.
 * Parameter regions start at multiples of {@link PACKED_BLOCK} elements and their padding stays
 * zero. A per-block table gives the block's parameter region (start, n_k) and weight decay;
 * the trial of element j is (j − start) / n_k.
 *
 * Per step: {@link packedNormSource} writes per-(block, trial) partial sums of squared
 * gradients; {@link packedClipSource} sums each trial's partials in block order (deterministic)
 * into its norm and clip factor `maxNorm / (norm + 1e-6)` when the norm exceeds `maxNorm`
 * (PyTorch `clip_grad_norm_`); {@link packedAdamwSource} applies PyTorch's AdamW with the
 * trial's learning rate and clip factor. Nothing is read back to the CPU.
 *
 * @module
 */
import { FLAT_GROUP } from "../lib/gpu/grid.ts";
import { type KernelSource, Params } from "../lib/gpu/runtime.ts";

/** Elements per block (one update workgroup). */
export const PACKED_BLOCK = 256;
const WG = 64;
const PER_THREAD = PACKED_BLOCK / WG;
/** u32 words per block-table entry: region start, elements per trial, decay (f32 bits), pad. */
export const PACKED_TABLE_WORDS = 4;
/** Most trials one packed optimizer handles (per-thread accumulators are unrolled). */
export const MAX_PACKED_TRIALS = 16;

/** Where each parameter lives in the slabs, and the block table. */
export interface PackedSlabLayout {
  /** Trials P. */
  trials: number;
  /** Start of each parameter's region (elements; a multiple of {@link PACKED_BLOCK}). */
  offsets: number[];
  /** Slab length (elements; a multiple of {@link PACKED_BLOCK}). */
  total: number;
  /** Block table, {@link PACKED_TABLE_WORDS} words per block. */
  table: Uint32Array;
}

/**
 * The slab layout of parameters with `perTrial[k]` elements per trial and weight decay
 * `decay[k]`, for `trials` trials.
 *
 * @example
 * ```ts
 * const layout = packedSlabLayout([64, 8], [0.1, 0], 3); // offsets [0, 256], total 512
 * ```
 */
export function packedSlabLayout(
  perTrial: readonly number[],
  decay: readonly number[],
  trials: number,
): PackedSlabLayout {
  if (!Number.isInteger(trials) || trials < 1 || trials > MAX_PACKED_TRIALS) {
    throw new Error(`packed AdamW: trials must be 1 to ${MAX_PACKED_TRIALS}, got ${trials}`);
  }
  const offsets: number[] = [];
  let total = 0;
  for (const n of perTrial) {
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`packed AdamW: parameter sizes must be positive integers, got ${n}`);
    }
    offsets.push(total);
    total += Math.ceil((n * trials) / PACKED_BLOCK) * PACKED_BLOCK;
  }
  const table = new Uint32Array((total / PACKED_BLOCK) * PACKED_TABLE_WORDS);
  const decayBits = new Float32Array(table.buffer);
  perTrial.forEach((n, k) => {
    const blocks = Math.ceil((n * trials) / PACKED_BLOCK);
    for (let b = offsets[k] / PACKED_BLOCK, end = b + blocks; b < end; b++) {
      table[b * PACKED_TABLE_WORDS] = offsets[k];
      table[b * PACKED_TABLE_WORDS + 1] = n;
      decayBits[b * PACKED_TABLE_WORDS + 2] = decay[k];
    }
  });
  return { trials, offsets, total, table };
}

const TABLE_WGSL = "struct Entry { start: u32, n: u32, decay: f32, pad: u32 }";

/**
 * Partial sums of squared gradients per (block, trial): `parts[block·P + t]`. Bindings: grads,
 * table, parts; dispatch one workgroup per block (`grid1d(blocks, 1)`), params
 * {@link packedNormParams}.
 *
 * @example
 * ```ts
 * gpu.dispatch(gpu.kernel(packedNormSource(3)), [grads, table, parts], packedNormParams(blocks), grid1d(blocks, 1));
 * ```
 */
export function packedNormSource(trials: number): KernelSource {
  const p = trials;
  return {
    name: "packed_norm",
    key: `packed_adamw:norm:${p}`,
    bindings: ["read", "read", "write"],
    uniformBytes: 16,
    code: () => /* wgsl */ `
${TABLE_WGSL}
struct P { blocks: u32 }
@group(0) @binding(0) var<storage, read> grads: array<f32>;
@group(0) @binding(1) var<storage, read> table: array<Entry>;
@group(0) @binding(2) var<storage, read_write> parts: array<f32>;
@group(0) @binding(3) var<uniform> u: P;
var<workgroup> partial: array<f32, ${WG * p}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let block = ${FLAT_GROUP};
  if (block >= u.blocks) { return; }
  let e = table[block];
  var acc: array<f32, ${p}>;
  for (var r = 0u; r < ${PER_THREAD}u; r++) {
    let j = block * ${PACKED_BLOCK}u + r * ${WG}u + lid;
    let g = grads[j];
    let t = min((j - e.start) / e.n, ${p - 1}u);
    acc[t] += g * g;
  }
  for (var t = 0u; t < ${p}u; t++) { partial[t * ${WG}u + lid] = acc[t]; }
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) {
      for (var t = 0u; t < ${p}u; t++) {
        partial[t * ${WG}u + lid] += partial[t * ${WG}u + lid + s];
      }
    }
    workgroupBarrier();
  }
  if (lid < ${p}u) { parts[block * ${p}u + lid] = partial[lid * ${WG}u]; }
}`,
  };
}

/**
 * Params of {@link packedNormSource}.
 *
 * @example
 * ```ts
 * packedNormParams(layout.total / PACKED_BLOCK);
 * ```
 */
export function packedNormParams(blocks: number): Params {
  return new Params().u32(blocks);
}

/**
 * Each trial's gradient norm and clip factor from the partials: `clip[t]` and `norms[t]`.
 * Bindings: parts, clip (write), norms (write); dispatch one workgroup, params
 * {@link packedClipParams}.
 *
 * @example
 * ```ts
 * gpu.dispatch(gpu.kernel(packedClipSource(3)), [parts, clip, norms], packedClipParams(blocks, 1), [1]);
 * ```
 */
export function packedClipSource(trials: number): KernelSource {
  return {
    name: "packed_clip",
    key: `packed_adamw:clip:${trials}`,
    bindings: ["read", "write", "write"],
    uniformBytes: 16,
    code: () => /* wgsl */ `
struct P { blocks: u32, maxNorm: f32 }
@group(0) @binding(0) var<storage, read> parts: array<f32>;
@group(0) @binding(1) var<storage, read_write> clip: array<f32>;
@group(0) @binding(2) var<storage, read_write> norms: array<f32>;
@group(0) @binding(3) var<uniform> u: P;
@compute @workgroup_size(${MAX_PACKED_TRIALS})
fn main(@builtin(local_invocation_index) t: u32) {
  if (t >= ${trials}u) { return; }
  var sq = 0.0;
  for (var b = 0u; b < u.blocks; b++) { sq += parts[b * ${trials}u + t]; }
  let norm = sqrt(sq);
  norms[t] = norm;
  clip[t] = select(1.0, u.maxNorm / (norm + 1e-6), u.maxNorm > 0.0 && norm > u.maxNorm);
}`,
  };
}

/**
 * Params of {@link packedClipSource}; `maxNorm` 0 disables clipping.
 *
 * @example
 * ```ts
 * packedClipParams(blocks, 1.0);
 * ```
 */
export function packedClipParams(blocks: number, maxNorm: number): Params {
  return new Params().u32(blocks).f32(maxNorm);
}

/**
 * The AdamW update of every block with its trial's learning rate, step size and clip factor.
 * Bindings: grads, table, clip, trialScalars ([P, 2]: lr, lr / (1 − β1^t)), values, m, v;
 * dispatch one workgroup per block, params {@link packedAdamwParams}.
 *
 * @example
 * ```ts
 * gpu.dispatch(gpu.kernel(packedAdamwSource(3)), [grads, table, clip, scalars, values, m, v], params, grid1d(blocks, 1));
 * ```
 */
export function packedAdamwSource(trials: number): KernelSource {
  return {
    name: "packed_adamw",
    key: `packed_adamw:update:${trials}`,
    bindings: ["read", "read", "read", "read", "write", "write", "write"],
    uniformBytes: 32,
    code: () => /* wgsl */ `
${TABLE_WGSL}
struct P { blocks: u32, beta1: f32, beta2: f32, eps: f32, bias2Sqrt: f32 }
@group(0) @binding(0) var<storage, read> grads: array<f32>;
@group(0) @binding(1) var<storage, read> table: array<Entry>;
@group(0) @binding(2) var<storage, read> clip: array<f32>;
@group(0) @binding(3) var<storage, read> scalars: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> values: array<f32>;
@group(0) @binding(5) var<storage, read_write> m1: array<f32>;
@group(0) @binding(6) var<storage, read_write> m2: array<f32>;
@group(0) @binding(7) var<uniform> u: P;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let block = ${FLAT_GROUP};
  if (block >= u.blocks) { return; }
  let e = table[block];
  for (var r = 0u; r < ${PER_THREAD}u; r++) {
    let j = block * ${PACKED_BLOCK}u + r * ${WG}u + lid;
    let t = min((j - e.start) / e.n, ${trials - 1}u);
    let s = scalars[t];
    let g = grads[j] * clip[t];
    let decayed = values[j] * (1.0 - s.x * e.decay);
    let m = m1[j] + (g - m1[j]) * (1.0 - u.beta1);
    let v = m2[j] * u.beta2 + (1.0 - u.beta2) * g * g;
    m1[j] = m;
    m2[j] = v;
    values[j] = decayed - s.y * (m / (sqrt(v) / u.bias2Sqrt + u.eps));
  }
}`,
  };
}

/** Hyperparameters shared by the trials of a packed AdamW. */
export interface PackedAdamwHyper {
  beta1: number;
  beta2: number;
  eps: number;
}

/**
 * Params of {@link packedAdamwSource} at 1-based step `t`.
 *
 * @example
 * ```ts
 * packedAdamwParams(blocks, { beta1: 0.9, beta2: 0.95, eps: 1e-8 }, step + 1);
 * ```
 */
export function packedAdamwParams(blocks: number, h: PackedAdamwHyper, t: number): Params {
  return new Params().u32(blocks).f32(h.beta1, h.beta2, h.eps, Math.sqrt(1 - h.beta2 ** t));
}

/**
 * The per-trial scalars of step `t` (1-based): [lr, lr / (1 − β1^t)] per trial.
 *
 * @example
 * ```ts
 * gpu.write(scalarsBuffer, packedTrialScalars([1e-3, 3e-3], 0.9, 1));
 * ```
 */
export function packedTrialScalars(lrs: readonly number[], beta1: number, t: number): Float32Array {
  const out = new Float32Array(2 * lrs.length);
  lrs.forEach((lr, i) => {
    out[2 * i] = lr;
    out[2 * i + 1] = lr / (1 - beta1 ** t);
  });
  return out;
}

/**
 * Float64 reference of one packed step: per trial, the global norm of its gradients over all
 * parameters, the clip factor, then PyTorch's AdamW with the trial's learning rate. Arrays are
 * per parameter, each [P, n_k] trial-major; updates `values`, `m` and `v` in place and returns
 * the norms.
 *
 * @example
 * ```ts
 * const norms = packedAdamwReference(values, grads, m, v, [0.1, 0], [1e-3, 2e-3], 1, hyper, 1);
 * ```
 */
export function packedAdamwReference(
  values: Float64Array[],
  grads: readonly ArrayLike<number>[],
  m: Float64Array[],
  v: Float64Array[],
  decay: readonly number[],
  lrs: readonly number[],
  t: number,
  h: PackedAdamwHyper,
  maxNorm: number,
): number[] {
  const trials = lrs.length;
  const norms = lrs.map((_, trial) => {
    let sq = 0;
    grads.forEach((g) => {
      const n = g.length / trials;
      for (let i = trial * n; i < (trial + 1) * n; i++) sq += g[i] * g[i];
    });
    return Math.sqrt(sq);
  });
  const bias2Sqrt = Math.sqrt(1 - h.beta2 ** t);
  values.forEach((w, k) => {
    const n = w.length / trials;
    for (let i = 0; i < w.length; i++) {
      const trial = Math.floor(i / n);
      const clip = maxNorm > 0 && norms[trial] > maxNorm ? maxNorm / (norms[trial] + 1e-6) : 1;
      const g = grads[k][i] * clip;
      const lr = lrs[trial];
      w[i] *= 1 - lr * decay[k];
      m[k][i] = h.beta1 * m[k][i] + (1 - h.beta1) * g;
      v[k][i] = h.beta2 * v[k][i] + (1 - h.beta2) * g * g;
      w[i] -= (lr / (1 - h.beta1 ** t)) * m[k][i] / (Math.sqrt(v[k][i]) / bias2Sqrt + h.eps);
    }
  });
  return norms;
}
