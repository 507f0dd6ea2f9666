/**
 * `defineSweep`: the declarative description of an experiment's trials, checked when the
 * experiment file is loaded so that a mistake is one clear line, not a failed run later.
 *
 * @module
 */

import type { Gpu } from "../gpu/runtime.ts";
import { canonicalJson, type Config, type JsonValue, serializationProblem } from "./json.ts";

/**
 * What `ctx.device` resolves to: the shared GPU runtime. The runner acquires it only when a
 * trial asks (its `acquireDevice` option), so CPU-only trials never touch WebGPU.
 */
export type SweepDevice = Gpu;

/** Numbers a trial reports along the way (`ctx.report`): one history point. */
export type ReportedMetrics = Record<string, number>;

/** A trial's final metrics: any JSON values; NaN and ±Infinity are kept. */
export type TrialMetrics = Record<string, JsonValue>;

/** What a running trial can use besides its config. */
export interface TrialContext {
  /** The trial id (16 hex characters). */
  readonly id: string;
  /** Aborted on timeout, divergence or a second Ctrl-C; `reason` says which. */
  readonly signal: AbortSignal;
  /**
   * Records one history point (a live curve). A NaN or infinite value of a watched metric
   * (by default any name ending in "loss") marks the trial diverged and aborts `signal`.
   */
  report(step: number, metrics: ReportedMetrics): void;
  /** The shared GPU device, acquired on first use; trials that never read it never touch it. */
  readonly device: Promise<SweepDevice>;
}

/** What a trial of a pack can use: its own {@link TrialContext}, plus an early finish. */
export interface PackContext extends TrialContext {
  /**
   * Records this trial at once with `result` (its file is written while the pack goes on);
   * the pack's later entry for it is then ignored. Later calls are ignored too.
   */
  finish(result: TrialResult): void;
}

/**
 * A pack's signal: aborted once every trial of the pack is stopped (with the last one's
 * reason). A trial that diverges alone is stopped by the runner and recorded as diverged; the
 * pack trains on for the others.
 *
 * @example
 * ```ts
 * run: (configs, contexts) => trainAll(configs, { signal: packSignal(contexts) }),
 * ```
 */
export function packSignal(contexts: readonly { readonly signal: AbortSignal }[]): AbortSignal {
  const signals = contexts.map((ctx) => ctx.signal);
  const controller = new AbortController();
  const check = () => {
    if (signals.every((s) => s.aborted)) controller.abort(signals[signals.length - 1].reason);
  };
  for (const s of signals) s.addEventListener("abort", check, { once: true });
  check();
  return controller.signal;
}

/**
 * The adapter's numeric limits (`GPUSupportedLimits`: `maxBufferSize`,
 * `maxStorageBufferBindingSize`, `maxComputeWorkgroupsPerDimension`, ...), read once.
 */
export type AdapterLimits = Readonly<Record<string, number>>;

/** How trials of a sweep may train together as one pack (see {@link SweepSpec.pack}). */
export interface PackSpec<C> {
  /** Trials whose keys are equal and non-null may train together as one pack. */
  key: (config: C) => string | null;
  /**
   * Most trials in one pack (default 8): may depend on the first config and the adapter's
   * limits (a memory budget); limits is null when no adapter is known.
   */
  capacity?: (config: C, limits: AdapterLimits | null) => number;
  /**
   * Runs the pack: contexts[i] belongs to configs[i] (its own id, signal, report, device).
   * Returns one TrialResult per trial, in order. A trial that finishes before the others may
   * be recorded at once with contexts[i].finish(result); its later entry in the returned array
   * is then ignored. A throw fails every trial not yet finished.
   */
  run: (configs: readonly C[], contexts: readonly PackContext[]) => Promise<readonly TrialResult[]>;
}

/** Which metric "best so far" refers to in progress displays. */
export interface Objective {
  metric: string;
  goal: "min" | "max";
}

/** Axis names to the values they take. */
export type AxisMap = Record<string, readonly unknown[]>;

/** The config a trial receives for axes `A`: one value of each axis. */
export type ConfigOf<A extends AxisMap> = { -readonly [K in keyof A]: A[K][number] };

/** The experiment as written in `experiments/<name>.ts`. */
export interface SweepSpec<A extends AxisMap, D extends object> {
  /** Results go to `results/<name>` by default: letters, digits, `.`, `_`, `-`. */
  name: string;
  /** Bump it when `run` changes meaning: it is part of every trial id. */
  version: string | number;
  /** Axis names to non-empty value lists; the full product (grid) by default. */
  axes: A;
  /** Groups of axes that vary together (equal-length lists, zipped instead of crossed). */
  zip?: ReadonlyArray<ReadonlyArray<keyof A & string>>;
  /** Sample `n` distinct combinations (after `filter`) with a seeded generator. */
  random?: { n: number; seed: number };
  /** Computed config values, merged into the config (and its identity). */
  derive?: (config: ConfigOf<A>) => D;
  /** Keeps a combination when it returns true (sees derived values). */
  filter?: (config: ConfigOf<A> & D) => boolean;
  /** Named replacements of axis lists, chosen with `--preset NAME`. */
  presets?: Record<string, { [K in keyof A]?: A[K] }>;
  /** Per-trial time limit in seconds (`--timeout` overrides). */
  timeout?: number;
  /** The metric shown as "best so far" (default: loss, minimized). */
  objective?: Objective;
  /** Metric names whose NaN or infinite value means divergence (default: names ending in "loss"). */
  divergeOn?: readonly string[];
  /** Runs one trial and returns its final metrics (or nothing: the last reported ones). */
  run: (config: ConfigOf<A> & D, ctx: TrialContext) => TrialResult | Promise<TrialResult>;
  /**
   * Optional: trials with equal non-null `key`s train together as one pack (`run` is then
   * not called for them); each still gets its own trial file, id and resume semantics.
   */
  pack?: PackSpec<ConfigOf<A> & D>;
}

/** What a trial's `run` may return: metrics (keys with undefined values are dropped) or nothing. */
export type TrialResult = { [name: string]: JsonValue | undefined } | void;

/** A checked sweep definition, as `defineSweep` returns it and the runner consumes it. */
export interface Sweep {
  readonly [SWEEP_BRAND]: true;
  readonly name: string;
  readonly version: string;
  readonly axes: Readonly<Record<string, readonly JsonValue[]>>;
  readonly zip: readonly (readonly string[])[];
  readonly random?: { readonly n: number; readonly seed: number };
  readonly derive?: (config: Config) => Config;
  readonly filter?: (config: Config) => boolean;
  readonly presets: Readonly<Record<string, Readonly<Record<string, readonly JsonValue[]>>>>;
  readonly timeout?: number;
  readonly objective: Objective;
  readonly divergeOn?: readonly string[];
  readonly run: (config: Config, ctx: TrialContext) => TrialResult | Promise<TrialResult>;
  readonly pack?: PackSpec<Config>;
}

/** A definition mistake, reported as one line naming what is wrong and what is expected. */
export class SweepDefinitionError extends Error {
  override name = "SweepDefinitionError";
}

const SWEEP_BRAND: unique symbol = Symbol.for("scalelab.sweep");

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Checks and freezes an experiment's sweep definition.
 *
 * @example
 * ```ts
 * import { defineSweep } from "./define.ts";
 * export const sweep = defineSweep({
 *   name: "quadratic",
 *   version: 1,
 *   axes: { lr: [0.01, 0.1], seed: [0, 1, 2] },
 *   run: (config, ctx) => {
 *     ctx.report(0, { loss: 1 / config.lr });
 *     return { loss: 1 / config.lr };
 *   },
 * });
 * ```
 */
export function defineSweep<A extends AxisMap, D extends object = Record<never, never>>(
  spec: SweepSpec<A, D>,
): Sweep {
  if (typeof spec?.name !== "string" || !NAME_PATTERN.test(spec.name)) {
    throw new SweepDefinitionError(
      `sweep name ${
        JSON.stringify(spec?.name)
      } is invalid; expected letters, digits, ".", "_" or "-"`,
    );
  }
  const fail: (message: string) => never = (message) => {
    throw new SweepDefinitionError(`sweep "${spec.name}": ${message}`);
  };
  if (typeof spec.version !== "string" && typeof spec.version !== "number") {
    fail(`version must be a string or a number, got ${typeof spec.version}`);
  }
  if (typeof spec.run !== "function") fail("run must be a function (config, ctx) => metrics");
  const axes = checkAxisLists(spec.axes, "axes", fail);
  const axisNames = Object.keys(axes);
  if (axisNames.length === 0) fail("axes is empty; declare at least one axis with values");
  const zip = checkZip(spec.zip ?? [], axisNames, fail);
  checkZipLengths(zip, axes, "axes", fail);
  const presets: Record<string, Readonly<Record<string, readonly JsonValue[]>>> = {};
  for (const [preset, lists] of Object.entries(spec.presets ?? {})) {
    const checked = checkAxisLists(lists as AxisMap, `preset "${preset}"`, fail);
    for (const axis of Object.keys(checked)) {
      if (!axisNames.includes(axis)) {
        fail(`preset "${preset}" sets unknown axis "${axis}"; axes are ${axisNames.join(", ")}`);
      }
    }
    presets[preset] = checked;
  }
  if (spec.random !== undefined) checkRandom(spec.random, fail);
  if (spec.timeout !== undefined && timeoutProblem(spec.timeout) !== null) {
    fail(`timeout ${spec.timeout} is invalid: ${timeoutProblem(spec.timeout)}`);
  }
  for (const [field, fn] of [["derive", spec.derive], ["filter", spec.filter]] as const) {
    if (fn !== undefined && typeof fn !== "function") fail(`${field} must be a function`);
  }
  const objective = spec.objective ?? { metric: "loss", goal: "min" };
  if (typeof objective.metric !== "string" || !["min", "max"].includes(objective.goal)) {
    fail(`objective must be { metric: string, goal: "min" | "max" }`);
  }
  if (spec.divergeOn !== undefined && !spec.divergeOn.every((m) => typeof m === "string")) {
    fail("divergeOn must be a list of metric names");
  }
  if (spec.pack !== undefined) checkPack(spec.pack, fail);
  return Object.freeze({
    [SWEEP_BRAND]: true as const,
    name: spec.name,
    version: String(spec.version),
    axes: Object.freeze(axes),
    zip: Object.freeze(zip),
    random: spec.random && Object.freeze({ ...spec.random }),
    derive: spec.derive as Sweep["derive"],
    filter: spec.filter as Sweep["filter"],
    presets: Object.freeze(presets),
    timeout: spec.timeout,
    objective: Object.freeze({ ...objective }),
    divergeOn: spec.divergeOn && Object.freeze([...spec.divergeOn]),
    run: spec.run as Sweep["run"],
    pack: spec.pack && Object.freeze({ ...spec.pack }) as unknown as PackSpec<Config>,
  });
}

/** The most seconds a timeout may be: `setTimeout` takes at most 2^31 - 1 milliseconds. */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * Why `seconds` is not a usable trial timeout, or null when it is (0 < seconds ≤
 * {@link MAX_TIMEOUT_SECONDS}, about 24.8 days).
 *
 * @example
 * ```ts
 * import { timeoutProblem } from "./define.ts";
 * timeoutProblem(3_000_000); // "expected seconds in (0, 2147483]"
 * ```
 */
export function timeoutProblem(seconds: number): string | null {
  return seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS
    ? null
    : `expected seconds in (0, ${MAX_TIMEOUT_SECONDS}]`;
}

function checkPack(pack: PackSpec<never>, fail: (message: string) => never) {
  if (typeof pack !== "object" || pack === null) fail("pack must be { key, capacity?, run }");
  for (const field of ["key", "run"] as const) {
    if (typeof pack[field] !== "function") fail(`pack.${field} must be a function`);
  }
  if (pack.capacity !== undefined && typeof pack.capacity !== "function") {
    fail("pack.capacity must be a function (config, limits) => number");
  }
}

/**
 * Whether `value` came from {@link defineSweep}.
 *
 * @example
 * ```ts
 * import { isSweep } from "./define.ts";
 * isSweep({ name: "x" }); // false
 * ```
 */
export function isSweep(value: unknown): value is Sweep {
  return typeof value === "object" && value !== null && SWEEP_BRAND in value;
}

function checkAxisLists(
  lists: AxisMap,
  where: string,
  fail: (message: string) => never,
): Record<string, readonly JsonValue[]> {
  if (typeof lists !== "object" || lists === null || Array.isArray(lists)) {
    fail(`${where} must be an object mapping axis names to value lists`);
  }
  const checked: Record<string, readonly JsonValue[]> = {};
  for (const [axis, values] of Object.entries(lists)) {
    const label = where === "axes" ? `axis "${axis}"` : `${where} axis "${axis}"`;
    if (!Array.isArray(values)) fail(`${label} must be a list of values`);
    if (values.length === 0) fail(`${label} is empty; give at least one value`);
    const seen = new Map<string, number>();
    values.forEach((value, i) => {
      const problem = serializationProblem(value, `value #${i}`);
      if (problem) {
        fail(
          `${label}: ${problem}; axis values must be finite numbers, strings, booleans, null, arrays or plain objects`,
        );
      }
      const key = canonicalJson(value as JsonValue);
      const earlier = seen.get(key);
      if (earlier !== undefined) fail(`${label}: value #${i} repeats value #${earlier} (${key})`);
      seen.set(key, i);
    });
    checked[axis] = Object.freeze(structuredClone(values) as JsonValue[]);
  }
  return checked;
}

function checkZip(
  groups: ReadonlyArray<ReadonlyArray<string>>,
  axisNames: string[],
  fail: (message: string) => never,
): string[][] {
  if (!Array.isArray(groups)) fail('zip must be a list of axis-name groups, e.g. [["a", "b"]]');
  const grouped = new Set<string>();
  return groups.map((group) => {
    if (!Array.isArray(group) || group.length < 2) {
      fail(`zip group ${JSON.stringify(group)} must list at least two axis names`);
    }
    for (const axis of group) {
      if (!axisNames.includes(axis)) fail(`zip names unknown axis "${axis}"`);
      if (grouped.has(axis)) fail(`axis "${axis}" appears in more than one zip group`);
      grouped.add(axis);
    }
    return [...group];
  });
}

/**
 * Fails unless every zip group's axes have equal-length lists in `axes`.
 *
 * @example
 * ```ts
 * import { checkZipLengths } from "./define.ts";
 * checkZipLengths([["a", "b"]], { a: [1, 2], b: [3, 4] }, "axes", (m) => { throw new Error(m); });
 * ```
 */
export function checkZipLengths(
  zip: readonly (readonly string[])[],
  axes: Readonly<Record<string, readonly JsonValue[]>>,
  where: string,
  fail: (message: string) => never,
): void {
  for (const group of zip) {
    const lengths = group.map((axis) => axes[axis].length);
    if (lengths.some((length) => length !== lengths[0])) {
      const detail = group.map((axis, i) => `${axis}: ${lengths[i]}`).join(", ");
      fail(`zip group [${group.join(", ")}] needs equal-length lists in ${where} (${detail})`);
    }
  }
}

function checkRandom(random: { n: number; seed: number }, fail: (message: string) => never) {
  if (!Number.isInteger(random?.n) || random.n < 1) {
    fail(`random.n must be a positive integer, got ${random?.n}`);
  }
  if (!Number.isInteger(random.seed)) fail(`random.seed must be an integer, got ${random.seed}`);
}
