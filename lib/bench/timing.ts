/**
 * Wall-clock timing of GPU work: warm up, calibrate an iteration count, then time repeats of
 * that many iterations between two `gpu.sync()` calls and report the median.
 *
 * Iterations of one repeat are recorded into one command encoding and submitted together (as
 * a training step is), so a repeat measures what the GPU and our runtime do together.
 *
 * @module
 */
import type { Gpu } from "../gpu/runtime.ts";

/** Options of {@link measure}. */
export interface TimingOptions {
  /** Wall time one repeat should take; sets the iterations per repeat (default 250 ms). */
  targetMs?: number;
  /** Timed repeats; the median is reported (default 5, 3 when one iteration is slow). */
  repeats?: number;
  /** Most iterations per repeat (default 2000). */
  maxIterations?: number;
}

/** What {@link measure} found. */
export interface Timing {
  /** Median milliseconds per iteration. */
  ms: number;
  /** Milliseconds per iteration of every repeat, in order. */
  samples: number[];
  /** Iterations per repeat. */
  iterations: number;
}

/**
 * The median of a non-empty list.
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * median([4, 1, 2, 3]); // 2.5
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median: needs at least one value");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Times `step` (which records GPU work and frees what it allocates, e.g. inside `tidy`).
 * The first call warms up (compiles kernels, fills the buffer pool) and is not timed.
 *
 * @example
 * ```ts
 * const t = await measure(gpu, () => tidy(() => { matmul(a, b); }));
 * console.log(`${t.ms.toFixed(2)} ms`);
 * ```
 */
export async function measure(
  gpu: Gpu,
  step: () => void,
  options: TimingOptions = {},
): Promise<Timing> {
  const targetMs = options.targetMs ?? 250;
  const maxIterations = options.maxIterations ?? 2000;
  step();
  await gpu.sync();
  let start = performance.now();
  step();
  await gpu.sync();
  const once = performance.now() - start;
  const iterations = Math.max(
    1,
    Math.min(maxIterations, Math.round(targetMs / Math.max(once, 1e-3))),
  );
  const repeats = options.repeats ?? (once > 2 * targetMs ? 3 : 5);
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    start = performance.now();
    for (let i = 0; i < iterations; i++) step();
    await gpu.sync();
    samples.push((performance.now() - start) / iterations);
  }
  return { ms: median(samples), samples, iterations };
}
