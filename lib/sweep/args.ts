/**
 * Command-line flags of `deno task sweep`.
 *
 * @module
 */

import { parseShard, type Shard } from "./shard.ts";

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
}

/** The one-line usage. */
export const SWEEP_USAGE = "usage: deno task sweep EXPERIMENT [--out DIR] [--shard I/N] " +
  "[--workers K] [--dry-run] [--retry-failed] [--preset NAME] [--timeout S]";

const VALUE_FLAGS = ["--out", "--shard", "--workers", "--preset", "--timeout"];
const BOOLEAN_FLAGS = ["--dry-run", "--retry-failed", "--help", "-h"];

/**
 * Parses the sweep command's arguments (`--flag value` or `--flag=value`); throws a one-line
 * error naming the bad flag or value.
 *
 * @example
 * ```ts
 * import { parseSweepArgs } from "./args.ts";
 * parseSweepArgs(["quadratic", "--shard", "1/4", "--workers=2"]).shard; // { index: 1, count: 4 }
 * ```
 */
export function parseSweepArgs(args: string[]): SweepArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (BOOLEAN_FLAGS.includes(name)) {
      if (eq !== -1) throw new Error(`${name} takes no value`);
      flags.add(name);
    } else if (VALUE_FLAGS.includes(name)) {
      const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
      if (value === undefined || value === "" || (eq === -1 && value.startsWith("--"))) {
        throw new Error(`${name} needs a value`);
      }
      if (values.has(name)) throw new Error(`${name} given more than once`);
      values.set(name, value);
    } else {
      throw new Error(`unknown flag ${name}; ${SWEEP_USAGE}`);
    }
  }
  const help = flags.has("--help") || flags.has("-h");
  if (!help && positional.length !== 1) {
    throw new Error(
      positional.length === 0
        ? `missing EXPERIMENT (a name in experiments/ or a path); ${SWEEP_USAGE}`
        : `expected one EXPERIMENT, got ${positional.length}: ${positional.join(" ")}`,
    );
  }
  const workers = values.has("--workers") ? Number(values.get("--workers")) : 1;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new Error(`bad --workers "${values.get("--workers")}": expected a positive integer`);
  }
  const timeout = values.has("--timeout") ? Number(values.get("--timeout")) : undefined;
  if (timeout !== undefined && !(timeout > 0 && Number.isFinite(timeout))) {
    throw new Error(`bad --timeout "${values.get("--timeout")}": expected seconds > 0`);
  }
  const shardText = values.get("--shard");
  return {
    help,
    experiment: positional[0] ?? "",
    out: values.get("--out"),
    shard: shardText === undefined ? undefined : parseShard(shardText),
    workers,
    dryRun: flags.has("--dry-run"),
    retryFailed: flags.has("--retry-failed"),
    preset: values.get("--preset"),
    timeout,
  };
}
