/**
 * `deno task sweep EXPERIMENT [--out DIR] [--shard I/N] [--workers K] [--dry-run]
 * [--retry-failed] [--preset NAME] [--timeout S]`: runs or resumes a sweep.
 *
 * Progress goes to stdout (a live bar on a terminal, one JSON object per line otherwise);
 * warnings, the final summary and errors go to stderr.
 *
 * Exit status: 0 when every trial of this share is ok; 1 when some failed or diverged (listed
 * on stderr); 2 for bad usage or a bad experiment file; 130 after Ctrl-C and 143 after
 * SIGTERM with trials left (rerun the same command to resume).
 *
 * Ctrl-C once: start no new trials, finish and record the running ones. Twice (or SIGTERM,
 * as Slurm and Kubernetes send before killing): abandon the running trials unrecorded, so
 * they rerun next time rather than being recorded as failures they are not.
 *
 * @module
 */

import { acquireGpu } from "../gpu/mod.ts";
import { parseSweepArgs, SWEEP_USAGE } from "../sweep/args.ts";
import { firstLine } from "../sweep/errors.ts";
import { experimentPath, loadExperiment } from "../sweep/experiment.ts";
import { fileUrl } from "../sweep/paths.ts";
import { describeConfig } from "../sweep/progress.ts";
import { runSweep, type SweepOutcome } from "../sweep/runner.ts";
import { formatStatus, sweepStatus } from "../sweep/status.ts";

/**
 * Runs the sweep command and returns its exit status.
 *
 * @example
 * ```ts
 * import { sweepCommand } from "./sweep.ts";
 * const status = await sweepCommand(["example-quadratic", "--dry-run"]);
 * ```
 */
export async function sweepCommand(args: string[]): Promise<number> {
  const parsed = parseSweepArgs(args);
  if (parsed.help) {
    console.log(SWEEP_USAGE);
    return 0;
  }
  const sweep = await loadExperiment(parsed.experiment);
  if (parsed.dryRun) {
    const status = await sweepStatus(sweep, parsed);
    console.log(formatStatus(status));
    return 0;
  }
  const stop = new AbortController();
  const abandon = new AbortController();
  let signalExit = 130;
  // Under `deno task`, one Ctrl-C reaches this process twice within a millisecond (from the
  // terminal and forwarded by the task runner): a repeat counts only after a pause.
  let firstInterrupt = 0;
  const onInterrupt = () => {
    if (!stop.signal.aborted) {
      firstInterrupt = performance.now();
      stop.abort();
    } else if (performance.now() - firstInterrupt > REPEAT_INTERRUPT_MS) abandon.abort();
  };
  const onTerminate = () => {
    signalExit = 143;
    stop.abort();
    abandon.abort();
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", onTerminate);
  try {
    const outcome = await runSweep(sweep, {
      ...parsed,
      stop: stop.signal,
      abandon: abandon.signal,
      acquireDevice: acquireGpu,
      describeAdapter: async () => (await acquireGpu()).adapterName,
    });
    console.error(describeOutcome(outcome));
    if (outcome.interrupted) return signalExit;
    if (
      !parsed.shard && outcome.pending === 0 &&
      !(await analyzeIfDefined(parsed.experiment, outcome.out))
    ) {
      return 1;
    }
    return outcome.problems.length > 0 ? 1 : 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGTERM", onTerminate);
  }
}

/** A second Ctrl-C sooner than this after the first is the same keypress delivered twice. */
const REPEAT_INTERRUPT_MS = 300;

/**
 * After a complete sweep (not a shard), runs the experiment file's optional
 * `export const analyze = (dir) => report` (fits and plots written into the results
 * directory) and prints its `lines`; returns false when the analysis failed.
 */
async function analyzeIfDefined(experiment: string, out: string): Promise<boolean> {
  const module = await import(fileUrl(experimentPath(experiment)).href);
  if (typeof module.analyze !== "function") return true;
  try {
    const report = await module.analyze(out);
    for (const line of report?.lines ?? []) console.error(line);
    return true;
  } catch (error) {
    console.error(`error: analysis of ${out} failed: ${firstLine(error)}`);
    return false;
  }
}

/**
 * The end-of-run summary: counts, then one line per failed or diverged trial.
 *
 * @example
 * ```ts
 * import { describeOutcome } from "./sweep.ts";
 * import { defineSweep, runSweep } from "../sweep/mod.ts";
 * const sweep = defineSweep({ name: "s", version: 1, axes: { x: [1, 2] }, run: () => ({ loss: 0 }) });
 * const outcome = await runSweep(sweep, { out: "out/s", progress: "none" });
 * console.error(describeOutcome(outcome)); // "sweep s: 2 trials: 2 ok, 0 failed, ..."
 * ```
 */
export function describeOutcome(outcome: SweepOutcome): string {
  const lines = [
    `sweep ${outcome.experiment}: ${outcome.total} trials: ${outcome.ok} ok, ` +
    `${outcome.failed} failed, ${outcome.diverged} diverged, ${outcome.pending} not run ` +
    `(${outcome.ran} run now, ${outcome.skipped} already done) in ` +
    `${outcome.wallSeconds.toFixed(1)} s; summary: ${outcome.summaryPath}`,
  ];
  for (const record of outcome.problems) {
    lines.push(
      `  ${record.status.padEnd(8)} ${record.id} ${describeConfig(record.config)}: ${
        record.error?.message ?? ""
      }`,
    );
  }
  if (outcome.problems.some((record) => record.status === "failed")) {
    lines.push("  (rerun with --retry-failed to run failed trials again)");
  }
  if (outcome.interrupted) {
    lines.push(`  interrupted: ${outcome.pending} trials not run; rerun to resume`);
  }
  return lines.join("\n");
}

if (import.meta.main) {
  let status: number;
  try {
    status = await sweepCommand(Deno.args);
  } catch (error) {
    console.error(`error: ${firstLine(error)}`);
    status = 2;
  }
  Deno.exit(status);
}
