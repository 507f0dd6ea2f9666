/**
 * `deno task bench [--json] [--only SUITE,...] [--no-reference]`: kernel benchmarks on the
 * current WebGPU adapter.
 *
 * Prints the adapter, then one row per measurement as it completes: matmul GFLOP/s (square
 * 256 to 2048, 4096 on a GPU, and a transformer MLP layer's three products) beside PyTorch or
 * NumPy measured in the same command when python3 has one, per-dispatch overhead, LayerNorm
 * GB/s and fused attention forward + backward. Times are medians of repeats, each repeat a
 * calibrated number of iterations between two `gpu.sync()` calls. With `--json`, one JSON
 * object per line, each with at least `name`, `ms` and `adapter`.
 *
 * Exit status: 0 when every suite ran; 1 when a suite failed (reported on stderr, the others
 * still run) or there is no adapter; 2 for bad usage.
 *
 * @module
 */
import { BENCH_USAGE, parseBenchArgs } from "./bench_args.ts";
import { matmulProblems } from "../bench/matmul_bench.ts";
import { measureReference, type ReferenceTimings, shapeKey } from "../bench/reference.ts";
import { jsonLine, tableHeader, tableRow } from "../bench/report.ts";
import { BENCH_SUITES } from "../bench/suites.ts";
import { acquireGpu } from "../gpu/device.ts";
import { isCpuAdapter } from "../gpu/adapter.ts";
import { prepareGpuEnvironment } from "./gpu_environment.ts";

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
}

/**
 * Runs the bench command and returns its exit status (bad flags throw a one-line error).
 *
 * @example
 * ```ts
 * const status = await benchCommand(["--only", "dispatch", "--json"]);
 * ```
 */
export async function benchCommand(args: string[]): Promise<number> {
  const suiteNames = BENCH_SUITES.map((s) => s.name);
  const parsed = parseBenchArgs(args, suiteNames);
  if (parsed.help) {
    console.log(BENCH_USAGE);
    for (const s of BENCH_SUITES) console.log(`  ${s.name.padEnd(10)} ${s.description}`);
    return 0;
  }
  const suites = BENCH_SUITES.filter((s) => !parsed.only || parsed.only.includes(s.name));
  let gpu;
  try {
    prepareGpuEnvironment();
    gpu = await acquireGpu();
  } catch (error) {
    console.error(`error: ${firstLine(error)}`);
    return 1;
  }
  const adapter = gpu.adapterName;
  const cpu = isCpuAdapter(adapter);
  const print = (line: string) => console.log(line);

  let reference: ReferenceTimings | null = null;
  const runsMatmul = suites.some((s) => s.name === "matmul");
  let referenceNote = runsMatmul ? "not measured (--no-reference)" : "not needed (no matmul suite)";
  if (parsed.reference && runsMatmul) {
    const problems = matmulProblems(cpu);
    const measured = await measureReference(problems, !cpu);
    if ("library" in measured) {
      reference = measured;
      referenceNote = `${measured.library} on ${measured.device}`;
      if (parsed.json) {
        for (const p of problems) {
          const ms = measured.ms.get(shapeKey(p));
          if (ms === undefined) continue;
          const gflops = (2 * p.m * p.n * p.k) / ms / 1e6;
          print(JSON.stringify({
            name: "matmul_reference",
            ms,
            adapter,
            case: `${p.label} ${p.layout}`,
            m: p.m,
            n: p.n,
            k: p.k,
            layout: p.layout,
            family: p.family,
            gflops,
            library: measured.library,
            device: measured.device,
          }));
        }
      }
    } else referenceNote = `none (${measured.reason})`;
  }
  if (!parsed.json) {
    print(`adapter: ${adapter}`);
    print(`reference: ${referenceNote}`);
    print("");
    for (const line of tableHeader()) print(line);
  }
  let failed = 0;
  for (const suite of suites) {
    try {
      for await (const row of suite.run({ gpu, cpu, reference })) {
        print(parsed.json ? jsonLine(row, adapter) : tableRow(row));
      }
    } catch (error) {
      failed++;
      console.error(`error: suite ${suite.name} failed: ${firstLine(error)}`);
    }
  }
  return failed > 0 ? 1 : 0;
}

if (import.meta.main) {
  let status: number;
  try {
    status = await benchCommand(Deno.args);
  } catch (error) {
    console.error(`error: ${firstLine(error)}`);
    status = 2;
  }
  Deno.exit(status);
}
