/**
 * Analysis of `lecun1989-scaling`: for each width multiplier (and number of passes), the test
 * error of the 1989 net against train-set size D fitted as error = E + A·D^(−β) (a power law
 * with an irreducible term, least squares on log residuals) to the median over seeds at each D
 * (robust to the occasional run that dies), with bootstrap intervals; the error-vs-D plot with
 * every seed's point and the fitted curves, and error curves over passes.
 *
 * @module
 */
import { scalingPlotSpec } from "../plot/scaling_plot.ts";
import { trainingCurvesSpec } from "../plot/training_curves.ts";
import { fitPowerLaw, predictPowerLaw } from "../scaling/power_law.ts";
import type { TrialRecord } from "../sweep/store.ts";
import {
  type AnalysisReport,
  configNumber,
  finishedTrials,
  metric,
  withInterval,
  writeJson,
  writePlot,
} from "./common.ts";
import { BOOTSTRAP_RESAMPLES } from "./model_size.ts";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const groupOf = (r: TrialRecord) =>
  `width ${configNumber(r, "width")}, ${configNumber(r, "passes")} passes`;

/**
 * Fits error(D) per width to a `lecun1989-scaling` results directory and writes `fits.json`,
 * `error-vs-d.*` and `error-vs-pass.*`.
 *
 * @example
 * ```ts
 * const report = await analyzeLecunScaling("results/lecun1989-scaling");
 * ```
 */
export async function analyzeLecunScaling(dir: string): Promise<AnalysisReport> {
  const { ok, other } = await finishedTrials(dir);
  const points = ok.map((r) => ({
    d: configNumber(r, "train_size"),
    error: metric(r, "test_error"),
    group: groupOf(r),
  }));
  const groups = [...new Set(points.map((p) => p.group))].sort();
  const medians = groups.flatMap((group) => {
    const mine = points.filter((p) => p.group === group);
    return [...new Set(mine.map((p) => p.d))].sort((a, b) => a - b).map((d) => ({
      d,
      error: median(mine.filter((p) => p.d === d).map((p) => p.error)),
      group,
    }));
  });
  const fits = groups.flatMap((group) => {
    const mine = medians.filter((p) => p.group === group);
    if (mine.length < 4) return [];
    const fit = fitPowerLaw(
      { x: mine.map((p) => p.d), y: mine.map((p) => p.error) },
      { irreducible: true, bootstrap: { resamples: BOOTSTRAP_RESAMPLES, seed: 0 } },
    );
    return [{ group, fit, points: mine.length }];
  });
  const fitsPath = `${dir}/fits.json`;
  await writeJson(fitsPath, {
    experiment: "lecun1989-scaling",
    law:
      "test error (%) = E + A·D^(−beta) per width and passes, D = train digits, fitted to the median over seeds",
    fits: fits.map(({ group, fit, points }) => ({
      group,
      E: fit.params.c,
      A: fit.params.a,
      beta: fit.params.b,
      equation: fit.equation.replace(/y/g, "error").replace(/x/g, "D"),
      bootstrap: fit.bootstrap,
      residuals: fit.residuals,
      points,
    })),
    medians,
    points,
    excluded: other.map((r) => ({ id: r.id, status: r.status, config: r.config })),
  });
  const curves = ok.flatMap((r) =>
    r.history.filter((h) => typeof h.metrics.test_error === "number").map((h) => ({
      pass: h.step,
      test_error: h.metrics.test_error,
      config: `D=${configNumber(r, "train_size")}, ${groupOf(r)}`,
    }))
  ).filter((row) => row.pass > 0);
  const plots = [
    await writePlot(
      dir,
      "error-vs-d",
      scalingPlotSpec(points, {
        x: "d",
        y: "error",
        xTitle: "train digits D",
        yTitle: "test error (%)",
        color: { field: "group", title: "net" },
        laws: fits.map(({ group, fit }) => ({
          label: `${group}: ${fit.equation.replace(/y/g, "err").replace(/x/g, "D")}`,
          predict: (d: number) => predictPowerLaw(fit.params, d),
        })),
        title: "1989 net: test error against train-set size",
      }),
    ),
    await writePlot(
      dir,
      "error-vs-pass",
      trainingCurvesSpec(curves, {
        x: "pass",
        y: "test_error",
        xTitle: "pass",
        yTitle: "test error (%)",
        colorTitle: "run",
        title: "Test error over passes",
      }),
    ),
  ];
  return {
    fits: fitsPath,
    plots,
    lines: fits.map(({ group, fit }) =>
      `${group}: error = E + A·D^−β with E ${
        withInterval(fit.params.c, fit.bootstrap!.intervals.c)
      }%, β ${withInterval(fit.params.b, fit.bootstrap!.intervals.b)}`
    ),
  };
}
