/**
 * Analysis of `gpt-isoflop` (Chinchilla's approach 2): at each compute budget C = 6·N·D
 * (Kaplan's convention, N non-embedding parameters), a parabola of final held-out loss in
 * log N; its minimum gives N_opt(C) and D_opt(C) = C/(6·N_opt); power laws through the minima
 * give N_opt ∝ C^a and D_opt ∝ C^b, and D_opt/N_opt is the tokens per parameter at the optimum.
 * 95% percentile bootstrap intervals come from 1,000 resamples (seed 0) of the runs with
 * replacement within each budget (unavailable, and said so, when more than half of the resamples
 * have a budget with fewer than three distinct sizes or a parabola opening downward).
 *
 * @module
 */
import { formatCount, formatNumber } from "../plot/format.ts";
import { frontierRange } from "../plot/frontier_plot.ts";
import { isoFlopFigureSpec } from "../plot/isoflop_plot.ts";
import { bootstrapBand } from "./bands.ts";
import { BootstrapFailure } from "../scaling/bootstrap.ts";
import { isoFlopApproach, type IsoFlopResult } from "../scaling/isoflop.ts";
import {
  type AnalysisReport,
  configNumber,
  finishedTrials,
  metric,
  validationCurvesSpec,
  withInterval,
  writeJson,
  writePlot,
} from "./common.ts";

/** Bootstrap of the law: resamples of the runs within each budget. */
const BOOTSTRAP = { resamples: 1000, seed: 0, level: 0.95 };

/** Index of the budget nearest to `flops` in log space. */
function nearestBudget(budgets: readonly number[], flops: number): number {
  let best = 0;
  budgets.forEach((b, k) => {
    if (Math.abs(Math.log(flops / b)) < Math.abs(Math.log(flops / budgets[best]))) best = k;
  });
  return best;
}

/**
 * Runs approach 2 on a `gpt-isoflop` results directory and writes `fits.json`, `isoflop.*`
 * and `curves.*` into it.
 *
 * @example
 * ```ts
 * const report = await analyzeIsoFlop("results/gpt-isoflop");
 * ```
 */
export async function analyzeIsoFlop(dir: string): Promise<AnalysisReport> {
  const { ok, other } = await finishedTrials(dir);
  const runs = ok.map((r) => ({
    n: metric(r, "n"),
    flops: metric(r, "flops_6nd"),
    loss: metric(r, "loss"),
  }));
  const budgets = [...new Set(ok.map((r) => configNumber(r, "budget")))].sort((a, b) => a - b);
  const options = { budgets, tolerance: 0.05 };
  let result: IsoFlopResult;
  let bootstrapError: string | undefined;
  try {
    result = isoFlopApproach(runs, { ...options, bootstrap: BOOTSTRAP });
  } catch (error) {
    if (!(error instanceof BootstrapFailure)) throw error;
    result = isoFlopApproach(runs, options);
    bootstrapError = error.message;
  }
  const boot = result.bootstrap;
  const interval = (name: string) => {
    if (!boot) return null;
    const { lower, upper } = boot.intervals[name];
    return { lower, upper };
  };
  const shown = (value: number, name: string) => {
    const bounds = interval(name);
    return bounds ? withInterval(value, bounds) : value.toPrecision(3);
  };
  const optima = result.profiles.map((p) => ({
    budget: p.flops,
    n_opt: p.nOpt,
    d_opt: p.dOpt,
    tokens_per_parameter: p.dOpt / p.nOpt,
    loss_opt: p.lossOpt,
    interior: p.interior,
    runs: p.runs.length,
  }));
  const ratios = optima.map((o) => o.tokens_per_parameter);
  const geometricMean = result.tokensPerParameter;
  const lines = [
    `IsoFLOP: N_opt ∝ C^a, a = ${shown(result.law.a, "a")}; ` +
    `D_opt ∝ C^b, b = ${shown(result.law.b, "b")}; ` +
    `tokens per parameter at the optimum ${
      ratios.map((r) => r.toFixed(1)).join(", ")
    } (geometric mean ${shown(geometricMean, "tokensPerParameter")}) over ${optima.length} budgets`,
    boot
      ? `  ${
        Math.round(boot.level * 100)
      }% bootstrap intervals: ${boot.resamples} resamples of the runs within each ` +
        `budget, seed ${boot.seed}, ${boot.failed} failed (a degenerate or non-convex parabola)`
      : `  no bootstrap intervals: ${bootstrapError}`,
  ];
  const fitsPath = `${dir}/fits.json`;
  await writeJson(fitsPath, {
    experiment: "gpt-isoflop",
    headline: lines,
    method: "Chinchilla approach 2: parabola of final held-out loss in log10 N per budget " +
      "C = 6·N·D (N non-embedding), then N_opt = k_N·C^a, D_opt = k_D·C^b",
    a: result.law.a,
    a_interval: interval("a"),
    b: result.law.b,
    b_interval: interval("b"),
    law: result.law,
    tokens_per_parameter_geometric_mean: geometricMean,
    tokens_per_parameter_geometric_mean_interval: interval("tokensPerParameter"),
    bootstrap: {
      method: "runs resampled with replacement within each budget; parabolas and power laws " +
        "refitted; percentile intervals",
      resamples: BOOTSTRAP.resamples,
      seed: BOOTSTRAP.seed,
      level: BOOTSTRAP.level,
      failed: boot?.failed ?? null,
      ...(bootstrapError ? { error: bootstrapError } : {}),
      failed_means: "a budget's resample had fewer than 3 distinct sizes or a parabola " +
        "opening downward",
    },
    optima,
    skipped: result.skipped,
    unassigned: result.unassigned,
    excluded: other.map((r) => ({ id: r.id, status: r.status, config: r.config })),
  });
  // Bands of N_opt(C) and D_opt(C): approach 2 refitted on the runs resampled within each
  // budget, as the intervals of a and b are.
  const strata = budgets.map((_, k) =>
    runs.flatMap((_, i) => nearestBudget(budgets, runs[i].flops) === k ? [i] : [])
  ).filter((stratum) => stratum.length > 0);
  const range = frontierRange(result.profiles.map((p) => p.flops));
  const lawBand = (quantity: "n" | "d") =>
    bootstrapBand(runs.length, range, (idx) => {
      const refit = isoFlopApproach(Array.from(idx, (i) => runs[i]), options);
      if (refit.profiles.length < result.profiles.length) {
        throw new RangeError("a budget's resample has no parabola minimum");
      }
      const law = refit.law;
      const [k, e] = quantity === "n" ? [law.nCoefficient, law.a] : [law.dCoefficient, law.b];
      return (c) => k * c ** e;
    }, { ...BOOTSTRAP, strata });
  const plots = [
    await writePlot(
      dir,
      "isoflop",
      isoFlopFigureSpec(result, [], {
        title: "GPT IsoFLOP profiles and the compute-optimal frontier",
        lossTitle: "held-out loss (nats/token)",
        bands: boot ? { n: lawBand("n"), d: lawBand("d") } : undefined,
        intervals: boot ? { a: interval("a")!, b: interval("b")! } : undefined,
      }),
    ),
    await writePlot(
      dir,
      "curves",
      validationCurvesSpec(ok, {
        label: (r) => `N = ${formatCount(metric(r, "n"))}`,
        order: (r) => metric(r, "n"),
        sequential: true,
        panel: (r) => `C = ${formatNumber(configNumber(r, "budget"), 2)} FLOPs`,
        panelOrder: (r) => configNumber(r, "budget"),
        colorTitle: "non-embedding parameters",
        title: "GPT IsoFLOP runs: held-out loss during training",
      }),
    ),
  ];
  return {
    fits: fitsPath,
    plots,
    lines,
  };
}
