/**
 * A sweep's trial process: `deno run --no-prompt --allow-read --allow-env --allow-write=OUT
 * lib/cli/sweep_isolate.ts EXPERIMENT`, started by `deno task sweep` once per worker slot. It
 * loads the experiment and serves the trials the sweep sends it (see lib/sweep/isolate.ts) on
 * the shared WebGPU device, until its stdin closes.
 *
 * @module
 */
import { prepareGpuEnvironment } from "./gpu_environment.ts";
import { acquireGpu } from "../gpu/device.ts";
import { loadExperiment } from "../sweep/experiment.ts";
import { serveIsolate } from "../sweep/isolate.ts";

if (import.meta.main) {
  prepareGpuEnvironment();
  await serveIsolate(() => loadExperiment(Deno.args[0]), {
    acquireDevice: acquireGpu,
    describeAdapter: async () => (await acquireGpu()).adapterName,
  });
}
