/**
 * Command-line parsing shared by every `deno task` command: `node:util`'s `parseArgs` (strict:
 * unknown flags and missing values are errors) with its errors turned into one line that names
 * the flag and what is expected, plus checked conversions of flag values.
 *
 * @example
 * ```ts
 * import { integerFlag, parseCommandLine } from "./args.ts";
 * const { values, positionals } = parseCommandLine(["--seeds", "3", "x"], {
 *   options: { seeds: { type: "string" }, json: { type: "boolean" } },
 *   usage: "usage: deno task demo [--seeds N] [--json] NAME",
 *   positionals: { min: 1, max: 1, name: "NAME" },
 * });
 * integerFlag("seeds", values.seeds, { min: 1 }); // 3
 * positionals; // ["x"]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";

/** A usage mistake (bad flag or value); commands print its message and exit with status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** One flag as `parseArgs` takes it, plus how a missing value is described. */
export interface FlagOption {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** What the value is, for "--flag needs ..." (default "a value"). */
  needs?: string;
}

/** What {@link parseCommandLine} needs to know about a command. */
export interface CommandLineSpec<O extends Record<string, FlagOption>> {
  /** The flags, by long name without the leading `--`. */
  options: O;
  /** The one-line usage, appended to errors about unknown flags and arguments. */
  usage: string;
  /** What follows "unknown flag --x" (default `; ` + usage). */
  hint?: string;
  /** How many positional arguments are allowed (default none) and what they are called. */
  positionals?: { min?: number; max?: number; name?: string };
}

/** Values of the parsed flags: strings (or string lists) and booleans, undefined when absent. */
export type FlagValues<O extends Record<string, FlagOption>> = {
  [K in keyof O]?: O[K]["type"] extends "boolean" ? (O[K]["multiple"] extends true ? boolean[]
      : boolean)
    : (O[K]["multiple"] extends true ? string[] : string);
};

/**
 * Parses `args` strictly; throws a {@link UsageError} with one line naming the bad flag, a
 * missing value, a repeated flag or a wrong number of positional arguments.
 *
 * @example
 * ```ts
 * parseCommandLine(["--out=results/x"], {
 *   options: { out: { type: "string" } },
 *   usage: "usage: deno task demo [--out DIR]",
 * }).values.out; // "results/x"
 * ```
 */
export function parseCommandLine<O extends Record<string, FlagOption>>(
  args: readonly string[],
  spec: CommandLineSpec<O>,
): { values: FlagValues<O>; positionals: string[] } {
  const counts = new Map<string, number>();
  for (const arg of args) {
    if (!arg.startsWith("--") || arg === "--") continue;
    const name = arg.slice(2).split("=")[0];
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  for (const [name, count] of counts) {
    const option = spec.options[name];
    if (option && !option.multiple && count > 1) {
      throw new UsageError(`--${name} given more than once`);
    }
  }
  // `--flag -3` is joined into `--flag=-3`: parseArgs would call a value starting with "-"
  // ambiguous, but a negative number is a value (and is then checked as one).
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) {
      joined.push(arg);
      continue;
    }
    const [name, ...rest] = arg.slice(2).split("=");
    const option = spec.options[name];
    if (option?.type === "boolean" && rest.length > 0) {
      throw new UsageError(`--${name} takes no value`);
    }
    if (option?.type === "string") {
      const value = rest.length > 0 ? rest.join("=") : args[i + 1];
      if (value === undefined || value === "" || (rest.length === 0 && value.startsWith("--"))) {
        throw new UsageError(`--${name} needs ${option.needs ?? "a value"}`);
      }
      if (rest.length === 0 && value.startsWith("-")) {
        joined.push(`--${name}=${value}`);
        i++;
        continue;
      }
    }
    joined.push(arg);
  }
  const options = Object.fromEntries(
    Object.entries(spec.options).map(([name, { needs: _needs, ...option }]) => [name, option]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: joined, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(describeParseError(error, spec.hint ?? `; ${spec.usage}`));
  }
  const { min = 0, max = 0, name = "argument" } = spec.positionals ?? {};
  const positionals = parsed.positionals;
  if (positionals.length < min) {
    throw new UsageError(`missing ${name}; ${spec.usage}`);
  }
  if (positionals.length > max) {
    const extra = positionals.slice(max).join(" ");
    throw new UsageError(
      max === 0
        ? `unexpected argument "${extra}"; ${spec.usage}`
        : `expected at most ${max} ${name}, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  }
  return { values: parsed.values as FlagValues<O>, positionals };
}

/** One line for a `parseArgs` error (`ERR_PARSE_ARGS_UNKNOWN_OPTION` and friends). */
function describeParseError(error: unknown, hint: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = message.match(/Unknown option '([^']+)'/);
  if (unknown) return `unknown flag ${unknown[1]}${hint}`;
  const missing = message.match(/Option '(?:-\w, )?(--[^ ]+) <value>' argument missing/);
  if (missing) return `${missing[1]} needs a value`;
  return `${message.split("\n")[0]}${hint}`;
}

/**
 * A flag's value as an integer in [min, max]; `fallback` when the flag is absent. A bad value
 * is one line: `--seeds must be an integer from 1 to 1000, got "0"`.
 *
 * @example
 * ```ts
 * integerFlag("workers", "4", { min: 1 }); // 4
 * integerFlag("workers", undefined, { min: 1, fallback: 1 }); // 1
 * ```
 */
export function integerFlag(
  name: string,
  text: string | undefined,
  range: { min?: number; max?: number; fallback?: number } = {},
): number {
  const { min = -Infinity, max = Number.MAX_SAFE_INTEGER, fallback } = range;
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      `--${name} must be ${describeRange("an integer", min, max)}, got "${text}"`,
    );
  }
  return value;
}

/**
 * A flag's value as a finite number in [min, max], or strictly above `above` / below `below`
 * when given; `fallback` when the flag is absent. A bad value is one line:
 * `--lr must be a number > 0, got "-1"`.
 *
 * @example
 * ```ts
 * numberFlag("lr", "3e-4", { above: 0 }); // 0.0003
 * ```
 */
export function numberFlag(
  name: string,
  text: string | undefined,
  range: { min?: number; max?: number; above?: number; below?: number; fallback?: number } = {},
): number {
  const { min = -Infinity, max = Infinity, above, below, fallback } = range;
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const value = Number(text);
  const ok = text.trim() !== "" && Number.isFinite(value) && value >= min && value <= max &&
    (above === undefined || value > above) && (below === undefined || value < below);
  if (!ok) {
    const bounds = [
      above !== undefined ? `> ${above}` : Number.isFinite(min) ? `≥ ${min}` : "",
      below !== undefined ? `< ${below}` : Number.isFinite(max) ? `≤ ${max}` : "",
    ].filter((b) => b !== "");
    const expected = bounds.length === 0 ? "a finite number" : `a number ${bounds.join(" and ")}`;
    throw new UsageError(`--${name} must be ${expected}, got "${text}"`);
  }
  return value;
}

/**
 * A flag's value checked against a list of choices; `fallback` when the flag is absent. A bad
 * value is one line: `unknown --law "cubic"; expected one of chinchilla, kaplan`.
 *
 * @example
 * ```ts
 * choiceFlag("law", "kaplan", ["chinchilla", "kaplan"] as const); // "kaplan"
 * ```
 */
export function choiceFlag<T extends string>(
  name: string,
  text: string | undefined,
  choices: readonly T[],
  fallback?: T,
): T {
  if (text === undefined) {
    if (fallback === undefined) {
      throw new UsageError(`--${name} is required (${choices.join("|")})`);
    }
    return fallback;
  }
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`unknown --${name} "${text}"; expected one of ${choices.join(", ")}`);
  }
  return text as T;
}

function describeRange(what: string, min: number, max: number): string {
  if (Number.isFinite(min) && max < Number.MAX_SAFE_INTEGER && Number.isFinite(max)) {
    return `${what} from ${min} to ${max}`;
  }
  if (Number.isFinite(min)) return `${what} ≥ ${min}`;
  if (Number.isFinite(max) && max < Number.MAX_SAFE_INTEGER) return `${what} ≤ ${max}`;
  return what;
}
