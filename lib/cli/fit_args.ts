/**
 * Flags of `deno task fit`, parsed (node:util `parseArgs` through the shared wrapper) and
 * checked into a {@link FitArgs}; every mistake is a {@link UsageError} with a one-line message.
 *
 * @module
 */
import { choiceFlag, integerFlag, numberFlag, parseCommandLine, UsageError } from "./args.ts";

/** The laws `deno task fit` knows. */
export const FIT_LAWS = ["chinchilla", "kaplan", "power", "isoflop"] as const;

/** One of {@link FIT_LAWS}. */
export type FitLawName = typeof FIT_LAWS[number];

/** Usage text of `deno task fit`. */
export const FIT_USAGE =
  `usage: deno task fit TABLE.csv --law chinchilla|kaplan|power|isoflop [options]

Fits a scaling law to a results table (CSV with a header row).

columns
  --n COL            parameters N (chinchilla, kaplan, isoflop)
  --d COL            training tokens D
  --c COL            training compute C in FLOPs; D = C/(6N) when --d is absent
  --loss COL         loss (default "loss")
  --x COL, --y COL   power law y = a*x^(-b) [+ c]
laws
  chinchilla         L = E + A/N^alpha + B/D^beta (Huber delta 1e-3 on log residuals, 4500-start grid)
  kaplan             L(N) with --n, L(D) with --d, L(N, D) with both
  power              y = a*x^(-b); --irreducible adds a constant c
  isoflop            Chinchilla approach 2: parabola minima per compute budget
options
  --exclude-top K    drop the K rows with the highest loss (or y) before fitting
  --bootstrap N      percentile intervals from N resamples; --seed S (default 0), --level P (default 0.95)
  --budgets LIST     isoflop: nominal budgets in FLOPs, comma-separated (default: cluster by compute)
  --tolerance DEX    isoflop: grouping distance in decades of compute (default 0.05)
  --plot FILE        write a Vega-Lite spec of the fit (FILE ends in .vl.json; render with deno task plots)
  --json             print one JSON document instead of text
  --help             print this text`;

/** The parsed command line. */
export interface FitArgs {
  /** CSV file to fit. */
  table: string;
  /** Law to fit. */
  law: FitLawName;
  /** Column of N. */
  n?: string;
  /** Column of D. */
  d?: string;
  /** Column of C. */
  c?: string;
  /** Column of the loss. */
  loss: string;
  /** Power-law x column. */
  x?: string;
  /** Power-law y column. */
  y?: string;
  /** Fit an irreducible term (power). */
  irreducible: boolean;
  /** Rows with the highest loss to drop. */
  excludeTop: number;
  /** Bootstrap resamples (absent: no intervals). */
  bootstrap?: number;
  /** Bootstrap seed. */
  seed: number;
  /** Bootstrap interval coverage. */
  level: number;
  /** IsoFLOP nominal budgets. */
  budgets?: number[];
  /** IsoFLOP grouping distance (decades). */
  tolerance: number;
  /** Where to write a Vega-Lite spec. */
  plot?: string;
  /** Print JSON. */
  json: boolean;
  /** Print usage and stop. */
  help: boolean;
}

/** The flags: every one but the switches takes a value. */
const OPTIONS = {
  law: { type: "string" },
  n: { type: "string" },
  d: { type: "string" },
  c: { type: "string" },
  loss: { type: "string" },
  x: { type: "string" },
  y: { type: "string" },
  "exclude-top": { type: "string" },
  bootstrap: { type: "string" },
  seed: { type: "string" },
  level: { type: "string" },
  budgets: { type: "string" },
  tolerance: { type: "string" },
  plot: { type: "string" },
  irreducible: { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean" },
} as const;

/**
 * Parses `deno task fit` arguments.
 *
 * @example
 * ```ts
 * const args = parseFitArgs(["runs.csv", "--law", "power", "--x", "flops", "--y", "loss"]);
 * args.law; // "power"
 * ```
 */
export function parseFitArgs(argv: readonly string[]): FitArgs {
  const { values, positionals } = parseCommandLine(argv, {
    options: OPTIONS,
    usage: FIT_USAGE.split("\n")[0],
    hint: "; run with --help for the flags",
    positionals: { max: Infinity },
  });
  const defaults = {
    loss: "loss",
    irreducible: false,
    excludeTop: 0,
    seed: 0,
    level: 0.95,
    tolerance: 0.05,
    json: false,
    help: false,
  };
  if (values.help) return { ...defaults, help: true, table: "", law: "power" };
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? "give the table to fit: deno task fit TABLE.csv --law chinchilla|kaplan|power|isoflop"
        : `expected one table, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  }
  const parsed: FitArgs = {
    ...defaults,
    table: positionals[0],
    law: choiceFlag("law", values.law, FIT_LAWS),
    n: values.n,
    d: values.d,
    c: values.c,
    x: values.x,
    y: values.y,
    plot: values.plot,
    loss: values.loss ?? defaults.loss,
    irreducible: values.irreducible === true,
    json: values.json === true,
    excludeTop: integerFlag("exclude-top", values["exclude-top"], { min: 0, fallback: 0 }),
    seed: integerFlag("seed", values.seed, { min: 0, max: 2 ** 32 - 1, fallback: 0 }),
    level: numberFlag("level", values.level, { above: 0, below: 1, fallback: 0.95 }),
    tolerance: numberFlag("tolerance", values.tolerance, { above: 0, fallback: 0.05 }),
  };
  if (values.bootstrap !== undefined) {
    parsed.bootstrap = integerFlag("bootstrap", values.bootstrap, { min: 2, max: 1e6 });
  }
  if (values.budgets !== undefined) {
    parsed.budgets = values.budgets.split(",").map((part) =>
      numberFlag("budgets", part, { above: 0 })
    );
  }
  if (parsed.plot !== undefined && !parsed.plot.endsWith(".vl.json")) {
    throw new UsageError(`--plot file must end in .vl.json, got "${parsed.plot}"`);
  }
  const given = Object.entries(values).filter(([, value]) => value !== undefined);
  checkLawFlags(parsed, new Set(given.map(([flag]) => flag)));
  return parsed;
}

function checkLawFlags(args: FitArgs, present: ReadonlySet<string>): void {
  const given = (flags: string[]) => flags.filter((flag) => present.has(flag));
  const forbid = (flags: string[], why: string) => {
    const wrong = given(flags);
    if (wrong.length > 0) throw new UsageError(`--${wrong[0]} ${why}`);
  };
  if (args.law === "power") {
    if (!args.x || !args.y) throw new UsageError("--law power needs --x COL and --y COL");
    forbid(
      ["n", "d", "c", "loss"],
      "is for chinchilla/kaplan/isoflop; the power law uses --x and --y",
    );
  } else {
    forbid(["x", "y"], `is for --law power; --law ${args.law} uses --n, --d or --c, and --loss`);
    if (args.irreducible) throw new UsageError("--irreducible is for --law power");
    if (args.d && args.c) throw new UsageError("give --d or --c, not both");
    if (args.c && !args.n) throw new UsageError("--c needs --n (D is derived as C/(6N))");
  }
  if (args.law === "chinchilla" && !(args.n && (args.d || args.c))) {
    throw new UsageError("--law chinchilla needs --n COL and --d COL (or --c COL)");
  }
  if (args.law === "kaplan" && !args.n && !args.d) {
    throw new UsageError("--law kaplan needs --n COL, --d COL, or both");
  }
  if (args.law === "isoflop") {
    if (!(args.n && (args.c || args.d))) {
      throw new UsageError("--law isoflop needs --n COL and --c COL (or --d COL)");
    }
  } else {
    forbid(["budgets", "tolerance"], "is for --law isoflop");
  }
}
