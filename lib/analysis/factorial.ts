/**
 * Analysis of `lecun1989-factorial`: the 1989 net's 2^6 factorial over four algorithmic
 * changes (`ce`, `adamw`, `augment`, `relu_dropout`), more data (`more_data`) and more passes
 * (`more_passes`), on y = log2 of each cell's mean test error over seeds (one unit is one
 * halving). It writes `fits.json` with every effect and its standard error, the Shapley value of
 * each factor and the sums of the three groups (algorithms, data, compute) for the drop from the
 * 1989 recipe (all off) to all on with 95% bootstrap intervals over seeds, the drops that
 * Karpathy's claims are about, the ladder's path read off the grid beside the published ladder,
 * and the figures `shapley`, `interactions` and `ladder` (`.vl.json`, `.svg`, `.png`).
 *
 * @module
 */
import { ablationBarsSpec } from "../plot/ablation_plot.ts";
import { attributionBarsSpec, interactionHeatmapSpec } from "../plot/factorial_plot.ts";
import { concatPlots } from "../plot/spec.ts";
import { VARIANTS } from "../lecun/config.ts";
import type { TrialRecord } from "../sweep/store.ts";
import {
  type AnalysisReport,
  configNumber,
  finishedTrials,
  metric,
  writeJson,
  writePlot,
} from "./common.ts";
import {
  type Attribution,
  type AttributionOptions,
  factorialAttribution,
  type FactorialAttributionResult,
  type FactorialDesign,
  type FactorialRun,
} from "./factorial_attribution.ts";

/** The six factors, in the fixed order of effect names (bit i of a cell is factor i). */
export const FACTORIAL_FACTORS = [
  "ce",
  "adamw",
  "augment",
  "relu_dropout",
  "more_data",
  "more_passes",
] as const;

/** One of {@link FACTORIAL_FACTORS}. */
export type FactorialFactor = typeof FACTORIAL_FACTORS[number];

const ALGORITHMS = ["ce", "adamw", "augment", "relu_dropout"] as const;

/**
 * The factorial's design: the three groups whose Shapley sums are reported, and the drops
 * Karpathy's claims are about (from the cell of `from` to the cell of `to`, in halvings).
 *
 * @example
 * ```ts
 * LECUN_FACTORIAL_DESIGN.groups.algorithms; // ["ce", "adamw", "augment", "relu_dropout"]
 * ```
 */
export const LECUN_FACTORIAL_DESIGN: FactorialDesign = {
  factors: FACTORIAL_FACTORS,
  groups: { algorithms: ALGORITHMS, data: ["more_data"], compute: ["more_passes"] },
  steps: {
    /** The four algorithmic changes at the 1989 data and passes. */
    algorithms_alone: { from: [], to: ALGORITHMS },
    /** More data on top of the modern algorithms trained for the longer passes. */
    data_after_algorithms: { from: [...ALGORITHMS, "more_passes"], to: FACTORIAL_FACTORS },
    /** More passes on top of the modern algorithms with more data. */
    compute_after_algorithms_and_data: {
      from: [...ALGORITHMS, "more_data"],
      to: FACTORIAL_FACTORS,
    },
  },
};

/** The two levels of data and of passes of a run. */
export interface FactorialLevels {
  /** Train digits with `more_data` off and on. */
  trainSize: [number, number];
  /** Passes with `more_passes` off and on. */
  passes: [number, number];
}

/** One rung of the ladder read off the grid. */
export interface LadderRung {
  /** The ladder variant (`baseline`, …, `modern-50k`). */
  rung: string;
  /** The grid cell it maps to. */
  cell: string;
  /** The variant's own passes and train digits, and the grid levels they map to. */
  passes: number;
  trainSize: number;
  gridPasses: number;
  gridTrainSize: number;
  /** The cell's mean and sample std of test error over seeds (percent). */
  testError: number;
  testErrorStd: number;
  seeds: number;
  /** The published single run (percent), when there is one. */
  published: number | null;
  /** The rung this one adds to, and the drop from its cell in halvings (null for the first). */
  from: string | null;
  drop: number | null;
}

/** Options of {@link analyzeFactorial}. */
export interface FactorialAnalysisOptions extends AttributionOptions {
  /** Only trials of this sweep version are analyzed; others are set aside and listed. */
  version?: string;
}

/** The level of `value` among two levels: the nearer on a log scale, ties to the lower. */
function levelOf(value: number, [low, high]: [number, number]): 0 | 1 {
  return value > Math.sqrt(low * high) ? 1 : 0;
}

/**
 * The modernization ladder (and its 50k-digit rows) as cells of the grid: each variant's four
 * algorithm switches, and the data and pass levels nearest to its own train size and passes on a
 * log scale (ties to the lower level). With 23 and 92 passes, adamw's 46 — their geometric
 * mean — maps to 23; augment (60), modern (80) and the 50k rows (100) map to 92.
 *
 * @example
 * ```ts
 * ladderCells({ trainSize: [7291, 50000], passes: [23, 92] }).map((r) => r.mask);
 * // [0, 1, 3, 39, 47, 48, 63]
 * ```
 */
export function ladderCells(levels: FactorialLevels): {
  rung: string;
  mask: number;
  passes: number;
  trainSize: number;
  published: number | null;
  from: string | null;
}[] {
  return VARIANTS.map((variant, i) => {
    const c = variant.config;
    const relu = c.activation === "relu";
    if (relu !== c.dropout > 0) {
      throw new Error(`ladder variant ${variant.name} has ReLU and dropout apart; no grid cell`);
    }
    const on = [
      c.loss === "ce",
      c.optimizer === "adamw",
      c.augment,
      relu,
      levelOf(c.trainSize, levels.trainSize) === 1,
      levelOf(c.passes, levels.passes) === 1,
    ];
    const base = variant.name.endsWith("-50k") ? variant.name.slice(0, -4) : null;
    return {
      rung: variant.name,
      mask: on.reduce((m, bit, b) => m | (bit ? 1 << b : 0), 0),
      passes: c.passes,
      trainSize: c.trainSize,
      published: variant.published.reproTest ?? null,
      from: base ?? (i === 0 ? null : VARIANTS[i - 1].name),
    };
  });
}

function factorBits(record: TrialRecord, dir: string): number {
  return FACTORIAL_FACTORS.reduce((mask, factor, i) => {
    const value = record.config[factor];
    if (value !== 0 && value !== 1) {
      throw new Error(
        `trial ${record.id}: config "${factor}" is ${JSON.stringify(value)}, expected 0 or 1 ` +
          `(is ${dir} a lecun1989-factorial results directory?)`,
      );
    }
    return mask | (value << i);
  }, 0);
}

function levelsOf(record: TrialRecord): FactorialLevels {
  const pair = (name: string): [number, number] => {
    const value = record.config[name];
    if (
      !Array.isArray(value) || value.length !== 2 ||
      !value.every((v) => typeof v === "number" && v > 0)
    ) {
      throw new Error(
        `trial ${record.id}: config "${name}" is ${JSON.stringify(value)}, expected [off, on]`,
      );
    }
    return value as [number, number];
  };
  return { trainSize: pair("data_levels"), passes: pair("pass_levels") };
}

/** Rows of fits.json's `cells`: the factor switches, levels and seed statistics. */
function cellRows(result: FactorialAttributionResult, levels: FactorialLevels, train: number[]) {
  return result.cells.map((cell) => ({
    cell: cell.name,
    ...Object.fromEntries(FACTORIAL_FACTORS.map((f, i) => [f, (cell.cell >> i) & 1])),
    train_size: levels.trainSize[(cell.cell >> 4) & 1],
    passes: levels.passes[(cell.cell >> 5) & 1],
    seeds: cell.n,
    test_error: cell.mean,
    test_error_std: cell.std,
    log2_test_error: cell.log2,
    train_error: train[cell.cell],
  }));
}

function ladderRungs(result: FactorialAttributionResult, levels: FactorialLevels): LadderRung[] {
  const rungs = ladderCells(levels);
  const maskOf = new Map(rungs.map((r) => [r.rung, r.mask]));
  return rungs.map((r) => {
    const cell = result.cells[r.mask];
    const from = r.from === null ? null : result.cells[maskOf.get(r.from)!];
    return {
      rung: r.rung,
      cell: cell.name,
      passes: r.passes,
      trainSize: r.trainSize,
      gridPasses: levels.passes[(r.mask >> 5) & 1],
      gridTrainSize: levels.trainSize[(r.mask >> 4) & 1],
      testError: cell.mean,
      testErrorStd: cell.std,
      seeds: cell.n,
      published: r.published,
      from: r.from,
      drop: from === null ? null : from.log2 - cell.log2,
    };
  });
}

const interval = (a: Attribution) =>
  `${a.value.toFixed(2)} [${a.ci[0].toFixed(2)}, ${a.ci[1].toFixed(2)}]`;

/**
 * Analyzes a `lecun1989-factorial` results directory (every one of the 64 cells needs a
 * finished trial) and writes `fits.json`, `shapley.*`, `interactions.*` and `ladder.*` into it.
 *
 * @example
 * ```ts
 * const report = await analyzeFactorial("results/lecun1989-factorial");
 * console.log(report.lines.join("\n"));
 * ```
 */
export async function analyzeFactorial(
  dir: string,
  options: FactorialAnalysisOptions = {},
): Promise<AnalysisReport> {
  const { ok, other } = await finishedTrials(dir);
  const mine = ok.filter((r) => options.version === undefined || r.version === options.version);
  if (mine.length === 0) {
    throw new Error(`${dir}: no finished trials of version ${options.version} to analyze`);
  }
  const cells = mine.map((record) => factorBits(record, dir));
  const levels = levelsOf(mine[0]);
  const runs: (FactorialRun & { train: number })[] = mine.map((record, i) => {
    const own = levelsOf(record);
    if (JSON.stringify(own) !== JSON.stringify(levels)) {
      throw new Error(
        `${dir}: trials of two level settings (${JSON.stringify(levels)} and ${
          JSON.stringify(own)
        }); analyze one preset's trials per directory`,
      );
    }
    return {
      cell: cells[i],
      seed: configNumber(record, "seed"),
      value: metric(record, "test_error"),
      train: metric(record, "train_error"),
    };
  });
  const seen = new Map<string, string>();
  mine.forEach((record, i) => {
    const id = `${runs[i].cell}|${runs[i].seed}`;
    if (seen.has(id)) {
      throw new Error(
        `${dir}: trials ${seen.get(id)} and ${record.id} are the same cell and seed ${
          runs[i].seed
        }; analyze one sweep version per directory`,
      );
    }
    seen.set(id, record.id);
  });
  const result = factorialAttribution(runs, LECUN_FACTORIAL_DESIGN, options);
  const train = result.cells.map((cell) => {
    const own = runs.filter((r) => r.cell === cell.cell);
    return own.reduce((s, r) => s + r.train, 0) / own.length;
  });
  const ladder = ladderRungs(result, levels);
  const fitsPath = `${dir}/fits.json`;
  await writeJson(fitsPath, {
    experiment: "lecun1989-factorial",
    method: {
      response: "y = log2 of a cell's mean test error (percent) over its seeds; one unit is one " +
        "halving of the error",
      effects: "Yates: contrast Σ ±y / 2^5 with the sign the product over the effect's factors " +
        "of +1 (on) or −1 (off); a main effect is mean y with the factor on minus off, and " +
        "negative values lower the error",
      se: "delta method: var(y_c) ≈ s_c²/(n_c·m_c²·ln²2) from each cell's seeds (cells with one " +
        "seed take the mean relative variance of the others), propagated through each " +
        "quantity's weights on the cells",
      shapley: "Shapley value of each factor in the game v(S) = y(none) − y(S): the drop in " +
        "halvings from the 1989 recipe (all off) to all on, shared out over every order of " +
        "switching the factors on; the values sum to the total drop",
      groups: "sums of the Shapley values of each group's factors",
      intervals:
        `${
          100 * result.bootstrap.level
        }% percentile bootstrap, ${result.bootstrap.resamples} resamples (seed ${result.bootstrap.seed}) ` +
        "of the seeds within each cell",
      ladder: "each ladder variant maps to the cell of its four algorithm switches at the data " +
        "and pass levels nearest to its own on a log scale (ties to the lower level)",
    },
    factors: FACTORIAL_FACTORS,
    levels: levels,
    groups: result.groups,
    shapley: result.shapley,
    effects: result.effects,
    shares: result.shares,
    total: result.total,
    steps: result.steps,
    precision: result.precision,
    cells: cellRows(result, levels, train),
    ladder,
    bootstrap: result.bootstrap,
    group_factors: LECUN_FACTORIAL_DESIGN.groups,
    excluded: [...other, ...ok.filter((r) => !mine.includes(r))].map((r) => ({
      id: r.id,
      status: r.status,
      version: r.version,
      config: r.config,
      error: r.error?.message,
    })),
  });
  const plots = [
    await writePlot(dir, "shapley", shapleySpec(result)),
    await writePlot(dir, "interactions", heatmapSpec(result)),
    await writePlot(dir, "ladder", ladderSpec(ladder)),
  ];
  const largest = Object.entries(result.effects)
    .filter(([name]) => name.includes(":"))
    .sort((a, b) => Math.abs(b[1].value) - Math.abs(a[1].value))
    .slice(0, 3);
  const { precision } = result;
  return {
    fits: fitsPath,
    plots,
    lines: [
      `drop from the 1989 recipe to all on: ${interval(result.total)} halvings (${
        (2 ** result.total.value).toFixed(2)
      }× lower test error)`,
      `groups (Shapley sums, halvings): ` +
      Object.entries(result.groups).map(([name, g]) => `${name} ${interval(g)}`).join(", "),
      `factors: ` +
      Object.entries(result.shapley).map(([name, g]) => `${name} ${interval(g)}`).join(", "),
      `largest interactions (log2 error): ` +
      largest.map(([name, e]) => `${name} ${e.value.toFixed(2)}`).join(", "),
      precision.met === null
        ? `precision: one seed per cell, no interval width from the seeds`
        : `precision: group half-widths ${
          Object.values(precision.halfWidth).map((w) => w!.toFixed(2)).join("/")
        } halvings with ${precision.seeds} seeds per cell; ±${precision.target} ${
          precision.met ? "met" : `needs about ${precision.seedsNeeded} seeds per cell`
        }`,
    ],
  };
}

function shapleySpec(result: FactorialAttributionResult) {
  const bars = (entries: [string, Attribution][]) =>
    entries.map(([label, a]) => ({ label, value: a.value, lower: a.ci[0], upper: a.ci[1] }));
  const level = `${100 * result.bootstrap.level}%`;
  return concatPlots([
    attributionBarsSpec(bars(Object.entries(result.shapley)), {
      title: "Shapley value of each factor",
      subtitle:
        `drop in log2 test error from the 1989 recipe to all on; ${level} bootstrap over seeds`,
      valueTitle: "halvings of test error",
    }),
    attributionBarsSpec(bars(Object.entries(result.groups)), {
      title: "Algorithms, data, compute",
      subtitle: "sums of the factors' Shapley values",
      valueTitle: "halvings of test error",
    }),
  ], { direction: "vertical" });
}

function heatmapSpec(result: FactorialAttributionResult) {
  const factors = result.factors;
  const cells = factors.flatMap((row, i) =>
    factors.slice(0, i + 1).map((column) => ({
      row,
      column,
      value: result.effects[row === column ? row : `${column}:${row}`].value,
    }))
  );
  return interactionHeatmapSpec(cells, {
    factors,
    title: "Main effects (diagonal) and two-factor interactions",
    subtitle: "on log2 test error; −1 halves the error",
    valueTitle: "effect on log2 error",
  });
}

function ladderSpec(ladder: readonly LadderRung[]) {
  return ablationBarsSpec(
    ladder.map((r) => ({
      label: `${r.rung} (${r.gridPasses} p)`,
      mean: r.testError / 100,
      std: r.testErrorStd / 100,
      published: r.published === null ? null : r.published / 100,
    })),
    {
      reference: "published",
      percent: true,
      valueTitle: "test error of the cell (tick: published ladder)",
      title: "The ladder's path through the factorial (p: the cell's passes)",
    },
  );
}
