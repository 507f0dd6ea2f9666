/**
 * Engine overhead for 1000 no-op trials: planning and ids, one atomic (fsync + rename)
 * trial file each, progress events, and summary.csv. Target: ≤ 5 s per 1000 trials.
 *
 * Run: `deno bench --allow-read --allow-write=/tmp --allow-env --allow-run tests/sweep/overhead_bench.ts`
 *
 * @module
 */

import { JsonLinesProgress, runSweep } from "../../lib/sweep/mod.ts";
import { sweep as noop } from "./fixtures/noop.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Progress is formatted as JSON lines, as in a headless run, then dropped. */
const progress = () => new JsonLinesProgress(() => {});

async function inFreshDir(fn: (out: string) => Promise<void>) {
  const out = await Deno.makeTempDir({ prefix: "sweep-bench-" });
  try {
    await fn(out);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

Deno.bench({
  name: "runSweep: 1000 no-op trials, 1 worker (files + summary)",
  n: 3,
  warmup: 1,
  async fn(b) {
    await inFreshDir(async (out) => {
      b.start();
      const outcome = await runSweep(noop, { out, progress: progress() });
      b.end();
      if (outcome.ok !== 1000) throw new Error(`expected 1000 ok trials, got ${outcome.ok}`);
    });
  },
});

Deno.bench({
  name: "runSweep: 1000 no-op trials, 4 workers",
  n: 3,
  warmup: 1,
  async fn(b) {
    await inFreshDir(async (out) => {
      b.start();
      await runSweep(noop, { out, workers: 4, progress: progress() });
      b.end();
    });
  },
});

Deno.bench({
  name: "runSweep: resume with 1000 finished trials (read, skip, summary)",
  n: 3,
  warmup: 1,
  async fn(b) {
    await inFreshDir(async (out) => {
      await runSweep(noop, { out, progress: "none" });
      b.start();
      await runSweep(noop, { out, progress: progress() });
      b.end();
    });
  },
});

Deno.bench({
  name: "sweep CLI end to end: 1000 no-op trials (process start, JSON lines to a pipe)",
  n: 3,
  warmup: 1,
  async fn(b) {
    await inFreshDir(async (out) => {
      const command = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write=/tmp",
          "--allow-env",
          "--allow-run=git",
          "lib/cli/sweep.ts",
          "tests/sweep/fixtures/noop.ts",
          "--out",
          out,
        ],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      });
      b.start();
      const { code, stderr } = await command.output();
      b.end();
      if (code !== 0) throw new Error(new TextDecoder().decode(stderr));
    });
  },
});
