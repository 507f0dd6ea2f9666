/**
 * Analysis of `gpt-model-size`: Kaplan's L(N) = (N_c/N)^α_N fitted to the final held-out loss
 * against non-embedding parameters N, with bootstrap intervals; the scaling plot and the
 * held-out loss curves.
 *
 * @module
 */
import { scalingPlotSpec } from "../plot/scaling_plot.ts";
import { fitKaplanN } from "../scaling/kaplan.ts";
import { bootstrapBand } from "./bands.ts";
import { kaplanEquation } from "./labels.ts";
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

/** Bootstrap resamples of the fits. */
export const BOOTSTRAP_RESAMPLES = 1000;

/**
 * Fits L(N) to a `gpt-model-size` results directory and writes `fits.json`, `loss-vs-n.*` and
 * `curves.*` into it.
 *
 * @example
 * ```ts
 * const report = await analyzeModelSize("results/gpt-model-size");
 * console.log(report.lines.join("\n"));
 * ```
 */
export async function analyzeModelSize(dir: string): Promise<AnalysisReport> {
  const { ok, other } = await finishedTrials(dir);
  const points = ok.map((r) => ({
    n: metric(r, "n"),
    loss: metric(r, "loss"),
    model: `${configNumber(r, "layers")}×${configNumber(r, "width")}`,
  }));
  const fit = fitKaplanN(
    { n: points.map((p) => p.n), loss: points.map((p) => p.loss) },
    { bootstrap: { resamples: BOOTSTRAP_RESAMPLES, seed: 0 } },
  );
  const bootstrap = { resamples: BOOTSTRAP_RESAMPLES, seed: 0 };
  const sizes = points.map((p) => p.n);
  const band = bootstrapBand(points.length, [Math.min(...sizes), Math.max(...sizes)], (idx) => {
    const { Nc, alphaN } = fitKaplanN({
      n: Array.from(idx, (i) => points[i].n),
      loss: Array.from(idx, (i) => points[i].loss),
    }).params;
    return (n) => (Nc / n) ** alphaN;
  }, bootstrap);
  const alpha = fit.bootstrap!.intervals.alphaN;
  const exponent = { value: -fit.params.alphaN, lower: -alpha.upper, upper: -alpha.lower };
  const lines = [
    `L(N): ${fit.equation}; exponent of N ${withInterval(exponent.value, exponent)} ` +
    `(95% bootstrap CI, ${points.length} models)`,
  ];
  const fitsPath = `${dir}/fits.json`;
  await writeJson(fitsPath, {
    experiment: "gpt-model-size",
    headline: lines,
    law:
      "L(N) = (N_c/N)^alpha_N, N = non-embedding parameters, L = final held-out loss (nats/token)",
    equation: fit.equation,
    params: fit.params,
    exponent_of_n: exponent,
    bootstrap: fit.bootstrap,
    residuals: fit.residuals,
    points,
    excluded: other.map((r) => ({ id: r.id, status: r.status, config: r.config })),
  });
  const plots = [
    await writePlot(
      dir,
      "loss-vs-n",
      scalingPlotSpec(points, {
        x: "n",
        y: "loss",
        xTitle: "non-embedding parameters N",
        yTitle: "held-out loss (nats/token)",
        pointLabel: "model",
        tooltip: ["model"],
        laws: [{
          label: `${kaplanEquation("N", fit.params.Nc, fit.params.alphaN)} (95% band)`,
          predict: (n) => (fit.params.Nc / n) ** fit.params.alphaN,
          band,
        }],
        title: {
          text: "GPT model size: L(N)",
          subtitle: `${points.length} models, labelled layers×width; band: bootstrap over models`,
        },
      }),
    ),
    await writePlot(
      dir,
      "curves",
      validationCurvesSpec(ok, {
        label: (r) => `${configNumber(r, "layers")}×${configNumber(r, "width")}`,
        order: (r) => metric(r, "n"),
        colorTitle: "layers×width",
        title: "GPT model size: held-out loss during training",
      }),
    ),
  ];
  return {
    fits: fitsPath,
    plots,
    lines,
  };
}
