/**
 * The roofline probes: an FMA-heavy kernel (independent chains of vec4 `fma`, nothing read from
 * memory) for peak f32 FLOP/s, and a vec4 copy kernel for peak memory bandwidth.
 *
 * @module
 */
import { declareKernel } from "../lib/gpu/program.ts";
import type { GpuBuffer } from "../lib/gpu/pool.ts";
import type { Gpu } from "../lib/gpu/runtime.ts";

const WORKGROUP = 64;
/** Loop iterations of the FMA kernel per invocation (lavapipe stops loops at 65,535). */
const FMA_ITERATIONS = 1024;
/** vec4 FMAs per loop iteration: 4 independent chains unrolled 4 times. */
const FMAS_PER_ITERATION = 16;

/** FLOPs one invocation of the FMA probe performs (an FMA counts as 2 per lane of a vec4). */
export const FMA_PROBE_FLOPS = FMA_ITERATIONS * FMAS_PER_ITERATION * 4 * 2;

const fmaKernel = declareKernel("peak_fma", () => ({
  storage: [{ name: "out", access: "read_write", type: "vec4f" }],
  body: /* wgsl */ `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3u) {
  let seed = f32(id.x) * 1e-7;
  var a = vec4f(seed, seed + 0.1, seed + 0.2, seed + 0.3);
  var b = a + 1.0;
  var c = a + 2.0;
  var d = a + 3.0;
  let m = vec4f(0.9999);
  let k = vec4f(1e-4);
  for (var i = 0u; i < ${FMA_ITERATIONS}u; i++) {
    a = fma(a, m, k); b = fma(b, m, k); c = fma(c, m, k); d = fma(d, m, k);
    a = fma(a, m, k); b = fma(b, m, k); c = fma(c, m, k); d = fma(d, m, k);
    a = fma(a, m, k); b = fma(b, m, k); c = fma(c, m, k); d = fma(d, m, k);
    a = fma(a, m, k); b = fma(b, m, k); c = fma(c, m, k); d = fma(d, m, k);
  }
  out[id.x] = a + b + c + d;
}`,
}));

const copyKernel = declareKernel("peak_copy", () => ({
  storage: [
    { name: "src", access: "read", type: "vec4f" },
    { name: "dst", access: "read_write", type: "vec4f" },
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.x + id.y * groups.x * ${WORKGROUP}u;
  if (i < arrayLength(&src)) { dst[i] = src[i]; }
}`,
}));

/** Workgroups of a 1-D launch of `groups`, folded into two dimensions past the limit. */
function grid(gpu: Gpu, groups: number): [number, number] {
  const x = Math.min(groups, gpu.limits.maxComputeWorkgroupsPerDimension);
  return [x, Math.ceil(groups / x)];
}

/**
 * Records `count` dispatches of the FMA probe over one invocation per vec4 of `out`.
 *
 * @example
 * ```ts
 * recordFmaProbe(gpu, out, 4); // 4 · (out.size / 16) · FMA_PROBE_FLOPS FLOPs
 * ```
 */
export function recordFmaProbe(gpu: Gpu, out: GpuBuffer, count: number): void {
  const kernel = gpu.kernel(fmaKernel, {});
  const groups = grid(gpu, out.size / 16 / WORKGROUP);
  for (let i = 0; i < count; i++) gpu.dispatch(kernel, { out }, undefined, groups);
}

/**
 * Records `count` vec4 copies of all of `src` into `dst` (same size).
 *
 * @example
 * ```ts
 * recordCopyProbe(gpu, src, dst, 4); // 4 · 2 · src.size bytes moved
 * ```
 */
export function recordCopyProbe(gpu: Gpu, src: GpuBuffer, dst: GpuBuffer, count: number): void {
  const kernel = gpu.kernel(copyKernel, {});
  const groups = grid(gpu, src.size / 16 / WORKGROUP);
  for (let i = 0; i < count; i++) gpu.dispatch(kernel, { src, dst }, undefined, groups);
}
