/**
 * `deno task sweep EXPERIMENT [--preset NAME] [--axis NAME=V1,V2] [--out DIR] [--shard I/N]
 * [--workers K] [--timeout S] [--heap MB] [--retry-failed] [--dry-run]`: runs or resumes a
 * sweep, each worker slot's trials in a deno process of its own (started with
 * `--allow-read --allow-env --allow-write=<results dir>` only), so a trial that hangs, crashes
 * or runs out of memory is killed and recorded, and the sweep goes on.
 *
 * Progress goes to stdout (a live line on a terminal, one JSON object per line otherwise; a
 * closed stdout ends the progress, not the sweep); warnings, the final summary and errors go
 * to stderr.
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

import { prepareGpuEnvironment, readAdapterLimits } from "./gpu_environment.ts";
import { denoExecutable, prepareOutput, realLocation, ROOT } from "./sandbox.ts";
import { parseSweepArgs, SWEEP_OPTIONS, SWEEP_USAGE, type SweepArgs } from "./sweep_args.ts";
import type { Sweep } from "../sweep/define.ts";
import { firstLine } from "../sweep/errors.ts";
import { experimentPath, loadExperiment } from "../sweep/experiment.ts";
import type { IsolateCommand } from "../sweep/isolate.ts";
import { fileUrl, joinPath } from "../io/paths.ts";
import { planTrials } from "../sweep/plan.ts";
import { describeConfig } from "../sweep/progress.ts";
import { defaultResultsDir, runSweep, type SweepOutcome } from "../sweep/runner.ts";
import { formatStatus, sweepStatus } from "../sweep/status.ts";

/** The module each trial process runs. */
const ISOLATE_MODULE = joinPath(ROOT, "lib/cli/sweep_isolate.ts");

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
    console.log(await sweepHelp());
    return 0;
  }
  const sweep = await loadExperiment(parsed.experiment);
  const plan = { preset: parsed.preset, axes: parsed.axes, shard: parsed.shard };
  if (parsed.dryRun) {
    console.log(formatStatus(await sweepStatus(sweep, { ...plan, out: parsed.out })));
    return 0;
  }
  await planTrials(sweep, plan); // a bad preset or --axis is one line before anything is written
  const out = parsed.out ?? defaultResultsDir(sweep);
  prepareOutput(out, { flag: "--out", task: "sweep", kind: "dir" });
  prepareGpuEnvironment();
  const isolate = isolateCommand(parsed, out);

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
      ...plan,
      out,
      workers: parsed.workers,
      retryFailed: parsed.retryFailed,
      timeout: parsed.timeout,
      isolate,
      stop: stop.signal,
      abandon: abandon.signal,
      adapterLimits: sweep.pack?.capacity ? readAdapterLimits : undefined,
    });
    console.error(describeOutcome(outcome));
    if (outcome.interrupted) return signalExit;
    if (
      !parsed.shard && outcome.planComplete &&
      !(await analyzeIfDefined(parsed.experiment, outcome.out, sweep, parsed.preset))
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
 * The trial processes' command line: this deno, reading anywhere, writing only the results
 * directory, no prompts, no other permission.
 */
function isolateCommand(parsed: SweepArgs, out: string): IsolateCommand {
  return {
    command: denoExecutable(),
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-env",
      `--allow-write=${realLocation(out)}`,
      ...(parsed.heapMb ? [`--v8-flags=--max-old-space-size=${parsed.heapMb}`] : []),
      ISOLATE_MODULE,
      experimentPath(parsed.experiment),
    ],
    heapMb: parsed.heapMb,
  };
}

/**
 * After a complete plan (not a shard), runs the experiment file's optional
 * `export const analyze = (dir, plan) => report` (fits and plots written into the results
 * directory; `plan` is `{ sweep, preset }`, for `loadPlanRecords`) and prints its `lines`;
 * returns false when the analysis failed.
 */
async function analyzeIfDefined(
  experiment: string,
  out: string,
  sweep: Sweep,
  preset: string | undefined,
): Promise<boolean> {
  const module = await import(fileUrl(experimentPath(experiment)).href);
  if (typeof module.analyze !== "function") return true;
  try {
    const report = await module.analyze(out, { sweep, preset });
    for (const line of report?.lines ?? []) console.error(line);
    return true;
  } catch (error) {
    console.error(`error: analysis of ${out} failed: ${firstLine(error)}`);
    return false;
  }
}

/**
 * `--help`: the usage, every option, and the experiments found in experiments/ with their
 * presets and trial counts.
 *
 * @example
 * ```ts
 * import { sweepHelp } from "./sweep.ts";
 * console.log(await sweepHelp());
 * ```
 */
export async function sweepHelp(): Promise<string> {
  const lines = [SWEEP_USAGE, "", SWEEP_OPTIONS, "", "experiments (experiments/NAME.ts):"];
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(joinPath(ROOT, "experiments"))) {
      if (entry.isFile && entry.name.endsWith(".ts")) names.push(entry.name.slice(0, -3));
    }
  } catch {
    // No experiments folder: nothing to list.
  }
  for (const name of names.sort()) {
    try {
      const sweep = await loadExperiment(name, ROOT);
      const trials = (await planTrials(sweep)).length;
      const presets = await Promise.all(
        Object.keys(sweep.presets).map(async (preset) =>
          `${preset} (${(await planTrials(sweep, { preset })).length})`
        ),
      );
      lines.push(
        `  ${name.padEnd(20)} v${sweep.version}, ${trials} trials; presets: ${
          presets.join(", ") || "none"
        }`,
      );
    } catch (error) {
      lines.push(`  ${name.padEnd(20)} (cannot load: ${firstLine(error)})`);
    }
  }
  return lines.join("\n");
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
