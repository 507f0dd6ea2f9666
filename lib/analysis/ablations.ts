/**
 * Analysis of `gpt-ablations`: what each algorithmic change is worth in compute.
 *
 * For a variant and the baseline, log loss is fitted against log compute with a slope shared by
 * both and an intercept each, log L = c − k·log C (least squares over every seed's run). At equal
 * loss the variant then needs m = exp((c_variant − c_baseline)/k) times the baseline's compute:
 * m > 1 means the change from the baseline to the variant costs that factor of compute (the
 * baseline's choice is worth m×), m < 1 that the variant is better. Intervals: percentile
 * bootstrap over seeds, resampled with replacement within each (variant, budget) cell.
 *
 * @module
 */
import { formatNumber, labelLookup } from "../plot/format.ts";
import { BOTTOM_LEGEND, LOG_SCALE, logSpaced, type PlotSpec, topLevelSpec } from "../plot/spec.ts";
import { bootstrapBand } from "./bands.ts";
import { ablationLabel } from "./labels.ts";
import {
  type AnalysisReport,
  configNumber,
  finishedTrials,
  metric,
  withInterval,
  writeJson,
  writePlot,
} from "./common.ts";
import { mulberry32 } from "../random/mulberry32.ts";

/** One run of an ablation grid. */
export interface AblationRun {
  /** The variant's name (the baseline's too). */
  variant: string;
  /** Its compute budget C (FLOPs). */
  compute: number;
  seed: number;
  /** Final held-out loss. */
  loss: number;
}

/** A variant's compute multiplier relative to the baseline. */
export interface ComputeMultiplier {
  variant: string;
  /** C_variant / C_baseline at equal loss (NaN when loss does not fall with compute). */
  multiplier: number;
  /** Percentile bootstrap interval. */
  lower: number;
  upper: number;
  /** Shared slope k of log L against log C. */
  slope: number;
  /** Intercepts c of the baseline and the variant. */
  baselineIntercept: number;
  variantIntercept: number;
  /** Runs of the variant used. */
  runs: number;
}

/** Options of {@link computeMultipliers}. */
export interface MultiplierOptions {
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  /** Bootstrap seed (default 0). */
  seed?: number;
  /** Interval coverage (default 0.95). */
  level?: number;
}

interface SharedSlopeFit {
  slope: number;
  intercepts: [number, number];
}

/** Least squares of log L = c_g − k·log C over two groups with a shared k. */
function sharedSlope(groups: readonly (readonly AblationRun[])[]): SharedSlopeFit {
  let sxy = 0, sxx = 0;
  const means = groups.map((runs) => {
    const x = runs.reduce((s, r) => s + Math.log(r.compute), 0) / runs.length;
    const y = runs.reduce((s, r) => s + Math.log(r.loss), 0) / runs.length;
    for (const r of runs) {
      sxy += (Math.log(r.compute) - x) * (Math.log(r.loss) - y);
      sxx += (Math.log(r.compute) - x) ** 2;
    }
    return { x, y };
  });
  const slope = -sxy / sxx;
  return {
    slope,
    intercepts: [means[0].y + slope * means[0].x, means[1].y + slope * means[1].x],
  };
}

function multiplierOf(fit: SharedSlopeFit): number {
  return fit.slope > 0 ? Math.exp((fit.intercepts[1] - fit.intercepts[0]) / fit.slope) : NaN;
}

function quantile(sorted: readonly number[], q: number): number {
  const at = q * (sorted.length - 1);
  const below = Math.floor(at), above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (at - below) * (sorted[above] - sorted[below]);
}

/** Runs grouped by budget (cells), for resampling seeds within each cell. */
function cells(runs: readonly AblationRun[]): AblationRun[][] {
  const byBudget = new Map<number, AblationRun[]>();
  for (const r of runs) byBudget.set(r.compute, [...(byBudget.get(r.compute) ?? []), r]);
  return [...byBudget.values()];
}

/**
 * The compute multiplier of every variant against `baseline`, with bootstrap intervals.
 *
 * @example
 * ```ts
 * const runs = [
 *   { variant: "base", compute: 1e12, seed: 0, loss: 2.0 }, { variant: "base", compute: 1e13, seed: 0, loss: 1.6 },
 *   { variant: "relu", compute: 1e12, seed: 0, loss: 2.1 }, { variant: "relu", compute: 1e13, seed: 0, loss: 1.7 },
 * ];
 * computeMultipliers(runs, "base")[0].multiplier; // > 1: ReLU needs more compute
 * ```
 */
export function computeMultipliers(
  runs: readonly AblationRun[],
  baseline: string,
  options: MultiplierOptions = {},
): ComputeMultiplier[] {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const base = runs.filter((r) => r.variant === baseline);
  if (new Set(base.map((r) => r.compute)).size < 2) {
    throw new RangeError(
      `compute multipliers need the baseline "${baseline}" at two or more budgets, got ${
        new Set(base.map((r) => r.compute)).size
      }`,
    );
  }
  const variants = [...new Set(runs.map((r) => r.variant))].filter((v) => v !== baseline);
  return variants.map((variant, k) => {
    const mine = runs.filter((r) => r.variant === variant);
    const fit = sharedSlope([base, mine]);
    const random = mulberry32((options.seed ?? 0) + k);
    const baseCells = cells(base), mineCells = cells(mine);
    const resample = (groups: AblationRun[][]) =>
      groups.flatMap((cell) => cell.map(() => cell[Math.floor(random() * cell.length)]));
    const draws: number[] = [];
    for (let i = 0; i < resamples; i++) {
      const m = multiplierOf(sharedSlope([resample(baseCells), resample(mineCells)]));
      if (Number.isFinite(m)) draws.push(m);
    }
    draws.sort((a, b) => a - b);
    return {
      variant,
      multiplier: multiplierOf(fit),
      lower: draws.length > 0 ? quantile(draws, (1 - level) / 2) : NaN,
      upper: draws.length > 0 ? quantile(draws, (1 + level) / 2) : NaN,
      slope: fit.slope,
      baselineIntercept: fit.intercepts[0],
      variantIntercept: fit.intercepts[1],
      runs: mine.length,
    };
  });
}

/** Variants in figure order: the baseline, then by multiplier (most compute saved first). */
function variantOrder(multipliers: readonly ComputeMultiplier[], baseline: string): string[] {
  const sorted = [...multipliers].sort((p, q) => p.multiplier - q.multiplier);
  return [baseline, ...sorted.map((m) => m.variant)].map(ablationLabel);
}

/** The variant's colour encoding, shared by both figures so a variant keeps its colour. */
function variantColor(order: readonly string[], legend: unknown) {
  return { field: "label", type: "nominal", title: null, scale: { domain: order }, legend };
}

/** The multipliers on a log axis with their intervals and a rule at 1 (no effect). */
function multiplierSpec(rows: ComputeMultiplier[], baseline: string): PlotSpec {
  const order = variantOrder(rows, baseline);
  const values = rows.map((r) => ({
    ...r,
    label: ablationLabel(r.variant),
    text: `${formatNumber(r.multiplier)}× [${formatNumber(r.lower)}, ${formatNumber(r.upper)}]`,
  }));
  const y = {
    field: "label",
    type: "nominal",
    sort: order.slice(1),
    title: null,
    axis: { labelLimit: 0 },
  };
  const x = (field: string) => ({
    field,
    type: "quantitative",
    scale: { ...LOG_SCALE, padding: 40 },
    title: "compute multiplier (×), log scale",
  });
  const color = variantColor(order, null);
  return topLevelSpec({
    title: {
      text: "Compute multipliers of the ablations",
      subtitle: [
        "compute the variant needs to reach the baseline's loss (baseline = 1);",
        "95% bootstrap interval over seeds; right of 1 the change costs compute",
      ],
    },
    layer: [
      {
        data: { values: [{ one: 1 }] },
        mark: { type: "rule", strokeDash: [4, 3], color: "#888" },
        encoding: { x: x("one") },
      },
      {
        data: { values },
        mark: { type: "rule", strokeWidth: 2.5 },
        encoding: { y, x: x("lower"), x2: { field: "upper" }, color },
      },
      {
        data: { values },
        mark: { type: "point", filled: true, size: 90, opacity: 1 },
        encoding: {
          y,
          x: x("multiplier"),
          color,
          tooltip: [
            { field: "label", type: "nominal", title: "change" },
            { field: "text", type: "nominal", title: "multiplier [95% CI]" },
          ],
        },
      },
      {
        data: { values },
        mark: { type: "text", align: "center", baseline: "bottom", dy: -9, fontSize: 11 },
        encoding: { y, x: x("multiplier"), text: { field: "text" }, color: { value: "#333" } },
      },
    ],
  }, { width: 420, height: 52 * rows.length + 20 });
}

/** Geometric-mean loss per (variant, budget) with each variant's shared-slope line and band. */
function lossVsComputeSpec(
  runs: readonly AblationRun[],
  multipliers: readonly ComputeMultiplier[],
  baseline: string,
): PlotSpec {
  const means = new Map<string, { variant: string; compute: number; loss: number; n: number }>();
  for (const r of runs) {
    const key = `${r.variant}|${r.compute}`;
    const m = means.get(key) ?? { variant: r.variant, compute: r.compute, loss: 0, n: 0 };
    m.loss += Math.log(r.loss);
    m.n++;
    means.set(key, m);
  }
  const points = [...means.values()].map((m) => ({
    ...m,
    label: ablationLabel(m.variant),
    loss: Math.exp(m.loss / m.n),
  }));
  const budgets = [...new Set(runs.map((r) => r.compute))].sort((a, b) => a - b);
  const range: [number, number] = [budgets[0], budgets[budgets.length - 1]];
  const base = runs.filter((r) => r.variant === baseline);
  /** The fitted line of `variant` (its intercept under the slope shared with the baseline). */
  const lineOf = (groups: readonly (readonly AblationRun[])[]) => {
    const fit = sharedSlope(groups);
    return (c: number) => Math.exp(fit.intercepts[1] - fit.slope * Math.log(c));
  };
  const variants = [baseline, ...multipliers.map((m) => m.variant)];
  const lines = variants.flatMap((variant) => {
    const mine = runs.filter((r) => r.variant === variant);
    const line = lineOf([base, mine]);
    return logSpaced(range[0], range[1], 12).map((compute) => ({
      variant,
      label: ablationLabel(variant),
      compute,
      loss: line(compute),
    }));
  });
  const bands = variants.flatMap((variant, k) => {
    const mine = runs.filter((r) => r.variant === variant);
    const pool = variant === baseline ? mine : [...base, ...mine];
    // Seeds are resampled within each (variant, budget) cell, as for the multipliers.
    const strata = new Map<string, number[]>();
    pool.forEach((r, i) => {
      const key = `${r.variant}|${r.compute}`;
      strata.set(key, [...(strata.get(key) ?? []), i]);
    });
    const band = bootstrapBand(pool.length, range, (idx) => {
      const sample = Array.from(idx, (i) => pool[i]);
      const own = sample.filter((r) => r.variant === variant);
      return lineOf([
        variant === baseline ? own : sample.filter((r) => r.variant === baseline),
        own,
      ]);
    }, { resamples: 1000, seed: k, strata: [...strata.values()], samples: 10 });
    return (band ?? []).map((row) => ({
      label: ablationLabel(variant),
      compute: row.x,
      lower: row.lower,
      upper: row.upper,
    }));
  });
  const x = {
    field: "compute",
    type: "quantitative",
    scale: LOG_SCALE,
    title: "compute C (FLOPs)",
    axis: {
      values: budgets,
      labelExpr: labelLookup(Object.fromEntries(budgets.map((c) => [String(c), formatNumber(c)]))),
    },
  };
  const y = (field: string) => ({
    field,
    type: "quantitative",
    scale: LOG_SCALE,
    title: "held-out loss (nats/token)",
  });
  const color = variantColor(variantOrder(multipliers, baseline), BOTTOM_LEGEND);
  return topLevelSpec({
    title: {
      text: "Loss against compute per variant",
      subtitle: [
        "points: geometric mean over seeds; lines: log L = c − k·log C with k shared with the",
        "baseline (each variant fitted with it); bands: 95% bootstrap over seeds",
      ],
    },
    layer: [
      {
        data: { values: bands },
        mark: { type: "area", opacity: 0.14 },
        encoding: { x, y: y("lower"), y2: { field: "upper" }, color, detail: { field: "label" } },
      },
      {
        data: { values: lines },
        mark: { type: "line", strokeWidth: 2 },
        encoding: { x, y: y("loss"), color },
      },
      {
        data: { values: points },
        mark: { type: "point", filled: true, size: 60, opacity: 1 },
        encoding: {
          x,
          y: y("loss"),
          color,
          tooltip: [
            { field: "label", type: "nominal", title: "variant" },
            { field: "compute", type: "quantitative", format: ".3~s" },
            { field: "loss", type: "quantitative", format: ".4~g" },
          ],
        },
      },
    ],
  }, { width: 520, height: 320 });
}

/**
 * Computes the multipliers of a `gpt-ablations` results directory (trial configs carry
 * `variant` and `budget`) and writes `fits.json`, `multipliers.*` and `loss-vs-compute.*`.
 *
 * @example
 * ```ts
 * const report = await analyzeAblations("results/gpt-ablations", "baseline");
 * ```
 */
export async function analyzeAblations(dir: string, baseline: string): Promise<AnalysisReport> {
  const { ok, other } = await finishedTrials(dir);
  const runs: AblationRun[] = ok.map((r) => ({
    variant: String(r.config.variant),
    compute: configNumber(r, "budget"),
    seed: configNumber(r, "seed"),
    loss: metric(r, "loss"),
  }));
  const multipliers = computeMultipliers(runs, baseline);
  const lines = multipliers.map((m) =>
    `${ablationLabel(m.variant)}: ${withInterval(m.multiplier, m)}× the compute of the ` +
    `baseline at equal loss`
  );
  const fitsPath = `${dir}/fits.json`;
  await writeJson(fitsPath, {
    experiment: "gpt-ablations",
    headline: lines,
    method: "log L = c_variant − k·log C with k shared by the variant and the baseline " +
      "(least squares over every seed's run); multiplier = exp((c_variant − c_baseline)/k) = " +
      "C_variant/C_baseline at equal loss; 95% percentile bootstrap over seeds within each budget",
    baseline,
    multipliers,
    runs,
    excluded: other.map((r) => ({
      id: r.id,
      status: r.status,
      config: r.config,
      error: r.error?.message,
    })),
  });
  const plots = [
    await writePlot(dir, "multipliers", multiplierSpec(multipliers, baseline)),
    await writePlot(dir, "loss-vs-compute", lossVsComputeSpec(runs, multipliers, baseline)),
  ];
  return {
    fits: fitsPath,
    plots,
    lines,
  };
}
