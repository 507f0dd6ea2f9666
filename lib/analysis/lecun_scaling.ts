/**
 * Analysis of `lecun1989-scaling`: for each width multiplier (and number of passes), the test
 * error of the 1989 net against train-set size D fitted as error = E + A·D^(−β) (a power law
 * with an irreducible term, least squares on log residuals) to the median over seeds at each D
 * (robust to the occasional run that dies), with bootstrap intervals; the error-vs-D plot with
 * every seed's point and the fitted curves, and error curves over passes.
 *
 * @module
 */
import { formatCount, orderByValue } from "../plot/format.ts";
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
import { bootstrapBand } from "./bands.ts";
import { powerLawText } from "./labels.ts";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const groupOf = (r: TrialRecord) =>
  `width ${configNumber(r, "width")}, ${configNumber(r, "passes")} passes`;

/** The group's figure label: `width ×1.5`, with the passes when the grid has several. */
function groupLabel(records: readonly TrialRecord[]): (r: TrialRecord) => string {
  const passes = new Set(records.map((r) => configNumber(r, "passes")));
  return (r) =>
    `width ×${configNumber(r, "width")}` +
    (passes.size > 1 ? `, ${configNumber(r, "passes")} passes` : "");
}

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
  const label = groupLabel(ok);
  const points = ok.map((r) => ({
    d: configNumber(r, "train_size"),
    error: metric(r, "test_error"),
    group: groupOf(r),
    net: label(r),
  }));
  const byWidth = (r: TrialRecord) => configNumber(r, "width") * 1e6 + configNumber(r, "passes");
  const groups = orderByValue(ok.map((r) => [groupOf(r), byWidth(r)] as const));
  const nets = orderByValue(ok.map((r) => [label(r), byWidth(r)] as const));
  const netOf = new Map(points.map((p) => [p.group, p.net]));
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
  const lines = fits.map(({ group, fit }) =>
    `${group}: error = E + A·D^−β with E ${
      withInterval(fit.params.c, fit.bootstrap!.intervals.c)
    }%, β ${withInterval(fit.params.b, fit.bootstrap!.intervals.b)}`
  );
  const fitsPath = `${dir}/fits.json`;
  await writeJson(fitsPath, {
    experiment: "lecun1989-scaling",
    headline: lines,
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
      digits: `D = ${formatCount(configNumber(r, "train_size"))}`,
      net: label(r),
      trial: r.id,
    }))
  ).filter((row) => row.pass > 0);
  const digitOrder = orderByValue(
    ok.map((r) =>
      [`D = ${formatCount(configNumber(r, "train_size"))}`, configNumber(r, "train_size")] as const
    ),
  );
  const bandOf = (group: string, fit: { params: { a: number; b: number; c: number } }) => {
    const mine = medians.filter((p) => p.group === group);
    const start = [[Math.log(fit.params.a), fit.params.b, Math.log(fit.params.c)]];
    const sizes = mine.map((p) => p.d);
    return bootstrapBand(mine.length, [Math.min(...sizes), Math.max(...sizes)], (idx) => {
      const params = fitPowerLaw(
        { x: Array.from(idx, (i) => mine[i].d), y: Array.from(idx, (i) => mine[i].error) },
        { irreducible: true, starts: start },
      ).params;
      return (d) => predictPowerLaw(params, d);
    }, { resamples: BOOTSTRAP_RESAMPLES, seed: 0 });
  };
  const scale = Math.min(...points.map((p) => p.error));
  const plots = [
    await writePlot(
      dir,
      "error-vs-d",
      scalingPlotSpec(points, {
        x: "d",
        y: "error",
        xTitle: "train digits D",
        xFormat: "~s",
        yTitle: "test error (%)",
        color: { field: "net", title: "net (width multiplier)", order: nets },
        laws: fits.map(({ group, fit }) => ({
          label: powerLawText("err", "D", fit.params, scale),
          series: netOf.get(group)!,
          predict: (d: number) => predictPowerLaw(fit.params, d),
          band: bandOf(group, fit),
        })),
        title: {
          text: "1989 net: test error against train-set size",
          subtitle: "every seed's run; fits to the median over seeds, bands: 95% bootstrap",
        },
      }),
    ),
    await writePlot(
      dir,
      "error-vs-pass",
      trainingCurvesSpec(curves, {
        x: "pass",
        y: "test_error",
        color: "digits",
        order: digitOrder,
        sequential: true,
        detail: "trial",
        facet: { field: "net", order: nets },
        xTitle: "pass",
        yTitle: "test error (%)",
        colorTitle: "train digits",
        title: "1989 net: test error over passes, every seed",
      }),
    ),
  ];
  return {
    fits: fitsPath,
    plots,
    lines,
  };
}
