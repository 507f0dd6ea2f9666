/**
 * Analysis of `gpt-isoflop` (Chinchilla's approach 2): at each compute budget C = 6·N·D
 * (Kaplan's convention, N non-embedding parameters), a parabola of final held-out loss in
 * log N; its minimum gives N_opt(C) and D_opt(C) = C/(6·N_opt); power laws through the minima
 * give N_opt ∝ C^a and D_opt ∝ C^b, and D_opt/N_opt is the tokens per parameter at the optimum.
 *
 * @module
 */
import { isoFlopFigureSpec } from "../../plot/isoflop_plot.ts";
import { isoFlopApproach } from "../../scaling/isoflop.ts";
import {
  type AnalysisReport,
  configNumber,
  finishedTrials,
  metric,
  validationCurvesSpec,
  writeJson,
  writePlot,
} from "./common.ts";

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
  const result = isoFlopApproach(runs, { budgets, tolerance: 0.05 });
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
  const geometricMean = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
  const fitsPath = `${dir}/fits.json`;
  await writeJson(fitsPath, {
    experiment: "gpt-isoflop",
    method: "Chinchilla approach 2: parabola of final held-out loss in log10 N per budget " +
      "C = 6·N·D (N non-embedding), then N_opt = k_N·C^a, D_opt = k_D·C^b",
    a: result.law.a,
    b: result.law.b,
    law: result.law,
    tokens_per_parameter_geometric_mean: geometricMean,
    optima,
    skipped: result.skipped,
    unassigned: result.unassigned,
    excluded: other.map((r) => ({ id: r.id, status: r.status, config: r.config })),
  });
  const plots = [
    await writePlot(
      dir,
      "isoflop",
      isoFlopFigureSpec(result, [], { title: "GPT IsoFLOP profiles" }),
    ),
    await writePlot(
      dir,
      "curves",
      validationCurvesSpec(
        ok,
        (r) => `C=${configNumber(r, "budget").toExponential(1)}, N=${metric(r, "n")}`,
        "budget, model",
        "held-out loss during training",
      ),
    ),
  ];
  return {
    fits: fitsPath,
    plots,
    lines: [
      `IsoFLOP: N_opt ∝ C^${result.law.a.toFixed(3)}, D_opt ∝ C^${result.law.b.toFixed(3)}; ` +
      `tokens per parameter at the optimum ${
        ratios.map((r) => r.toFixed(1)).join(", ")
      } (geometric mean ${geometricMean.toFixed(1)}) over ${optima.length} budgets`,
    ],
  };
}
