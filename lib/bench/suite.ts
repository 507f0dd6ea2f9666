/**
 * What a benchmark suite is and what it reports.
 *
 * @module
 */
import type { Gpu } from "../gpu/runtime.ts";
import type { ReferenceTimings } from "./reference.ts";

/** One measured row. */
export interface BenchResult {
  /** Benchmark family, the JSON `name` (e.g. `matmul`, `dispatch`, `layernorm`). */
  name: string;
  /** What was measured, for the table (e.g. `1024x1024x1024 nn`). */
  label: string;
  /** Median milliseconds per iteration. */
  ms: number;
  /** Throughput for the table, e.g. `{ value: 17.2, unit: "GFLOP/s" }`. */
  rate?: { value: number; unit: string };
  /** Ours divided by the reference library's throughput on the same problem, if measured. */
  ratio?: number;
  /** A short note for the table (e.g. the tiling a matmul ran with). */
  note?: string;
  /** Further fields of the JSON line (e.g. `m`, `n`, `k`, `gflops`). */
  fields: Record<string, number | string>;
}

/** What every suite gets. */
export interface BenchContext {
  gpu: Gpu;
  /** The adapter is a CPU implementation (lavapipe, SwiftShader): problem sizes shrink. */
  cpu: boolean;
  /** Reference timings measured beforehand (PyTorch or NumPy), or null. */
  reference: ReferenceTimings | null;
}

/** A group of benchmarks `deno task bench` runs (select with `--only NAME,...`). */
export interface BenchSuite {
  /** Name used by `--only`. */
  name: string;
  /** One line on what it measures. */
  description: string;
  /** Runs the benchmarks, yielding each row as soon as it is measured. */
  run(context: BenchContext): AsyncIterable<BenchResult>;
}
