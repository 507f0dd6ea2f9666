/**
 * Command-line flags of `deno task bench`.
 *
 * @module
 */

/** The parsed command line. */
export interface BenchArgs {
  help: boolean;
  /** One JSON object per line instead of a table. */
  json: boolean;
  /** Suites to run (all when undefined). */
  only?: string[];
  /** Skip the PyTorch/NumPy reference. */
  reference: boolean;
}

/** The one-line usage. */
export const BENCH_USAGE = "usage: deno task bench [--json] [--only SUITE,...] [--no-reference]";

/**
 * Parses the bench command's arguments; `suites` are the names `--only` accepts. Throws a
 * one-line error naming the bad flag or value.
 *
 * @example
 * ```ts
 * parseBenchArgs(["--json", "--only=matmul"], ["matmul", "dispatch"]).only; // ["matmul"]
 * ```
 */
export function parseBenchArgs(args: readonly string[], suites: readonly string[]): BenchArgs {
  const parsed: BenchArgs = { help: false, json: false, reference: true };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (name === "--only") {
      const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
      if (value === undefined || value === "" || value.startsWith("--")) {
        throw new Error(`--only needs a comma-separated list of suites (${suites.join(", ")})`);
      }
      const names = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
      const unknown = names.filter((s) => !suites.includes(s));
      if (unknown.length > 0 || names.length === 0) {
        throw new Error(
          `--only: unknown suite "${unknown[0] ?? value}", expected some of ${suites.join(", ")}`,
        );
      }
      parsed.only = names;
      continue;
    }
    if (eq !== -1 && ["--json", "--no-reference", "--help", "-h"].includes(name)) {
      throw new Error(`${name} takes no value`);
    }
    if (arg === "--json") parsed.json = true;
    else if (arg === "--no-reference") parsed.reference = false;
    else if (arg === "--help" || arg === "-h") parsed.help = true;
    else if (arg.startsWith("-")) {
      throw new Error(`unknown flag ${name} (${BENCH_USAGE.replace("usage: ", "")})`);
    } else throw new Error(`unexpected argument "${arg}" (${BENCH_USAGE.replace("usage: ", "")})`);
  }
  return parsed;
}
