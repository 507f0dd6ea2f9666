/**
 * Analysis of `gpt-data-size`: on an N × D grid (D = training-set size in tokens, trained for
 * several epochs with the best held-out loss kept: early stopping), Kaplan's
 * L(D) = (D_c/D)^α_D for the largest model and the Chinchilla fit L(N, D) = E + A/N^α + B/D^β
 * over the whole grid, both with bootstrap intervals.
 *
 * @module
 */
import { scalingPlotSpec } from "../plot/scaling_plot.ts";
import { fitChinchilla, predictChinchillaLoss } from "../scaling/chinchilla.ts";
import { fitKaplanD } from "../scaling/kaplan.ts";
import {
  type AnalysisReport,
  finishedTrials,
  metric,
  validationCurvesSpec,
  withInterval,
  writeJson,
  writePlot,
} from "./common.ts";
import { BOOTSTRAP_RESAMPLES } from "./model_size.ts";
import { bootstrapBand } from "./bands.ts";
import { chinchillaText, kaplanEquation } from "./labels.ts";
import { formatCount } from "../plot/format.ts";

/** Bootstrap resamples of the five-parameter Chinchilla fit (each refit is an L-BFGS polish). */
const CHINCHILLA_RESAMPLES = 200;

/**
 * Fits L(D) and L(N, D) to a `gpt-data-size` results directory and writes `fits.json`,
 * `loss-vs-d.*` and `curves.*` into it.
 *
 * @example
 * ```ts
 * const report = await analyzeDataSize("results/gpt-data-size");
 * ```
 */
export async function analyzeDataSize(dir: string): Promise<AnalysisReport> {
  const { ok, other } = await finishedTrials(dir);
  const points = ok.map((r) => ({
    n: metric(r, "n"),
    d: metric(r, "train_tokens"),
    loss: metric(r, "best_loss"),
    final_loss: metric(r, "loss"),
    model: `N = ${formatCount(metric(r, "n"))}`,
  }));
  const largest = Math.max(...points.map((p) => p.n));
  const top = points.filter((p) => p.n === largest);
  const lawD = fitKaplanD(
    { d: top.map((p) => p.d), loss: top.map((p) => p.loss) },
    { bootstrap: { resamples: BOOTSTRAP_RESAMPLES, seed: 0 } },
  );
  const alpha = lawD.bootstrap!.intervals.alphaD;
  const exponent = { value: -lawD.params.alphaD, lower: -alpha.upper, upper: -alpha.lower };
  const joint = fitChinchilla(
    { n: points.map((p) => p.n), d: points.map((p) => p.d), loss: points.map((p) => p.loss) },
    { bootstrap: { resamples: CHINCHILLA_RESAMPLES, seed: 0 } },
  );
  const e = joint.bootstrap!.intervals;
  const lines = [
    `L(D) at N=${largest}: ${lawD.equation}; exponent of D ${
      withInterval(exponent.value, exponent)
    }`,
    `Chinchilla: ${joint.equation}; alpha ${withInterval(joint.params.alpha, e.alpha)}, ` +
    `beta ${withInterval(joint.params.beta, e.beta)}`,
  ];
  const fitsPath = `${dir}/fits.json`;
  await writeJson(fitsPath, {
    experiment: "gpt-data-size",
    headline: lines,
    loss: "lowest held-out loss over the run's evaluations (early stopping), nats/token",
    kaplan_d: {
      law: "L(D) = (D_c/D)^alpha_D for the largest model, D = training-set tokens",
      n: largest,
      equation: lawD.equation,
      params: lawD.params,
      exponent_of_d: exponent,
      bootstrap: lawD.bootstrap,
      residuals: lawD.residuals,
    },
    chinchilla: {
      law: "L(N, D) = E + A/N^alpha + B/D^beta, N non-embedding parameters, D training-set tokens",
      equation: joint.equation,
      params: joint.params,
      derived: joint.derived,
      bootstrap: joint.bootstrap,
      residuals: joint.residuals,
    },
    points,
    excluded: other.map((r) => ({ id: r.id, status: r.status, config: r.config })),
  });
  const sizes = [...new Set(points.map((p) => p.n))].sort((a, b) => a - b);
  const tokens = points.map((p) => p.d);
  const range: [number, number] = [Math.min(...tokens), Math.max(...tokens)];
  const scale = Math.min(...points.map((p) => p.loss));
  const jp = joint.params;
  const jointStart = [[Math.log(jp.A), Math.log(jp.B), Math.log(jp.E), jp.alpha, jp.beta]];
  const jointBand = (n: number) =>
    bootstrapBand(points.length, range, (idx) => {
      const params = fitChinchilla({
        n: Array.from(idx, (i) => points[i].n),
        d: Array.from(idx, (i) => points[i].d),
        loss: Array.from(idx, (i) => points[i].loss),
      }, { starts: jointStart }).params;
      return (d) => predictChinchillaLoss(params, n, d);
    }, { resamples: CHINCHILLA_RESAMPLES, seed: 0 });
  const kaplanBand = bootstrapBand(top.length, range, (idx) => {
    const { Dc, alphaD } = fitKaplanD({
      d: Array.from(idx, (i) => top[i].d),
      loss: Array.from(idx, (i) => top[i].loss),
    }).params;
    return (d) => (Dc / d) ** alphaD;
  }, { resamples: BOOTSTRAP_RESAMPLES, seed: 0 });
  const series = (n: number) => `N = ${formatCount(n)}`;
  const jointLabel = `L(N, D), one fit over every run: ${chinchillaText(joint.params, scale)}`;
  const plots = [
    await writePlot(
      dir,
      "loss-vs-d",
      scalingPlotSpec(points, {
        x: "d",
        y: "loss",
        xTitle: "training-set tokens D",
        yTitle: "best held-out loss (nats/token)",
        color: { field: "model", title: "non-embedding parameters", order: sizes.map(series) },
        laws: [
          ...sizes.map((n) => ({
            label: jointLabel,
            series: series(n),
            predict: (d: number) => predictChinchillaLoss(joint.params, n, d),
            band: jointBand(n),
          })),
          {
            label: `L(D) at ${series(largest)}: ${
              kaplanEquation("D", lawD.params.Dc, lawD.params.alphaD)
            }`,
            series: series(largest),
            dashed: true,
            predict: (d) => (lawD.params.Dc / d) ** lawD.params.alphaD,
            band: kaplanBand,
          },
        ],
        title: {
          text: "GPT data size: L(D) and L(N, D)",
          subtitle: "lowest held-out loss of each run; bands: 95% bootstrap over runs",
        },
      }),
    ),
    await writePlot(
      dir,
      "curves",
      validationCurvesSpec(ok, {
        label: (r) => `D = ${formatCount(metric(r, "train_tokens"))}`,
        order: (r) => metric(r, "train_tokens"),
        sequential: true,
        panel: (r) => series(metric(r, "n")),
        panelOrder: (r) => metric(r, "n"),
        colorTitle: "training-set tokens",
        title: "GPT data size: held-out loss during training",
      }),
    ),
  ];
  return { fits: fitsPath, plots, lines };
}
