/**
 * Command-line flags of `deno task sweep`, parsed with the shared `parseArgs` wrapper.
 *
 * @module
 */

import { integerFlag, numberFlag, parseCommandLine, UsageError } from "./args.ts";
import { MAX_TIMEOUT_SECONDS } from "../sweep/define.ts";
import { parseShard, type Shard } from "../sweep/shard.ts";

/** The parsed command line. */
export interface SweepArgs {
  help: boolean;
  experiment: string;
  out?: string;
  shard?: Shard;
  workers: number;
  dryRun: boolean;
  retryFailed: boolean;
  preset?: string;
  timeout?: number;
  /** `--axis name=v1,v2`: the grid narrowed to these values (as typed). */
  axes?: Record<string, string[]>;
  /** `--heap MB`: V8 heap limit of each trial process. */
  heapMb?: number;
}

/** The one-line usage. */
export const SWEEP_USAGE =
  "usage: deno task sweep EXPERIMENT [--preset NAME] [--axis NAME=V1,V2] " +
  "[--out DIR] [--shard I/N] [--workers K] [--timeout S] [--heap MB] [--retry-failed] [--dry-run]";

/** The options part of `--help` (the command adds the experiments and presets it finds). */
export const SWEEP_OPTIONS =
  `Runs or resumes a grid sweep: one trial file per trial in DIR/trials/, then summary.csv,
summary.arrow and history.csv, and the experiment's fits and plots once the whole grid is done.

  EXPERIMENT          a name in experiments/ (experiments/NAME.ts) or a path to a .ts file
  --preset NAME       replace axis lists by the experiment's preset NAME
  --axis NAME=V1,V2   run only trials whose axis NAME is one of the values (repeatable); trial
                      ids stay those of the full grid, the narrowing is kept in each record
  --out DIR           results directory (default results/EXPERIMENT); inside results/ or out/,
                      or see "Permissions" in the README for a directory elsewhere
  --shard I/N         run share I of N (0 <= I < N): Slurm array tasks, Kubernetes Indexed Jobs
  --workers K         trials (or packs) running at once, each in a process of its own (default 1)
  --timeout S         per-trial time limit in seconds (at most ${MAX_TIMEOUT_SECONDS}); a trial past it is
                      killed and recorded failed
  --heap MB           JavaScript heap limit of each trial process (default: V8's)
  --retry-failed      run failed trials again (diverged ones are results and are kept)
  --dry-run           list the trials with their ids and status; run and write nothing
  --help, -h          print this text

Ctrl-C once: finish running trials, start no new ones. Twice, or SIGTERM: abandon running
trials unrecorded (they rerun next time). Rerun the same command to resume.`;

/**
 * Parses the sweep command's arguments (`--flag value` or `--flag=value`); throws a one-line
 * {@link UsageError} naming the bad flag or value.
 *
 * @example
 * ```ts
 * import { parseSweepArgs } from "./sweep_args.ts";
 * parseSweepArgs(["quadratic", "--shard", "1/4", "--workers=2"]).shard; // { index: 1, count: 4 }
 * ```
 */
export function parseSweepArgs(args: readonly string[]): SweepArgs {
  const { values, positionals } = parseCommandLine(args, {
    options: {
      out: { type: "string" },
      shard: { type: "string" },
      workers: { type: "string" },
      preset: { type: "string" },
      timeout: { type: "string" },
      axis: { type: "string", multiple: true },
      heap: { type: "string" },
      "dry-run": { type: "boolean" },
      "retry-failed": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    usage: SWEEP_USAGE,
    positionals: { max: Infinity },
  });
  const help = values.help === true;
  if (!help && positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? `missing EXPERIMENT (a name in experiments/ or a path); ${SWEEP_USAGE}`
        : `expected one EXPERIMENT, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  }
  return {
    help,
    experiment: positionals[0] ?? "",
    out: values.out,
    shard: values.shard === undefined ? undefined : parseShard(values.shard),
    workers: integerFlag("workers", values.workers, { min: 1, max: 1024, fallback: 1 }),
    dryRun: values["dry-run"] === true,
    retryFailed: values["retry-failed"] === true,
    preset: values.preset,
    timeout: values.timeout === undefined
      ? undefined
      : numberFlag("timeout", values.timeout, { above: 0, max: MAX_TIMEOUT_SECONDS }),
    axes: values.axis === undefined ? undefined : parseAxes(values.axis),
    heapMb: values.heap === undefined
      ? undefined
      : integerFlag("heap", values.heap, { min: 64, max: 1_048_576 }),
  };
}

/** `NAME=V1,V2` items into a map (values split at top-level commas, so JSON values work). */
function parseAxes(items: readonly string[]): Record<string, string[]> {
  const axes: Record<string, string[]> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    const name = item.slice(0, eq);
    const values = eq === -1 ? [] : splitTopLevel(item.slice(eq + 1));
    if (eq <= 0 || values.length === 0 || values.some((v) => v === "")) {
      throw new UsageError(
        `bad --axis "${item}": expected NAME=V1,V2 (values of that axis, e.g. --axis lr=0.01,0.1)`,
      );
    }
    if (Object.hasOwn(axes, name)) throw new UsageError(`--axis ${name} given more than once`);
    axes[name] = values;
  }
  return axes;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === "\\") {
      current += c + (text[++i] ?? "");
      continue;
    }
    if (quoted) {
      if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      parts.push(current);
      current = "";
      continue;
    }
    current += c;
  }
  parts.push(current);
  return parts;
}
