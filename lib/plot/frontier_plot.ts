/**
 * The compute-optimal frontier: N_opt (or D_opt) against compute C on log-log axes, one power
 * law per estimate (approach 1, 2, 3 or a published law), with the optima each was fitted to.
 *
 * @module
 */

import type { ComputeOptimalLaw } from "../scaling/compute_optimal.ts";
import { formatConstant } from "../scaling/format.ts";
import { LOG_SCALE, logSpaced, type PlotLayout, type PlotSpec, topLevelSpec } from "./spec.ts";

/** One estimate of the frontier. */
export interface FrontierSeries {
  /** Its name, e.g. `"approach 2 (IsoFLOP)"`; the legend adds the exponent. */
  label: string;
  /** N_opt = k_N·C^a, D_opt = k_D·C^b. */
  law: ComputeOptimalLaw;
  /** Optima the law was fitted to, drawn as points. */
  points?: readonly { flops: number; n: number; d: number }[];
}

/** Quantity, range and axes of {@link computeOptimalFrontierSpec}. */
export interface FrontierPlotOptions extends PlotLayout {
  /** Plot N_opt (`"n"`, default) or D_opt (`"d"`). */
  quantity?: "n" | "d";
  /** Compute range of the lines (default: the points' range, widened to a decade each side). */
  flopsRange?: [number, number];
  /** Points per line (default 50). */
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
  const samples = options.samples ?? 50;
  const allFlops = series.flatMap((s) => (s.points ?? []).map((p) => p.flops));
  const range = options.flopsRange ??
    (allFlops.length > 0 ? [Math.min(...allFlops) / 10, Math.max(...allFlops) * 10] : undefined);
  if (range === undefined) {
    throw new RangeError("compute-optimal frontier: give flopsRange when no series has points");
  }
  const symbol = quantity === "n" ? "N_opt" : "D_opt";
  const labels = series.map((s) => {
    const exponent = quantity === "n" ? s.law.a : s.law.b;
    return `${s.label}: ${symbol} ∝ C^${formatConstant(exponent, 3)}`;
  });
  const lines = series.flatMap((s, k) => {
    const coefficient = quantity === "n" ? s.law.nCoefficient : s.law.dCoefficient;
    const exponent = quantity === "n" ? s.law.a : s.law.b;
    return logSpaced(range[0], range[1], samples).map((flops) => ({
      flops,
      value: coefficient * flops ** exponent,
      estimate: labels[k],
    }));
  });
  const points = series.flatMap((s, k) =>
    (s.points ?? []).map((p) => ({ flops: p.flops, value: p[quantity], estimate: labels[k] }))
  );
  const x = {
    field: "flops",
    type: "quantitative",
    title: "compute C (FLOPs)",
    scale: LOG_SCALE,
    axis: { format: ".0e" },
  };
  const y = {
    field: "value",
    type: "quantitative",
    title: quantity === "n" ? "optimal parameters N_opt" : "optimal tokens D_opt",
    scale: LOG_SCALE,
    axis: { format: "~s" },
  };
  const color = {
    field: "estimate",
    type: "nominal",
    title: null,
    sort: labels,
    scale: { scheme: "set1" },
    legend: { orient: "bottom", direction: "vertical" },
  };
  const layer: Record<string, unknown>[] = [
    { data: { values: lines }, mark: { type: "line", strokeWidth: 2 }, encoding: { x, y, color } },
  ];
  if (points.length > 0) {
    layer.push({
      data: { values: points },
      mark: { type: "point", filled: true, size: 50 },
      encoding: { x, y, color },
    });
  }
  return topLevelSpec({ layer }, options);
}
