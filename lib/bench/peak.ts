/**
 * The adapter's roofline: peak f32 FLOP/s and memory bandwidth timed with the probes of
 * `kernels/peak.ts` (a fraction of a second each). Also the roofline coordinates (arithmetic intensity,
 * achieved FLOP/s) of benchmark rows.
 *
 * @module
 */
import { FMA_PROBE_FLOPS, recordCopyProbe, recordFmaProbe } from "../../kernels/peak.ts";
import type { Gpu } from "../gpu/runtime.ts";
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

/** Invocations of the FMA probe per dispatch. */
const FMA_INVOCATIONS = 64 * 1024;
/** Bytes each copy buffer holds (well under lavapipe's 128 MiB binding limit). */
const COPY_BYTES = 32 * 1024 * 1024;

/** Seconds to record `count` dispatches of a probe, submit them and wait for them. */
async function timed(gpu: Gpu, record: (count: number) => void, count: number): Promise<number> {
  await gpu.sync();
  const start = performance.now();
  record(count);
  await gpu.sync();
  return (performance.now() - start) / 1000;
}

/** Best work units per second of a probe, calibrated to `targetMs` per repeat. */
async function bestRate(
  gpu: Gpu,
  record: (count: number) => void,
  workPerDispatch: number,
  options: PeakOptions,
): Promise<number> {
  const targetMs = options.targetMs ?? 100;
  const once = await timed(gpu, record, 1); // warm up: compiles, faults pages in
  const count = Math.max(1, Math.min(256, Math.round(targetMs / 1000 / Math.max(once, 1e-4))));
  let best = 0;
  for (let r = 0; r < (options.repeats ?? 3); r++) {
    best = Math.max(best, (workPerDispatch * count) / await timed(gpu, record, count));
  }
  return best;
}

/**
 * Peak FLOP/s: many invocations each running 4 independent `fma` chains on vec4s.
 *
 * @example
 * ```ts
 * const gpu = await acquireGpu();
 * console.log(`${(await measurePeakFlops(gpu)) / 1e9} GFLOP/s`);
 * ```
 */
export async function measurePeakFlops(gpu: Gpu, options: PeakOptions = {}): Promise<number> {
  const out = gpu.pool.acquire(FMA_INVOCATIONS * 16);
  try {
    const record = (count: number) => recordFmaProbe(gpu, out, count);
    return await bestRate(gpu, record, FMA_INVOCATIONS * FMA_PROBE_FLOPS, options);
  } finally {
    gpu.pool.release(out);
  }
}

/**
 * Peak bandwidth: a vec4 copy between two 32 MiB buffers, counting bytes read and written.
 *
 * @example
 * ```ts
 * const gpu = await acquireGpu();
 * console.log(`${(await measurePeakBandwidth(gpu)) / 1e9} GB/s`);
 * ```
 */
export async function measurePeakBandwidth(
  gpu: Gpu,
  options: PeakOptions = {},
): Promise<number> {
  const src = gpu.pool.acquire(COPY_BYTES);
  const dst = gpu.pool.acquire(COPY_BYTES);
  try {
    const record = (count: number) => recordCopyProbe(gpu, src, dst, count);
    return await bestRate(gpu, record, 2 * COPY_BYTES, options);
  } finally {
    gpu.pool.release(src);
    gpu.pool.release(dst);
  }
}

/**
 * Peak FLOP/s and bandwidth of the device, and the ridge point between them.
 *
 * @example
 * ```ts
 * const gpu = await acquireGpu();
 * const peak = await measurePeak(gpu);
 * console.log(peak.flops / 1e9, peak.bandwidth / 1e9, peak.ridge);
 * ```
 */
export async function measurePeak(gpu: Gpu, options: PeakOptions = {}): Promise<PeakPerformance> {
  const flops = await measurePeakFlops(gpu, options);
  const bandwidth = await measurePeakBandwidth(gpu, options);
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
