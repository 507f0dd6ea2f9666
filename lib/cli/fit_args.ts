/**
 * Flags of `deno task fit`, parsed and checked into a {@link FitArgs}; every mistake is a
 * {@link FitUsageError} with a one-line message.
 *
 * @module
 */

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

/** A usage mistake: unknown flag, missing value, bad number. */
export class FitUsageError extends Error {}

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

const VALUE_FLAGS = [
  "law",
  "n",
  "d",
  "c",
  "loss",
  "x",
  "y",
  "exclude-top",
  "bootstrap",
  "seed",
  "level",
  "budgets",
  "tolerance",
  "plot",
];
const SWITCHES = ["irreducible", "json", "help"];

function integerFlag(flag: string, text: string, low: number, high = Number.MAX_SAFE_INTEGER) {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < low || value > high) {
    throw new FitUsageError(`--${flag} must be an integer from ${low} to ${high}, got "${text}"`);
  }
  return value;
}

function numberFlag(flag: string, text: string, check: (v: number) => boolean, expected: string) {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || !check(value)) {
    throw new FitUsageError(`--${flag} must be ${expected}, got "${text}"`);
  }
  return value;
}

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
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (SWITCHES.includes(name)) {
      if (inline !== undefined) throw new FitUsageError(`--${name} takes no value`);
      switches.add(name);
    } else if (VALUE_FLAGS.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new FitUsageError(`--${name} needs a value`);
      if (values.has(name)) throw new FitUsageError(`--${name} given twice`);
      values.set(name, value);
    } else {
      throw new FitUsageError(`unknown flag ${arg}; run with --help for the flags`);
    }
  }
  const help = switches.has("help");
  if (help) return { ...defaults(), help, table: "", law: "power" };
  if (positional.length !== 1) {
    throw new FitUsageError(
      positional.length === 0
        ? "give the table to fit: deno task fit TABLE.csv --law chinchilla|kaplan|power|isoflop"
        : `expected one table, got ${positional.length}: ${positional.join(" ")}`,
    );
  }
  const law = values.get("law");
  if (law === undefined) throw new FitUsageError(`--law is required: ${FIT_LAWS.join(", ")}`);
  if (!(FIT_LAWS as readonly string[]).includes(law)) {
    throw new FitUsageError(`unknown --law "${law}"; expected one of ${FIT_LAWS.join(", ")}`);
  }
  const parsed: FitArgs = {
    ...defaults(),
    table: positional[0],
    law: law as FitLawName,
    n: values.get("n"),
    d: values.get("d"),
    c: values.get("c"),
    x: values.get("x"),
    y: values.get("y"),
    plot: values.get("plot"),
    irreducible: switches.has("irreducible"),
    json: switches.has("json"),
  };
  const loss = values.get("loss");
  if (loss !== undefined) parsed.loss = loss;
  const text = (flag: string) => values.get(flag) ?? "";
  if (values.has("exclude-top")) {
    parsed.excludeTop = integerFlag("exclude-top", text("exclude-top"), 0);
  }
  if (values.has("bootstrap")) {
    parsed.bootstrap = integerFlag("bootstrap", text("bootstrap"), 2, 1e6);
  }
  if (values.has("seed")) parsed.seed = integerFlag("seed", text("seed"), 0, 2 ** 32 - 1);
  if (values.has("level")) {
    parsed.level = numberFlag("level", text("level"), (v) => v > 0 && v < 1, "in (0, 1)");
  }
  if (values.has("tolerance")) {
    parsed.tolerance = numberFlag("tolerance", text("tolerance"), (v) => v > 0, "positive");
  }
  if (values.has("budgets")) {
    parsed.budgets = text("budgets").split(",").map((part) =>
      numberFlag("budgets", part, (v) => v > 0, "a comma-separated list of positive FLOPs")
    );
  }
  if (parsed.plot !== undefined && !parsed.plot.endsWith(".vl.json")) {
    throw new FitUsageError(`--plot file must end in .vl.json, got "${parsed.plot}"`);
  }
  checkLawFlags(parsed, values);
  return parsed;
}

function defaults() {
  return {
    loss: "loss",
    irreducible: false,
    excludeTop: 0,
    seed: 0,
    level: 0.95,
    tolerance: 0.05,
    json: false,
    help: false,
  };
}

function checkLawFlags(args: FitArgs, values: Map<string, string>): void {
  const given = (flags: string[]) => flags.filter((flag) => values.has(flag));
  const forbid = (flags: string[], why: string) => {
    const wrong = given(flags);
    if (wrong.length > 0) throw new FitUsageError(`--${wrong[0]} ${why}`);
  };
  if (args.law === "power") {
    if (!args.x || !args.y) throw new FitUsageError("--law power needs --x COL and --y COL");
    forbid(
      ["n", "d", "c", "loss"],
      "is for chinchilla/kaplan/isoflop; the power law uses --x and --y",
    );
  } else {
    forbid(["x", "y"], `is for --law power; --law ${args.law} uses --n, --d or --c, and --loss`);
    if (args.irreducible) throw new FitUsageError("--irreducible is for --law power");
    if (args.d && args.c) throw new FitUsageError("give --d or --c, not both");
    if (args.c && !args.n) throw new FitUsageError("--c needs --n (D is derived as C/(6N))");
  }
  if (args.law === "chinchilla" && !(args.n && (args.d || args.c))) {
    throw new FitUsageError("--law chinchilla needs --n COL and --d COL (or --c COL)");
  }
  if (args.law === "kaplan" && !args.n && !args.d) {
    throw new FitUsageError("--law kaplan needs --n COL, --d COL, or both");
  }
  if (args.law === "isoflop") {
    if (!(args.n && (args.c || args.d))) {
      throw new FitUsageError("--law isoflop needs --n COL and --c COL (or --d COL)");
    }
  } else {
    forbid(["budgets", "tolerance"], "is for --law isoflop");
  }
}
