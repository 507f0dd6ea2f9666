/**
 * What a replicated two-level full factorial says, computed on y = log2 of each cell's mean
 * (one unit is one halving): every effect with a standard error from the seeds, the Shapley
 * value of each factor for the drop from the all-off to the all-on cell with percentile
 * bootstrap intervals (seeds resampled within each cell), sums over groups of factors and
 * their shares of the drop, drops between named cells, and how many seeds would bring the
 * group intervals to a target width.
 *
 * Standard errors: y_c = log2(m_c) of a cell mean m_c over n_c seeds has variance
 * ≈ s_c² / (n_c · m_c² · ln²2) (delta method, s_c the cell's sample standard deviation); a cell
 * with one seed takes the mean relative variance s²/m² of the cells with two or more. Every
 * effect and every Shapley value is linear in y, so its variance is Σ_c w_c²·var(y_c) with w_c
 * its weight on cell c. Without any cell of two seeds there is no standard error (null).
 *
 * @module
 */
import { bootstrapIntervals } from "../scaling/bootstrap.ts";
import { cellName, effectMasks, effectName, effectWeights, shapleyValues } from "./shapley.ts";

/** One run of a factorial: its cell (mask of the factors on), seed and measured value. */
export interface FactorialRun {
  /** Bit i set when factor i is on. */
  cell: number;
  seed: number;
  /** The response (e.g. test error in percent); must be positive. */
  value: number;
}

/** The factors of a design, groups of them, and named drops between cells. */
export interface FactorialDesign {
  /** Factor names in their fixed order (bit i of a cell is factor i). */
  factors: readonly string[];
  /** Group name → its factors (each factor in at most one group). */
  groups: Readonly<Record<string, readonly string[]>>;
  /** Name → the factors on in the cell it starts from and in the cell it ends at. */
  steps?: Readonly<Record<string, { from: readonly string[]; to: readonly string[] }>>;
}

/** Options of {@link factorialAttribution}. */
export interface AttributionOptions {
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  /** Bootstrap seed (default 0). */
  seed?: number;
  /** Interval coverage (default 0.95). */
  level?: number;
  /** Target half-width of the group intervals, in halvings (default 0.15). */
  target?: number;
}

/** A value with its bootstrap interval and its delta-method standard error. */
export interface Attribution {
  value: number;
  /** Percentile bootstrap interval [lower, upper]. */
  ci: [number, number];
  /** Standard error from the seed-to-seed variance (null with one seed per cell). */
  se: number | null;
}

/** One cell of the table. */
export interface FactorialCell {
  cell: number;
  /** The factors on, joined by `+` (`none` for the all-off cell). */
  name: string;
  /** Runs (seeds) in the cell. */
  n: number;
  seeds: number[];
  /** Mean and sample standard deviation (0 for one run) of the value. */
  mean: number;
  std: number;
  /** log2 of the mean. */
  log2: number;
}

/** Everything {@link factorialAttribution} computes. */
export interface FactorialAttributionResult {
  factors: string[];
  cells: FactorialCell[];
  /** Effect name (`a`, `a:b`, …) → value on log2 and its standard error. */
  effects: Record<string, { value: number; se: number | null }>;
  /** Factor → Shapley value of the drop log2(none) − log2(all), in halvings. */
  shapley: Record<string, Attribution>;
  /** Group → the sum of its factors' Shapley values. */
  groups: Record<string, Attribution>;
  /** Group → its share of the total drop (bootstrap interval only). */
  shares: Record<string, { value: number; ci: [number, number] }>;
  /** The whole drop log2(none) − log2(all). */
  total: Attribution;
  /** Step name → log2(from) − log2(to), in halvings. */
  steps: Record<string, Attribution>;
  /** Whether the group intervals meet the target half-width, and the seeds that would. */
  precision: {
    target: number;
    /** Fewest seeds in a cell. */
    seeds: number;
    /** Group → half-width: the larger of the bootstrap half-width and 1.96·se (null without se). */
    halfWidth: Record<string, number | null>;
    /** Seeds per cell for every group's half-width to reach the target (null without se). */
    seedsNeeded: number | null;
    met: boolean | null;
  };
  bootstrap: { resamples: number; failed: number; seed: number; level: number };
}

function maskOf(names: readonly string[], factors: readonly string[], where: string): number {
  let mask = 0;
  for (const name of names) {
    const i = factors.indexOf(name);
    if (i < 0) throw new RangeError(`${where} names unknown factor "${name}"`);
    mask |= 1 << i;
  }
  return mask;
}

function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { mean, std: values.length > 1 ? Math.sqrt(ss / (values.length - 1)) : 0 };
}

/** Checks the runs and groups them by cell; every cell needs at least one run. */
function runsByCell(runs: readonly FactorialRun[], factors: readonly string[]): number[][] {
  const count = 2 ** factors.length;
  const byCell: number[][] = Array.from({ length: count }, () => []);
  runs.forEach((run, i) => {
    if (!Number.isInteger(run.cell) || run.cell < 0 || run.cell >= count) {
      throw new RangeError(
        `run ${i} has cell ${run.cell}; expected an integer mask below ${count}`,
      );
    }
    if (!(run.value > 0) || !Number.isFinite(run.value)) {
      throw new RangeError(
        `run ${i} (cell ${
          cellName(run.cell, factors)
        }, seed ${run.seed}) has value ${run.value}; ` +
          `expected a positive number`,
      );
    }
    byCell[run.cell].push(i);
  });
  const missing = byCell.flatMap((indices, cell) => indices.length ? [] : [cell]);
  if (missing.length > 0) {
    const shown = missing.slice(0, 3).map((c) => cellName(c, factors)).join("; ");
    throw new RangeError(
      `${missing.length} of ${count} cells have no run (${shown}${
        missing.length > 3 ? "; …" : ""
      }); a full factorial needs every cell`,
    );
  }
  return byCell;
}

/**
 * Effects, Shapley values, group sums, shares and steps of a replicated 2^k factorial, with
 * standard errors and bootstrap intervals (see the module notes for how).
 *
 * @example
 * ```ts
 * const runs = [
 *   { cell: 0, seed: 1, value: 4 }, { cell: 1, seed: 1, value: 2 },
 *   { cell: 2, seed: 1, value: 2 }, { cell: 3, seed: 1, value: 1 },
 * ];
 * const result = factorialAttribution(runs, { factors: ["a", "b"], groups: { ab: ["a", "b"] } });
 * result.shapley.a.value; // 1: factor a halves the value
 * ```
 */
export function factorialAttribution(
  runs: readonly FactorialRun[],
  design: FactorialDesign,
  options: AttributionOptions = {},
): FactorialAttributionResult {
  const factors = [...design.factors];
  const k = factors.length;
  const all = 2 ** k - 1;
  const groupMasks = Object.entries(design.groups).map(([name, members]) => {
    if (members.length === 0) throw new RangeError(`group "${name}" has no factors`);
    return [name, maskOf(members, factors, `group "${name}"`)] as const;
  });
  let grouped = 0;
  for (const [name, mask] of groupMasks) {
    if (grouped & mask) throw new RangeError(`group "${name}" shares a factor with another group`);
    grouped |= mask;
  }
  const stepMasks = Object.entries(design.steps ?? {}).map(([name, { from, to }]) =>
    [
      name,
      maskOf(from, factors, `step "${name}"`),
      maskOf(to, factors, `step "${name}"`),
    ] as const
  );
  const byCell = runsByCell(runs, factors);
  const values = runs.map((r) => r.value);

  const cellMeans = (indices: ArrayLike<number>) =>
    byCell.map((members) => {
      let sum = 0;
      for (const i of members) sum += values[indices[i]];
      return sum / members.length;
    });
  /** Every named linear quantity of y = log2 of the cell means. */
  const linear = (y: readonly number[]) => {
    const worth = y.map((v) => y[0] - v);
    const phi = shapleyValues(worth, factors);
    const out: Record<string, number> = { total: y[0] - y[all] };
    factors.forEach((f, i) => out[`shapley:${f}`] = phi[i]);
    for (const [name, mask] of groupMasks) {
      out[`group:${name}`] = factors.reduce((s, _, i) => s + (mask & (1 << i) ? phi[i] : 0), 0);
    }
    for (const [name, from, to] of stepMasks) out[`step:${name}`] = y[from] - y[to];
    return out;
  };
  const quantities = (y: readonly number[]) => {
    const out = linear(y);
    for (const [name] of groupMasks) out[`share:${name}`] = out[`group:${name}`] / out.total;
    return out;
  };
  const identity = Int32Array.from(values, (_, i) => i);
  const means = cellMeans(identity);
  const y = means.map(Math.log2);

  const variances = cellVariances(byCell, values, means);
  const seOf = (weights: ArrayLike<number>) =>
    variances === null
      ? null
      : Math.sqrt(variances.reduce((s, v, c) => s + weights[c] ** 2 * v, 0));

  const estimate = quantities(y);
  const boot = bootstrapIntervals(
    values.length,
    estimate,
    (indices) => quantities(cellMeans(indices).map(Math.log2)),
    {
      resamples: options.resamples ?? 2000,
      seed: options.seed ?? 0,
      level: options.level,
      strata: byCell,
    },
  );
  const zero = linear(new Array(all + 1).fill(0));
  const linearWeights = new Map<string, Float64Array>();
  for (const name of Object.keys(zero)) linearWeights.set(name, new Float64Array(all + 1));
  for (let c = 0; c <= all; c++) {
    const unit = new Array(all + 1).fill(0);
    unit[c] = 1;
    for (const [name, value] of Object.entries(linear(unit))) {
      linearWeights.get(name)![c] = value - zero[name];
    }
  }
  const attribution = (name: string): Attribution => ({
    value: estimate[name],
    ci: [boot.intervals[name].lower, boot.intervals[name].upper],
    se: seOf(linearWeights.get(name)!),
  });

  const effects: FactorialAttributionResult["effects"] = {};
  for (const mask of effectMasks(k)) {
    const weights = effectWeights(mask, k);
    effects[effectName(mask, factors)] = {
      value: weights.reduce((s, w, c) => s + w * y[c], 0),
      se: seOf(weights),
    };
  }
  const groups = Object.fromEntries(groupMasks.map(([n]) => [n, attribution(`group:${n}`)]));
  const seeds = Math.min(...byCell.map((members) => members.length));
  const target = options.target ?? 0.15;
  const halfWidth = Object.fromEntries(
    Object.entries(groups).map(([name, g]) => [
      name,
      g.se === null ? null : Math.max((g.ci[1] - g.ci[0]) / 2, 1.96 * g.se),
    ]),
  );
  const widths = Object.values(halfWidth);
  const known = widths.every((w) => w !== null);
  const worst = known ? Math.max(...(widths as number[])) : null;
  return {
    factors,
    cells: byCell.map((members, cell) => {
      const { mean, std } = meanStd(members.map((i) => values[i]));
      return {
        cell,
        name: cellName(cell, factors),
        n: members.length,
        seeds: members.map((i) => runs[i].seed),
        mean,
        std,
        log2: Math.log2(mean),
      };
    }),
    effects,
    shapley: Object.fromEntries(factors.map((f) => [f, attribution(`shapley:${f}`)])),
    groups,
    shares: Object.fromEntries(groupMasks.map(([name]) => {
      const interval = boot.intervals[`share:${name}`];
      return [name, {
        value: estimate[`share:${name}`],
        ci: [interval.lower, interval.upper] as [number, number],
      }];
    })),
    total: attribution("total"),
    steps: Object.fromEntries(stepMasks.map(([name]) => [name, attribution(`step:${name}`)])),
    precision: {
      target,
      seeds,
      halfWidth,
      seedsNeeded: worst === null
        ? null
        : Math.max(seeds, Math.ceil(seeds * (worst / target) ** 2)),
      met: worst === null ? null : worst <= target,
    },
    bootstrap: {
      resamples: boot.resamples,
      failed: boot.failed,
      seed: boot.seed,
      level: boot.level,
    },
  };
}

/**
 * var(log2 m_c) per cell by the delta method; cells with one run take the mean relative
 * variance of the others; null when no cell has two runs.
 */
function cellVariances(
  byCell: readonly number[][],
  values: readonly number[],
  means: readonly number[],
): number[] | null {
  const ln2 = Math.LN2 ** 2;
  const relative = byCell.map((members, c) =>
    members.length < 2 ? null : meanStd(members.map((i) => values[i])).std ** 2 / means[c] ** 2
  );
  const known = relative.filter((r): r is number => r !== null);
  if (known.length === 0) return null;
  const pooled = known.reduce((s, r) => s + r, 0) / known.length;
  return byCell.map((members, c) => (relative[c] ?? pooled) / (members.length * ln2));
}
