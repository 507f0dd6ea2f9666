/**
 * Analysis of `lecun1989-iso-error`: the compute-equivalent of the algorithms. For the 1989
 * recipe and the modern one, test error against train digits D and passes P is fitted as
 * error = E + A·D^(−α) + B·P^(−β) — Chinchilla's form with N → D and D → P, fitted the same way
 * (`fitChinchilla`: Huber δ = 1e-3 on log residuals, L-BFGS from its grid of starts) to every
 * seed's run. At a reference budget (D₀, P₀), the 1989 digits and passes by default, the modern
 * recipe's fitted error is the target; the 1989 recipe reaches it with k_D·D₀ digits at P₀
 * passes, or k_P·P₀ passes on D₀ digits, or never when the target lies below the floor of that
 * direction (E + B·P₀^(−β) for data, E + A·D₀^(−α) for passes; E itself for both together).
 * Intervals: percentile bootstrap over seeds within each (recipe, D, P) cell, both laws refitted
 * on each resample from their fits on all runs. A multiplier whose amount lies past the grid's
 * largest level is flagged as read beyond it, and the same comparison is read off the measured
 * cell means without any law, as a check on the form's fit. Writes `fits.json`, `iso-error.*`
 * and `error-vs-data.*`.
 *
 * @module
 */
import { isoErrorSpec, lawFitSpec } from "../plot/iso_error_plot.ts";
import { concatPlots } from "../plot/spec.ts";
import { bootstrapIntervals } from "../scaling/bootstrap.ts";
import { type ChinchillaParams, fitChinchilla } from "../scaling/chinchilla.ts";
import type { ResidualSummary } from "../scaling/observations.ts";
import type { TrialRecord } from "../sweep/store.ts";
import {
  type AnalysisReport,
  configNumber,
  finishedTrials,
  metric,
  writeJson,
  writePlot,
} from "./common.ts";

/** One run of the iso-error grid. */
export interface IsoErrorRun {
  /** `1989` or `modern`. */
  recipe: string;
  trainSize: number;
  passes: number;
  seed: number;
  /** Test error in percent. */
  testError: number;
}

/** error = E + A·D^(−α) + B·P^(−β) (percent), D train digits, P passes. */
export interface ErrorLaw {
  E: number;
  A: number;
  alpha: number;
  B: number;
  beta: number;
}

/** A value with its percentile bootstrap interval. */
export interface Interval {
  value: number;
  ci: [number, number];
}

/**
 * How many times more data (or passes) the 1989 recipe needs for the modern recipe's error;
 * null means never (the target is below the floor of that direction).
 */
export interface Multiplier {
  value: number | null;
  /** Interval ends; null for an end at "never". */
  ci: [number | null, number | null];
  /** Share of the bootstrap resamples in which the 1989 recipe never gets there. */
  neverShare: number;
  /** The 1989 recipe's lowest error in this direction: E + the other term at the reference. */
  floor: number;
  /** Whether k·reference lies beyond the 1989 recipe's largest measured level of that axis. */
  beyondGrid: boolean;
}

/**
 * The same comparison read off the measured cell means (mean over seeds) without the laws:
 * the two recipes' errors at the reference cell, and the multipliers at which the 1989 recipe's
 * means along each axis through the reference reach the modern mean (log-linear between the
 * two levels that bracket it; null when no measured level does).
 */
export interface MeasuredEquivalent {
  oldError: number;
  modernError: number;
  data: number | null;
  passes: number | null;
}

/** What {@link computeEquivalent} finds. */
export interface ComputeEquivalent {
  reference: { trainSize: number; passes: number };
  /** Recipe → law, with intervals of its parameters. */
  laws: Record<string, {
    params: ErrorLaw;
    ci: Record<keyof ErrorLaw, [number, number]>;
    /** Log residuals of the fit on every run. */
    residuals: ResidualSummary;
  }>;
  /** Fitted errors at the reference. */
  oldError: Interval;
  modernError: Interval;
  /** k_D: digits multiplier at the reference passes. */
  data: Multiplier;
  /** k_P: passes multiplier on the reference digits. */
  passes: Multiplier;
  /** Whether the modern error lies below the 1989 recipe's E (never reached at any D and P). */
  belowFloor: boolean;
  /** Whether the reference lies outside the measured digits or passes of either recipe. */
  extrapolated: boolean;
  /** The grid's own reading, or null when the reference is not a measured cell of both. */
  measured: MeasuredEquivalent | null;
  bootstrap: { resamples: number; failed: number; seed: number; level: number };
}

/** Options of {@link computeEquivalent}. */
export interface ComputeEquivalentOptions {
  /** The budget (D₀, P₀) of the comparison (default 7291 digits, 23 passes). */
  reference?: { trainSize: number; passes: number };
  /** Names of the two recipes (default `1989` and `modern`). */
  old?: string;
  modern?: string;
  /** Bootstrap resamples (default 500) and seed (default 0). */
  resamples?: number;
  seed?: number;
}

const asLaw = (p: ChinchillaParams): ErrorLaw => ({
  E: p.E,
  A: p.A,
  alpha: p.alpha,
  B: p.B,
  beta: p.beta,
});

/**
 * The law's prediction.
 *
 * @example
 * ```ts
 * predictError({ E: 1, A: 100, alpha: 0.5, B: 10, beta: 1 }, 10000, 10); // 1 + 1 + 1 = 3
 * ```
 */
export function predictError(law: ErrorLaw, trainSize: number, passes: number): number {
  return law.E + law.A * trainSize ** -law.alpha + law.B * passes ** -law.beta;
}

/**
 * 1/k for one direction: the reference amount `at` over the amount x at which
 * rest + coefficient·x^(−exponent) meets `target`, or 0 when it never does (target ≤ rest), so
 * that "never" stays a finite number in the bootstrap.
 */
function reach(
  coefficient: number,
  exponent: number,
  rest: number,
  target: number,
  at: number,
): number {
  const left = target - rest;
  if (!(left > 0) || !(exponent > 0)) return 0;
  return at * (left / coefficient) ** (1 / exponent);
}

/** Mean test error per (recipe, D, P). */
function cellMeans(runs: readonly IsoErrorRun[]) {
  const cells = new Map<string, IsoErrorRun[]>();
  for (const r of runs) {
    const key = `${r.recipe}|${r.trainSize}|${r.passes}`;
    cells.set(key, [...(cells.get(key) ?? []), r]);
  }
  return [...cells.values()].map((own) => ({
    recipe: own[0].recipe,
    trainSize: own[0].trainSize,
    passes: own[0].passes,
    seeds: own.length,
    error: own.reduce((s, r) => s + r.testError, 0) / own.length,
  }));
}

type CellMean = ReturnType<typeof cellMeans>[number];

/**
 * The multiplier of `at` at which measured errors along one axis (`points`: level and error)
 * first reach `target`, log-linear between the bracketing levels; null when none does.
 */
function measuredReach(points: { level: number; error: number }[], target: number, at: number) {
  const sorted = [...points].sort((a, b) => a.level - b.level);
  const i = sorted.findIndex((p) => p.error <= target);
  if (i < 0) return null;
  if (i === 0) return sorted[0].level / at;
  const [a, b] = [sorted[i - 1], sorted[i]];
  const t = (a.error - target) / (a.error - b.error);
  return Math.exp(Math.log(a.level) + t * (Math.log(b.level) - Math.log(a.level))) / at;
}

function measuredEquivalent(
  cells: readonly CellMean[],
  names: string[],
  reference: { trainSize: number; passes: number },
): MeasuredEquivalent | null {
  const at = (recipe: string) =>
    cells.find((c) =>
      c.recipe === recipe && c.trainSize === reference.trainSize && c.passes === reference.passes
    );
  const [old, modern] = names.map(at);
  if (!old || !modern) return null;
  const mine = cells.filter((c) => c.recipe === names[0]);
  const target = modern.error;
  return {
    oldError: old.error,
    modernError: target,
    data: measuredReach(
      mine.filter((c) => c.passes === reference.passes)
        .map((c) => ({ level: c.trainSize, error: c.error })),
      target,
      reference.trainSize,
    ),
    passes: measuredReach(
      mine.filter((c) => c.trainSize === reference.trainSize)
        .map((c) => ({ level: c.passes, error: c.error })),
      target,
      reference.passes,
    ),
  };
}

function fitLaw(runs: readonly IsoErrorRun[], start?: ErrorLaw) {
  const fit = fitChinchilla(
    {
      n: runs.map((r) => r.trainSize),
      d: runs.map((r) => r.passes),
      loss: runs.map((r) => r.testError),
    },
    start
      ? {
        starts: [[
          Math.log(start.A),
          Math.log(start.B),
          Math.log(start.E),
          start.alpha,
          start.beta,
        ]],
      }
      : {},
  );
  return { law: asLaw(fit.params), residuals: fit.residuals };
}

/**
 * Fits both recipes' laws and the multipliers at the reference budget, with bootstrap intervals.
 *
 * @example
 * ```ts
 * const result = computeEquivalent(runs, { reference: { trainSize: 7291, passes: 23 } });
 * result.data.value; // e.g. 12: the 1989 recipe needs 12× the digits for the modern error
 * ```
 */
export function computeEquivalent(
  runs: readonly IsoErrorRun[],
  options: ComputeEquivalentOptions = {},
): ComputeEquivalent {
  const reference = options.reference ?? { trainSize: 7291, passes: 23 };
  const names = [options.old ?? "1989", options.modern ?? "modern"];
  const byRecipe = names.map((name) => {
    const own = runs.filter((r) => r.recipe === name);
    const cells = new Set(own.map((r) => `${r.trainSize}|${r.passes}`));
    if (cells.size < 6) {
      throw new RangeError(
        `recipe "${name}" has runs at ${cells.size} (train size, passes) points; the law ` +
          `E + A·D^−α + B·P^−β needs at least 6`,
      );
    }
    return own;
  });
  const strata = new Map<string, number[]>();
  const all = byRecipe.flat();
  all.forEach((r, i) => {
    const key = `${r.recipe}|${r.trainSize}|${r.passes}`;
    strata.set(key, [...(strata.get(key) ?? []), i]);
  });
  const fits = byRecipe.map((own) => fitLaw(own));
  const quantities = (laws: ErrorLaw[]) => {
    const [old, modern] = laws;
    const target = predictError(modern, reference.trainSize, reference.passes);
    const { trainSize, passes } = reference;
    const dataReach = reach(
      old.A,
      old.alpha,
      old.E + old.B * passes ** -old.beta,
      target,
      trainSize,
    );
    const passReach = reach(
      old.B,
      old.beta,
      old.E + old.A * trainSize ** -old.alpha,
      target,
      passes,
    );
    const out: Record<string, number> = {
      oldError: predictError(old, reference.trainSize, reference.passes),
      modernError: target,
      dataReach,
      passReach,
      dataNever: dataReach === 0 ? 1 : 0,
      passNever: passReach === 0 ? 1 : 0,
    };
    laws.forEach((law, i) => {
      for (const [key, value] of Object.entries(law)) out[`${names[i]}.${key}`] = value;
    });
    return out;
  };
  const estimate = quantities(fits.map((f) => f.law));
  const offset = byRecipe[0].length;
  const boot = bootstrapIntervals(
    all.length,
    estimate,
    (indices) => {
      const sample = Array.from(indices, (i) => all[i]);
      return quantities([
        fitLaw(sample.slice(0, offset), fits[0].law).law,
        fitLaw(sample.slice(offset), fits[1].law).law,
      ]);
    },
    { resamples: options.resamples ?? 500, seed: options.seed ?? 0, strata: [...strata.values()] },
  );
  const ci = (name: string): [number, number] => [
    boot.intervals[name].lower,
    boot.intervals[name].upper,
  ];
  const old = fits[0].law;
  const largest = (key: "trainSize" | "passes") => Math.max(...byRecipe[0].map((r) => r[key]));
  const multiplier = (name: "data" | "pass", floor: number): Multiplier => {
    const [lo, hi] = ci(`${name}Reach`);
    const invert = (r: number) => (r > 0 ? 1 / r : null);
    const value = invert(estimate[`${name}Reach`]);
    const axis = name === "data" ? "trainSize" : "passes";
    return {
      value,
      ci: [invert(hi), invert(lo)],
      neverShare: boot.intervals[`${name}Never`].mean,
      floor,
      beyondGrid: value !== null && value * reference[axis] > largest(axis),
    };
  };
  return {
    reference,
    laws: Object.fromEntries(names.map((name, i) => [name, {
      params: fits[i].law,
      ci: Object.fromEntries(
        Object.keys(fits[i].law).map((key) => [key, ci(`${name}.${key}`)]),
      ) as Record<keyof ErrorLaw, [number, number]>,
      residuals: fits[i].residuals,
    }])),
    oldError: { value: estimate.oldError, ci: ci("oldError") },
    modernError: { value: estimate.modernError, ci: ci("modernError") },
    data: multiplier("data", old.E + old.B * reference.passes ** -old.beta),
    passes: multiplier("pass", old.E + old.A * reference.trainSize ** -old.alpha),
    belowFloor: estimate.modernError < old.E,
    extrapolated: byRecipe.some((own) => {
      const sizes = own.map((r) => r.trainSize), passes = own.map((r) => r.passes);
      const outside = (v: number, values: number[]) =>
        v < Math.min(...values) || v > Math.max(...values);
      return outside(reference.trainSize, sizes) || outside(reference.passes, passes);
    }),
    measured: measuredEquivalent(cellMeans(all), names, reference),
    bootstrap: {
      resamples: boot.resamples,
      failed: boot.failed,
      seed: boot.seed,
      level: boot.level,
    },
  };
}

/** The two recipes of the grid, in the order of the comparison. */
const RECIPES = ["1989", "modern"] as const;

/** Round error levels (percent) that iso-error curves are drawn at, when in range. */
const NICE_LEVELS = [0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 40];

function isoRun(record: TrialRecord, dir: string): IsoErrorRun {
  const recipe = record.config.recipe;
  if (!RECIPES.includes(recipe as never)) {
    throw new Error(
      `trial ${record.id}: config "recipe" is ${JSON.stringify(recipe)}, expected ` +
        `${RECIPES.join(" or ")} (is ${dir} a lecun1989-iso-error results directory?)`,
    );
  }
  return {
    recipe: recipe as string,
    trainSize: configNumber(record, "train_size"),
    passes: configNumber(record, "passes"),
    seed: configNumber(record, "seed"),
    testError: metric(record, "test_error"),
  };
}

const law = (p: ErrorLaw) =>
  `error = ${+p.E.toPrecision(3)} + ${+p.A.toPrecision(3)}·D^−${+p.alpha.toPrecision(3)} + ${+p.B
    .toPrecision(3)}·P^−${+p.beta.toPrecision(3)}`;

const times = (m: Multiplier) =>
  m.value === null
    ? "never"
    : `${m.value.toPrecision(3)}× [${m.ci[0] === null ? "never" : m.ci[0].toPrecision(3)}, ${
      m.ci[1] === null ? "never" : m.ci[1].toPrecision(3)
    }]`;

const beyond = (m: Multiplier) => (m.beyondGrid ? " (read beyond the measured grid)" : "");

/**
 * Where the 1989 recipe's measured cells reach the modern error, multipliers to `digits`
 * significant digits.
 *
 * @example
 * ```ts
 * reachedAt({ oldError: 4.5, modernError: 3.1, data: 6.86, passes: null }, 2);
 * // "at 6.9× the digits and not within the measured passes"
 * ```
 */
export function reachedAt(m: MeasuredEquivalent, digits: number): string {
  const reads = (k: number | null, what: string) =>
    k === null ? `not within the measured ${what}` : `at ${k.toPrecision(digits)}× the ${what}`;
  return `${reads(m.data, "digits")} and ${reads(m.passes, "passes")}`;
}

const measuredLine = (m: MeasuredEquivalent) =>
  `measured cells there (no law): 1989 ${m.oldError.toFixed(2)}%, modern ${
    m.modernError.toFixed(2)
  }%; the 1989 recipe's cells reach it ${reachedAt(m, 3)}`;

/**
 * Analyzes a `lecun1989-iso-error` results directory: fits both recipes, the multipliers at
 * the 1989 budget, and writes `fits.json`, `iso-error.*` and `error-vs-data.*`.
 *
 * @example
 * ```ts
 * const report = await analyzeIsoError("results/lecun1989-iso-error");
 * ```
 */
export async function analyzeIsoError(
  dir: string,
  options: ComputeEquivalentOptions & { version?: string } = {},
): Promise<AnalysisReport> {
  const { ok, other } = await finishedTrials(dir);
  const mine = ok.filter((r) => options.version === undefined || r.version === options.version);
  const runs = mine.map((record) => isoRun(record, dir));
  const result = computeEquivalent(runs, options);
  const cells = cellMeans(runs);
  const fitsPath = `${dir}/fits.json`;
  await writeJson(fitsPath, {
    experiment: "lecun1989-iso-error",
    law: "test error (%) = E + A·D^(−alpha) + B·P^(−beta), D = train digits, P = passes, per " +
      "recipe, fitted to every seed's run (Chinchilla's form and fit: Huber δ = 1e-3 on log " +
      "residuals, L-BFGS from a grid of starts)",
    method: "the modern recipe's fitted error at the reference budget is the target; data: " +
      "digits k_D·D₀ at which the 1989 law reaches it at P₀ passes; passes: k_P·P₀ on D₀ " +
      "digits; null = never (target below E + the other term). Intervals: percentile bootstrap " +
      "over seeds within each (recipe, D, P) cell, both laws refitted per resample; beyondGrid: " +
      "k·D₀ (or k·P₀) above the 1989 recipe's largest measured level. measured: the same " +
      "comparison on the cell means (mean over seeds) without the laws, log-linear between the " +
      "levels that bracket the modern mean; null = not within the grid",
    ...result,
    equations: Object.fromEntries(
      Object.entries(result.laws).map(([name, l]) => [name, law(l.params)]),
    ),
    cells,
    excluded: [...other, ...ok.filter((r) => !mine.includes(r))].map((r) => ({
      id: r.id,
      status: r.status,
      version: r.version,
      config: r.config,
    })),
  });
  const predict = (name: string) => (d: number, p: number) =>
    predictError(result.laws[name].params, d, p);
  const sizes = runs.map((r) => r.trainSize);
  const passes = runs.map((r) => r.passes);
  const [low, high] = [
    Math.min(...cells.map((c) => c.error)),
    Math.max(...cells.map((c) => c.error)),
  ];
  const nice = NICE_LEVELS.filter((level) => level >= low && level <= high);
  const levels = [
    ...nice.filter((_, i) => nice.length <= 5 || i % 2 === 0),
    result.modernError.value,
  ]
    .sort((a, b) => a - b);
  const { reference } = result;
  const plots = [
    await writePlot(
      dir,
      "iso-error",
      isoErrorSpec(RECIPES.map((recipe) => ({ recipe, predict: predict(recipe) })), {
        levels,
        trainSizes: [Math.min(...sizes), 10 * Math.max(...sizes)],
        passes: [Math.min(...passes), 10 * Math.max(...passes)],
        measured: cells.map((c) => ({ trainSize: c.trainSize, passes: c.passes })),
        highlight: result.modernError.value,
        mark: {
          ...reference,
          label: `modern recipe: ${result.modernError.value.toFixed(2)}%`,
        },
        title: "Iso-error curves of the 1989 and the modern recipe",
      }),
    ),
    await writePlot(
      dir,
      "error-vs-data",
      concatPlots(RECIPES.map((recipe) =>
        lawFitSpec(
          cells.filter((c) => c.recipe === recipe),
          predict(recipe),
          { title: `${recipe}: ${law(result.laws[recipe].params)}` },
        )
      )),
    ),
  ];
  return {
    fits: fitsPath,
    plots,
    lines: [
      ...RECIPES.map((recipe) => {
        const { params, residuals } = result.laws[recipe];
        return `${recipe}: ${law(params)} (log residuals over ${residuals.count} runs: rmse ${
          residuals.rmse.toFixed(2)
        }, largest ${residuals.maxAbsolute.toFixed(2)})`;
      }),
      `at ${
        reference.trainSize.toLocaleString("en-US")
      } digits and ${reference.passes} passes: 1989 ${result.oldError.value.toFixed(2)}%, modern ${
        result.modernError.value.toFixed(2)
      }%; the 1989 recipe needs ${times(result.data)} the digits${beyond(result.data)} or ${
        times(result.passes)
      } the passes${beyond(result.passes)} to match${
        result.belowFloor ? " (the modern error lies below its E: never at any budget)" : ""
      }${
        result.extrapolated ? "; the reference lies outside the measured grid (extrapolated)" : ""
      }`,
      ...(result.measured ? [measuredLine(result.measured)] : []),
    ],
  };
}
