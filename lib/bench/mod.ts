/**
 * Kernel benchmarks on the current WebGPU adapter (`deno task bench`): timing by median of
 * calibrated repeats, the suite registry, and the optional PyTorch/NumPy matmul reference.
 *
 * @example
 * ```ts
 * import { acquireGpu } from "../gpu/mod.ts";
 * import { isCpuAdapter } from "../gpu/adapter.ts";
 * import { BENCH_SUITES } from "./mod.ts";
 * const gpu = await acquireGpu();
 * const cpu = isCpuAdapter(gpu.adapterName);
 * for (const suite of BENCH_SUITES) {
 *   for await (const row of suite.run({ gpu, cpu, reference: null })) console.log(row);
 * }
 * ```
 *
 * @module
 */
export { attentionSuite } from "./attention_bench.ts";
export { dispatchSuite } from "./dispatch_bench.ts";
export { type GptBenchShape, gptRunShapes, makeGptSuite } from "./gpt_bench.ts";
export { layerNormSuite } from "./layernorm_bench.ts";
export { type MatmulProblem, matmulProblems, matmulSuite } from "./matmul_bench.ts";
export {
  type MatmulLayout,
  type MatmulShape,
  measureReference,
  type NoReference,
  type ReferenceTimings,
  shapeKey,
} from "./reference.ts";
export { formatNumber as formatBenchNumber, jsonLine, tableHeader, tableRow } from "./report.ts";
export type { BenchContext, BenchResult, BenchSuite } from "./suite.ts";
export { BENCH_SUITES } from "./suites.ts";
export {
  measurePeak,
  measurePeakBandwidth,
  measurePeakFlops,
  type PeakOptions,
  type PeakPerformance,
  type RooflinePoint,
  rooflinePoint,
} from "./peak.ts";
export { measure, median, type Timing, type TimingOptions } from "./timing.ts";
