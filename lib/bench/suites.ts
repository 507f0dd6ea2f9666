/**
 * The benchmark suites `deno task bench` runs, in order. Add a suite here (see `suite.ts`
 * for the interface) to have it measured, printed and selectable with `--only`.
 *
 * @module
 */
import { attentionSuite } from "./attention_bench.ts";
import { dispatchSuite } from "./dispatch_bench.ts";
import { gptSuite } from "./gpt_bench.ts";
import { layerNormSuite } from "./layernorm_bench.ts";
import { matmulSuite } from "./matmul_bench.ts";
import type { BenchSuite } from "./suite.ts";
import { lecunSuite } from "./lecun_bench.ts";

/** Every suite, in the order they run. */
export const BENCH_SUITES: readonly BenchSuite[] = [
  matmulSuite,
  dispatchSuite,
  layerNormSuite,
  attentionSuite,
  gptSuite,
  lecunSuite,
];
