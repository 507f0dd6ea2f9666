/**
 * Command-line flags of `deno task bench`.
 *
 * @module
 */
import { parseCommandLine, UsageError } from "./args.ts";

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
 * Parses the bench command's arguments (node:util `parseArgs` through the CLIs' shared
 * wrapper); `suites` are the names `--only` accepts. Throws a one-line error naming the bad
 * flag or value.
 *
 * @example
 * ```ts
 * parseBenchArgs(["--json", "--only=matmul"], ["matmul", "dispatch"]).only; // ["matmul"]
 * ```
 */
export function parseBenchArgs(args: readonly string[], suites: readonly string[]): BenchArgs {
  const { values } = parseCommandLine(args, {
    options: {
      json: { type: "boolean" },
      only: { type: "string", needs: `a comma-separated list of suites (${suites.join(", ")})` },
      "no-reference": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    usage: BENCH_USAGE,
    hint: ` (${BENCH_USAGE.replace("usage: ", "")})`,
  });
  const parsed: BenchArgs = {
    help: values.help === true,
    json: values.json === true,
    reference: values["no-reference"] !== true,
  };
  if (values.only !== undefined) {
    const names = values.only.split(",").map((s) => s.trim()).filter((s) => s !== "");
    const unknown = names.filter((s) => !suites.includes(s));
    if (unknown.length > 0 || names.length === 0) {
      throw new UsageError(
        `--only: unknown suite "${unknown[0] ?? values.only}", expected some of ${
          suites.join(", ")
        }`,
      );
    }
    parsed.only = names;
  }
  return parsed;
}
