/**
 * The compute-optimal frontier: N_opt (or D_opt) against compute C on log-log axes, one power
 * law per estimate (approach 1, 2, 3 or a published law), with the optima each was fitted to.
 *
 * @module
 */

import type { ComputeOptimalLaw } from "../scaling/compute_optimal.ts";
import { formatNumber, labelLookup, logAxis } from "./format.ts";
import {
  type BandRow,
  BOTTOM_LEGEND,
  LOG_SCALE,
  logSpaced,
  type PlotLayout,
  type PlotSpec,
  topLevelSpec,
} from "./spec.ts";

/** One estimate of the frontier. */
export interface FrontierSeries {
  /** Its name, e.g. `"approach 2 (IsoFLOP)"`; the legend adds the exponent. */
  label: string;
  /** N_opt = k_N·C^a, D_opt = k_D·C^b. */
  law: ComputeOptimalLaw;
  /** Optima the law was fitted to, drawn as points. */
  points?: readonly { flops: number; n: number; d: number }[];
  /** 95% bands of N_opt(C) and D_opt(C), shaded in the series' colour. */
  bands?: { n?: readonly BandRow[]; d?: readonly BandRow[] };
  /** 95% intervals of the exponents a and b, written after them in the legend. */
  intervals?: { a?: { lower: number; upper: number }; b?: { lower: number; upper: number } };
}

/**
 * The compute range a frontier is drawn over: its optima's, widened by a decade each side.
 *
 * @example
 * ```ts
 * frontierRange([1e18, 1e20]); // [1e17, 1e21]
 * ```
 */
export function frontierRange(flops: readonly number[]): [number, number] {
  return [Math.min(...flops) / 10, Math.max(...flops) * 10];
}

/** Quantity, range and axes of {@link computeOptimalFrontierSpec}. */
export interface FrontierPlotOptions extends PlotLayout {
  /** Plot N_opt (`"n"`, default) or D_opt (`"d"`). */
  quantity?: "n" | "d";
  /** Compute range of the lines (default: {@link frontierRange} of the points). */
  flopsRange?: [number, number];
  /** Points per line (default 2: a power law is straight on log-log axes). */
  samples?: number;
}

/**
 * N_opt(C) or D_opt(C) lines for each estimate, with their fitted optima.
 *
 * @example
 * ```ts
 * const spec = computeOptimalFrontierSpec([
 *   { label: "approach 2", law: isoFlop.law, points: isoFlop.profiles.map((p) => ({ flops: p.flops, n: p.nOpt, d: p.dOpt })) },
 *   { label: "approach 3", law: parametricComputeOptimalLaw(fit.params) },
 * ]);
 * ```
 */
export function computeOptimalFrontierSpec(
  series: readonly FrontierSeries[],
  options: FrontierPlotOptions = {},
): PlotSpec {
  if (series.length === 0) throw new RangeError("compute-optimal frontier: no series to plot");
  const quantity = options.quantity ?? "n";
  const samples = options.samples ?? 2;
  const allFlops = series.flatMap((s) => (s.points ?? []).map((p) => p.flops));
  const range = options.flopsRange ?? (allFlops.length > 0 ? frontierRange(allFlops) : undefined);
  if (range === undefined) {
    throw new RangeError("compute-optimal frontier: give flopsRange when no series has points");
  }
  const symbol = quantity === "n" ? "N_opt" : "D_opt";
  const labels = series.map((s) => {
    const exponent = quantity === "n" ? s.law.a : s.law.b;
    const interval = quantity === "n" ? s.intervals?.a : s.intervals?.b;
    const range = interval
      ? ` [${formatNumber(interval.lower, 2)}, ${formatNumber(interval.upper, 2)}]`
      : "";
    return `${s.label}: ${symbol} ∝ C^${formatNumber(exponent)}${range}`;
  });
  const lines = series.flatMap((s, k) => {
    const coefficient = quantity === "n" ? s.law.nCoefficient : s.law.dCoefficient;
    const exponent = quantity === "n" ? s.law.a : s.law.b;
    return logSpaced(range[0], range[1], samples).map((flops) => ({
      flops,
      value: coefficient * flops ** exponent,
      estimate: `e${k}`,
    }));
  });
  const points = series.flatMap((s, k) =>
    (s.points ?? []).map((p) => ({ flops: p.flops, value: p[quantity], estimate: `e${k}` }))
  );
  const bands = series.flatMap((s, k) =>
    (s.bands?.[quantity] ?? []).map((row) => ({
      flops: row.x,
      lower: row.lower,
      upper: row.upper,
      estimate: `e${k}`,
    }))
  );
  const x = {
    field: "flops",
    type: "quantitative",
    title: "compute C (FLOPs)",
    scale: LOG_SCALE,
    axis: logAxis(range),
  };
  // The axis follows the lines and optima; a band wider than that is clipped at the frame.
  const shown = [...lines, ...points].map((row) => row.value);
  const domain = [Math.min(...shown) / 3, Math.max(...shown) * 3];
  const y = (field: string) => ({
    field,
    type: "quantitative",
    title: quantity === "n" ? "optimal parameters N_opt" : "optimal tokens D_opt",
    scale: { ...LOG_SCALE, domain },
    axis: logAxis(domain),
  });
  const color = {
    field: "estimate",
    type: "nominal",
    title: bands.length > 0 ? "shaded: 95% bootstrap band" : null,
    // Rows carry the key `e0`, `e1`, …; each label (with its exponent) is written once.
    scale: { domain: labels.map((_, k) => `e${k}`) },
    legend: {
      ...BOTTOM_LEGEND,
      labelExpr: labelLookup(Object.fromEntries(labels.map((label, k) => [`e${k}`, label]))),
    },
  };
  const layer: Record<string, unknown>[] = [];
  if (bands.length > 0) {
    layer.push({
      data: { values: bands },
      mark: { type: "area", opacity: 0.16, clip: true },
      encoding: { y: y("lower"), y2: { field: "upper" }, tooltip: null },
    });
  }
  layer.push({
    data: { values: lines },
    mark: { type: "line", strokeWidth: 2, clip: true },
    encoding: { y: y("value") },
  });
  if (points.length > 0) {
    layer.push({
      data: { values: points },
      mark: { type: "point", filled: true, size: 50 },
      encoding: { y: y("value") },
    });
  }
  // The x axis and the colours are shared by every layer, written once.
  return topLevelSpec({ encoding: { x, color }, layer }, options);
}
