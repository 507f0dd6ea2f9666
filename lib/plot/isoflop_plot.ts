/**
 * IsoFLOP profiles (Chinchilla's approach 2): final loss against model size per compute budget,
 * each budget's parabola in log N, and the parabola minima.
 *
 * @module
 */

import type { IsoFlopResult } from "../scaling/isoflop.ts";
import { formatNumber, logAxis } from "./format.ts";
import { computeOptimalFrontierSpec, type FrontierSeries } from "./frontier_plot.ts";
import {
  concatPlots,
  LOG_SCALE,
  logSpaced,
  type PlotLayout,
  type PlotSpec,
  topLevelSpec,
} from "./spec.ts";

/**
 * A compute budget as a short label at two significant digits: `6×10¹⁸`, `9.4×10¹⁸`.
 *
 * @example
 * ```ts
 * flopsLabel(6e18); // "6×10¹⁸"
 * ```
 */
export function flopsLabel(flops: number): string {
  return formatNumber(flops, 2);
}

/** Axis titles and sampling of {@link isoFlopSpec}. */
export interface IsoFlopPlotOptions extends PlotLayout {
  /** X axis title (default `"parameters N"`). */
  xTitle?: string;
  /** Y axis title (default `"loss"`). */
  yTitle?: string;
  /** Points sampled along each parabola (default 40). */
  samples?: number;
}

/**
 * Loss against N for each budget, with parabolas and minima, from {@link isoFlopApproach}.
 *
 * @example
 * ```ts
 * const spec = isoFlopSpec(isoFlopApproach(runs, { budgets: [6e18, 1e19, 3e19] }));
 * ```
 */
export function isoFlopSpec(result: IsoFlopResult, options: IsoFlopPlotOptions = {}): PlotSpec {
  const samples = options.samples ?? 40;
  const labels = result.profiles.map((profile) => flopsLabel(profile.flops));
  const runs = result.profiles.flatMap((profile, k) =>
    profile.runs.map((run) => ({ n: run.n, loss: run.loss, budget: labels[k] }))
  );
  const curves = result.profiles.flatMap((profile, k) => {
    const sizes = profile.runs.map((run) => run.n);
    const low = Math.min(...sizes, profile.nOpt);
    const high = Math.max(...sizes, profile.nOpt);
    const [c0, c1, c2] = profile.parabola;
    return logSpaced(low, high, samples).map((n) => {
      const u = Math.log10(n);
      return { n, loss: c0 + c1 * u + c2 * u * u, budget: labels[k] };
    });
  });
  const minima = result.profiles.map((profile, k) => ({
    n: profile.nOpt,
    loss: profile.lossOpt,
    budget: labels[k],
  }));
  const x = {
    field: "n",
    type: "quantitative",
    title: options.xTitle ?? "parameters N",
    scale: LOG_SCALE,
    axis: logAxis([...runs, ...minima].map((row) => row.n)),
  };
  const y = {
    field: "loss",
    type: "quantitative",
    title: options.yTitle ?? "loss",
    scale: { zero: false },
  };
  const color = {
    field: "budget",
    type: "ordinal",
    title: "compute (FLOPs)",
    sort: labels,
    scale: { scheme: { name: "viridis", extent: [0, 0.85] } },
  };
  const title = typeof options.title === "string"
    ? { text: options.title, subtitle: "lines: parabola fits in log N; diamonds: their minima" }
    : options.title;
  return topLevelSpec({
    ...(title === undefined ? {} : { title }),
    // The axes are shared by every layer, written once.
    encoding: { x, y },
    layer: [
      {
        data: { values: runs },
        mark: { type: "point", filled: true, size: 36, opacity: 0.8 },
        encoding: { color },
      },
      {
        data: { values: curves },
        mark: { type: "line", strokeWidth: 1.5 },
        encoding: { color },
      },
      {
        data: { values: minima },
        mark: { type: "point", shape: "diamond", filled: true, size: 110, color: "black" },
        encoding: {
          tooltip: [
            { field: "budget", type: "nominal", title: "budget" },
            { field: "n", type: "quantitative", format: ".3~s", title: "N_opt" },
            { field: "loss", type: "quantitative", format: ".4f" },
          ],
        },
      },
    ],
  }, options);
}

/**
 * Hoffmann et al.'s Figure 3 layout, stacked to stay readable at 800 px: the IsoFLOP profiles
 * across the top, then N_opt(C) and D_opt(C) through the profile minima side by side, with any
 * further estimates (e.g. approach 3) drawn beside approach 2. `bands` are the 95% bands of
 * approach 2's laws.
 *
 * @example
 * ```ts
 * const spec = isoFlopFigureSpec(result, [{ label: "approach 3", law: parametricComputeOptimalLaw(fit.params) }]);
 * ```
 */
export function isoFlopFigureSpec(
  result: IsoFlopResult,
  others: readonly FrontierSeries[] = [],
  options: {
    title?: string;
    /** Y title of the profiles (default `"loss"`). */
    lossTitle?: string;
    bands?: FrontierSeries["bands"];
    intervals?: FrontierSeries["intervals"];
  } = {},
): PlotSpec {
  const series: FrontierSeries[] = [
    {
      label: "approach 2",
      law: result.law,
      points: result.profiles.map((p) => ({ flops: p.flops, n: p.nOpt, d: p.dOpt })),
      bands: options.bands,
      intervals: options.intervals,
    },
    ...others,
  ];
  const panel = { width: 250, height: 220 };
  return concatPlots([
    isoFlopSpec(result, {
      width: 540,
      height: 250,
      title: "IsoFLOP profiles",
      yTitle: options.lossTitle,
    }),
    concatPlots([
      computeOptimalFrontierSpec(series, { ...panel, quantity: "n", title: "optimal model size" }),
      computeOptimalFrontierSpec(series, {
        ...panel,
        quantity: "d",
        title: "optimal training tokens",
      }),
    ]),
  ], { direction: "vertical", title: options.title });
}
