/**
 * Expands a sweep definition into its trial list: preset → grid (with zip groups) → derive →
 * filter → seeded random sample → ids. The same definition always gives the same list, in
 * the same order, on every machine.
 *
 * @module
 */

import { checkZipLengths, type Sweep, SweepDefinitionError } from "./define.ts";
import { trialId } from "./identity.ts";
import { firstLine } from "./errors.ts";
import { canonicalJson, type Config, type JsonValue, serializationProblem } from "./json.ts";
import { mulberry32 } from "../random/mulberry32.ts";

/** One trial to run: its id and full config (axes, then derived values). */
export interface PlannedTrial {
  id: string;
  config: Config;
}

/** Options that change which trials a sweep has. */
export interface PlanOptions {
  /** A preset name from the definition's `presets`. */
  preset?: string;
  /**
   * Narrows the grid (`--axis name=v1,v2`): only trials whose `name` is one of these values.
   * Each value must be one of the axis' values (after the preset); a string also matches an
   * axis value whose JSON text or `String()` equals it (as typed on a command line). Narrowing
   * keeps trial ids: a narrowed grid's trials are the full grid's trials.
   */
  axes?: Readonly<Record<string, readonly JsonValue[]>>;
}

/** Grids larger than this are refused: the trial list is built in memory. */
export const MAX_COMBINATIONS = 1_000_000;

/**
 * The trials of `sweep`, in grid order (the first axis varies slowest).
 *
 * @example
 * ```ts
 * import { defineSweep } from "./define.ts";
 * import { planTrials } from "./plan.ts";
 * const sweep = defineSweep({ name: "s", version: 1, axes: { a: [1, 2], b: ["x"] }, run: () => ({}) });
 * (await planTrials(sweep)).map((t) => t.config); // [{ a: 1, b: "x" }, { a: 2, b: "x" }]
 * ```
 */
export async function planTrials(sweep: Sweep, options: PlanOptions = {}): Promise<PlannedTrial[]> {
  const fail: (message: string) => never = (message) => {
    throw new SweepDefinitionError(`sweep "${sweep.name}": ${message}`);
  };
  const axes = resolveAxes(sweep, options.preset, fail);
  const where = options.preset === undefined ? "axes" : `preset "${options.preset}"`;
  checkZipLengths(sweep.zip, axes, where, fail);
  const combinations = gridCombinations(axes, sweep.zip, fail);
  const configs: Config[] = [];
  for (const combination of combinations) {
    const config = sweep.derive ? withDerived(combination, sweep.derive, fail) : combination;
    if (!sweep.filter || keeps(config, sweep.filter, fail)) configs.push(config);
  }
  if (configs.length === 0) {
    fail(`filter removed all ${combinations.length} combinations; nothing to run`);
  }
  const sampled = sweep.random
    ? sampleInOrder(configs, sweep.random.n, sweep.random.seed)
    : configs;
  const chosen = options.axes ? narrow(sampled, axes, options.axes, fail) : sampled;
  return await Promise.all(
    chosen.map(async (config) => ({
      id: await trialId(sweep.name, sweep.version, config),
      config,
    })),
  );
}

function resolveAxes(
  sweep: Sweep,
  preset: string | undefined,
  fail: (message: string) => never,
): Record<string, readonly JsonValue[]> {
  if (preset === undefined) return { ...sweep.axes };
  if (!Object.hasOwn(sweep.presets, preset)) {
    const known = Object.keys(sweep.presets);
    fail(
      `unknown preset "${preset}"; ${
        known.length ? `known presets: ${known.join(", ")}` : "this sweep defines no presets"
      }`,
    );
  }
  return { ...sweep.axes, ...sweep.presets[preset] };
}

/** The configs whose narrowed axes take one of the allowed values. */
function narrow(
  configs: Config[],
  axes: Record<string, readonly JsonValue[]>,
  narrowing: Readonly<Record<string, readonly JsonValue[]>>,
  fail: (message: string) => never,
): Config[] {
  const allowed = new Map<string, Set<string>>();
  for (const [axis, values] of Object.entries(narrowing)) {
    if (!Object.hasOwn(axes, axis)) {
      fail(`--axis names unknown axis "${axis}"; axes are ${Object.keys(axes).join(", ")}`);
    }
    const keys = new Set<string>();
    for (const value of values) {
      const match = axes[axis].find((candidate) =>
        canonicalJson(candidate) === canonicalJson(value) ||
        (typeof value === "string" && (canonicalJson(candidate) === value ||
          (typeof candidate !== "object" && String(candidate) === value)))
      );
      if (match === undefined) {
        fail(
          `--axis ${axis}=${typeof value === "string" ? value : canonicalJson(value)}: ` +
            `not a value of axis "${axis}"; its values are ${
              axes[axis].map((v) => canonicalJson(v)).join(", ")
            }`,
        );
      }
      keys.add(canonicalJson(match));
    }
    allowed.set(axis, keys);
  }
  const kept = configs.filter((config) =>
    [...allowed].every(([axis, keys]) => keys.has(canonicalJson(config[axis])))
  );
  if (kept.length === 0) fail("--axis narrowing leaves no trial of the plan");
  return kept;
}

/** Each unit is one free axis or one zip group; units are crossed, zip members move together. */
function gridCombinations(
  axes: Record<string, readonly JsonValue[]>,
  zip: readonly (readonly string[])[],
  fail: (message: string) => never,
): Config[] {
  const axisNames = Object.keys(axes);
  const units: string[][] = [];
  for (const axis of axisNames) {
    const group = zip.find((members) => members.includes(axis));
    if (!group) units.push([axis]);
    else if (group[0] === axis) units.push([...group]);
  }
  const unitSizes = units.map((unit) => axes[unit[0]].length);
  const total = unitSizes.reduce((product, size) => product * size, 1);
  if (total > MAX_COMBINATIONS) {
    fail(
      `the grid has ${total} combinations, more than ${MAX_COMBINATIONS}; shrink the axes or use random sampling over a smaller grid`,
    );
  }
  const combinations: Config[] = [];
  const picks = new Array<number>(units.length).fill(0);
  for (let n = 0; n < total; n++) {
    const chosen: Config = {};
    units.forEach((unit, u) => {
      for (const axis of unit) chosen[axis] = axes[axis][picks[u]];
    });
    const config: Config = {};
    for (const axis of axisNames) config[axis] = structuredClone(chosen[axis]);
    combinations.push(config);
    for (let u = units.length - 1; u >= 0; u--) {
      if (++picks[u] < unitSizes[u]) break;
      picks[u] = 0;
    }
  }
  return combinations;
}

function withDerived(
  config: Config,
  derive: (config: Config) => Config,
  fail: (message: string) => never,
): Config {
  let derived: unknown;
  try {
    derived = derive(structuredClone(config));
  } catch (error) {
    fail(`derive threw for ${JSON.stringify(config)}: ${firstLine(error)}`);
  }
  if (typeof derived !== "object" || derived === null || Array.isArray(derived)) {
    fail(`derive must return an object of derived values, got ${JSON.stringify(derived)}`);
  }
  for (const [key, value] of Object.entries(derived as object)) {
    if (Object.hasOwn(config, key)) fail(`derive returns "${key}", which is already an axis`);
    const problem = serializationProblem(value, `derived "${key}"`);
    if (problem) fail(`${problem} for ${JSON.stringify(config)}; derived values must be JSON`);
  }
  return { ...config, ...(derived as Config) };
}

function keeps(config: Config, filter: (config: Config) => boolean, fail: (m: string) => never) {
  let kept: unknown;
  try {
    kept = filter(structuredClone(config));
  } catch (error) {
    fail(`filter threw for ${JSON.stringify(config)}: ${firstLine(error)}`);
  }
  if (typeof kept !== "boolean") {
    fail(`filter must return true or false, got ${JSON.stringify(kept)}`);
  }
  return kept;
}

/** `n` distinct items chosen by a seeded partial Fisher–Yates shuffle, kept in list order. */
function sampleInOrder<T>(items: T[], n: number, seed: number): T[] {
  if (n >= items.length) return items;
  const random = mulberry32(seed);
  const indices = items.map((_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (indices.length - i));
    [indices[i], indices[j]] = [indices[j], indices[i]];
  }
  return indices.slice(0, n).sort((a, b) => a - b).map((i) => items[i]);
}
