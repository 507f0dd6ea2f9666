/**
 * The adapter's roofline: peak f32 FLOP/s measured with an FMA-heavy kernel (independent
 * chains of vec4 `fma`, nothing read from memory) and peak memory bandwidth with a vec4 copy
 * kernel; both run a fraction of a second. Also the roofline coordinates (arithmetic intensity,
 * achieved FLOP/s) of benchmark rows.
 *
 * @module
 */
import type { BenchResult } from "./suite.ts";

/** What {@link measurePeak} found. */
export interface PeakPerformance {
  /** Peak f32 FLOP/s (an FMA counts as 2 FLOPs). */
  flops: number;
  /** Peak bytes/s of a device-memory copy (bytes read + bytes written). */
  bandwidth: number;
  /** FLOP/byte where the two roofs meet. */
  ridge: number;
}

/** Options of {@link measurePeak}. */
export interface PeakOptions {
  /** Wall time each timed repeat should take (default 100 ms). */
  targetMs?: number;
  /** Timed repeats; the fastest counts (default 3). */
  repeats?: number;
}

const WORKGROUP = 64;
/** Loop iterations of the FMA kernel per invocation (lavapipe stops loops at 65,535). */
const FMA_ITERATIONS = 1024;
/** vec4 FMAs per loop iteration: 4 independent chains unrolled 4 times. */
const FMAS_PER_ITERATION = 16;
/** Invocations of the FMA kernel per dispatch. */
const FMA_INVOCATIONS = 64 * 1024;
/** Bytes each copy buffer holds (well under lavapipe's 128 MiB binding limit). */
const COPY_BYTES = 32 * 1024 * 1024;

const FMA_SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<vec4f>;

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
}
`;

const COPY_SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.x + id.y * groups.x * ${WORKGROUP}u;
  if (i < arrayLength(&src)) { dst[i] = src[i]; }
}
`;

/** A pipeline with its bind group and dispatch size, ready to record. */
interface Job {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  groups: [number, number];
}

function makeJob(device: GPUDevice, code: string, buffers: GPUBuffer[], groups: number): Job {
  const pipeline = device.createComputePipeline({
    layout: "auto",
    compute: { module: device.createShaderModule({ code }), entryPoint: "main" },
  });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const limit = device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.min(groups, limit);
  return { pipeline, bindGroup, groups: [x, Math.ceil(groups / x)] };
}

/** Seconds to run `job` `count` times in one submission. */
async function run(device: GPUDevice, job: Job, count: number): Promise<number> {
  const start = performance.now();
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(job.pipeline);
  pass.setBindGroup(0, job.bindGroup);
  for (let i = 0; i < count; i++) pass.dispatchWorkgroups(job.groups[0], job.groups[1]);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return (performance.now() - start) / 1000;
}

/** Best work units per second of `job`, calibrated to `targetMs` per repeat. */
async function bestRate(
  device: GPUDevice,
  job: Job,
  workPerDispatch: number,
  options: PeakOptions,
): Promise<number> {
  const targetMs = options.targetMs ?? 100;
  const once = await run(device, job, 1); // warm up: compiles, faults pages in
  const count = Math.max(1, Math.min(256, Math.round(targetMs / 1000 / Math.max(once, 1e-4))));
  let best = 0;
  for (let r = 0; r < (options.repeats ?? 3); r++) {
    best = Math.max(best, (workPerDispatch * count) / await run(device, job, count));
  }
  return best;
}

/**
 * Peak FLOP/s: many invocations each running 4 independent `fma` chains on vec4s.
 *
 * @example
 * ```ts
 * const gpu = await acquireGpu();
 * console.log(`${(await measurePeakFlops(gpu.device)) / 1e9} GFLOP/s`);
 * ```
 */
export async function measurePeakFlops(
  device: GPUDevice,
  options: PeakOptions = {},
): Promise<number> {
  const out = device.createBuffer({
    size: FMA_INVOCATIONS * 16,
    usage: GPUBufferUsage.STORAGE,
  });
  try {
    const job = makeJob(device, FMA_SHADER, [out], FMA_INVOCATIONS / WORKGROUP);
    const flops = FMA_INVOCATIONS * FMA_ITERATIONS * FMAS_PER_ITERATION * 4 * 2;
    return await bestRate(device, job, flops, options);
  } finally {
    out.destroy();
  }
}

/**
 * Peak bandwidth: a vec4 copy between two 32 MiB buffers, counting bytes read and written.
 *
 * @example
 * ```ts
 * const gpu = await acquireGpu();
 * console.log(`${(await measurePeakBandwidth(gpu.device)) / 1e9} GB/s`);
 * ```
 */
export async function measurePeakBandwidth(
  device: GPUDevice,
  options: PeakOptions = {},
): Promise<number> {
  const usage = GPUBufferUsage.STORAGE;
  const src = device.createBuffer({ size: COPY_BYTES, usage });
  const dst = device.createBuffer({ size: COPY_BYTES, usage });
  try {
    const job = makeJob(device, COPY_SHADER, [src, dst], COPY_BYTES / 16 / WORKGROUP);
    return await bestRate(device, job, 2 * COPY_BYTES, options);
  } finally {
    src.destroy();
    dst.destroy();
  }
}

/**
 * Peak FLOP/s and bandwidth of the device, and the ridge point between them.
 *
 * @example
 * ```ts
 * const gpu = await acquireGpu();
 * const peak = await measurePeak(gpu.device);
 * console.log(peak.flops / 1e9, peak.bandwidth / 1e9, peak.ridge);
 * ```
 */
export async function measurePeak(
  device: GPUDevice,
  options: PeakOptions = {},
): Promise<PeakPerformance> {
  const flops = await measurePeakFlops(device, options);
  const bandwidth = await measurePeakBandwidth(device, options);
  return { flops, bandwidth, ridge: flops / bandwidth };
}

/** A benchmark row placed on the roofline. */
export interface RooflinePoint {
  /** Benchmark family (`matmul`, `layernorm`, `attention`). */
  name: string;
  label: string;
  /** FLOPs per byte of device memory moved (the least traffic the op needs). */
  intensity: number;
  /** Achieved FLOP/s. */
  flops: number;
}

function field(row: BenchResult, name: string): number {
  const value = row.fields[name];
  if (typeof value !== "number") {
    throw new Error(`bench row "${row.name} ${row.label}" has no numeric field "${name}"`);
  }
  return value;
}

/**
 * Where a benchmark row lies on the roofline, from its fields and time, or undefined for rows
 * that measure neither FLOPs nor bytes (dispatch overhead). Matmul: 2·m·n·k FLOPs over the
 * f32 operands and result; fused attention forward + backward: its counted FLOPs over
 * q, k, v, dy read and o, dq, dk, dv written; LayerNorm: ≈ 8 FLOPs per element forward and 20
 * forward + backward (an estimate), over the bytes the suite counts.
 *
 * @example
 * ```ts
 * rooflinePoint({ name: "matmul", label: "256", ms: 1, fields: { m: 256, n: 256, k: 256 } });
 * ```
 */
export function rooflinePoint(row: BenchResult): RooflinePoint | undefined {
  const seconds = row.ms / 1000;
  let flops: number, bytes: number;
  if (row.name === "matmul") {
    const [m, n, k] = [field(row, "m"), field(row, "n"), field(row, "k")];
    flops = 2 * m * n * k;
    bytes = 4 * (m * k + k * n + m * n);
  } else if (row.name === "attention") {
    const elements = field(row, "b") * field(row, "h") * field(row, "t") * field(row, "d");
    flops = field(row, "gflops") * 1e9 * seconds;
    bytes = 8 * elements * 4;
  } else if (row.name === "layernorm") {
    const elements = field(row, "rows") * field(row, "width");
    const both = row.fields.pass === "forward+backward";
    flops = (both ? 20 : 8) * elements;
    bytes = (both ? 5 : 2) * elements * 4;
  } else {
    return undefined;
  }
  return { name: row.name, label: row.label, intensity: flops / bytes, flops: flops / seconds };
}
