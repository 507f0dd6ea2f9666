/**
 * Ablation bars: one horizontal bar per variant (mean over seeds; the variants' full names
 * readable on the left) with ±1 std error bars and optional reference values (e.g. the
 * published number) as ticks.
 *
 * @module
 */

import {
  type PlotLayout,
  type PlotRow,
  type PlotSpec,
  requireFields,
  topLevelSpec,
} from "./spec.ts";

/** Fields and axes of {@link ablationBarsSpec}. */
export interface AblationBarsOptions extends PlotLayout {
  /** Field naming the variant (default `"label"`); bars keep the rows' order. */
  label?: string;
  /** Field with the mean (default `"mean"`). */
  mean?: string;
  /** Field with the standard deviation (default `"std"`). */
  std?: string;
  /** Field with a reference value to mark, e.g. the published result (optional). */
  reference?: string;
  /** Value axis title (default: the mean field). */
  valueTitle?: string;
  /** Format values as percentages (values are fractions). */
  percent?: boolean;
}

/**
 * Bars of means with ±std error bars, and reference ticks when `reference` is given.
 *
 * @example
 * ```ts
 * const spec = ablationBarsSpec([
 *   { label: "baseline", mean: 0.0409, std: 0.002, paper: 0.05 },
 *   { label: "+ cross-entropy", mean: 0.0438, std: 0.003, paper: 0.0438 },
 * ], { reference: "paper", percent: true, valueTitle: "test error" });
 * ```
 */
export function ablationBarsSpec(
  rows: readonly PlotRow[],
  options: AblationBarsOptions = {},
): PlotSpec {
  const label = options.label ?? "label";
  const mean = options.mean ?? "mean";
  const std = options.std ?? "std";
  const fields = [label, mean, std, ...(options.reference ? [options.reference] : [])];
  requireFields(rows, fields, "ablation bars");
  const format = options.percent ? ".1%" : "~g";
  const y = { field: label, type: "nominal", sort: null, title: null, axis: { labelLimit: 0 } };
  const valueTitle = options.valueTitle ?? mean;
  const color = {
    type: "nominal",
    title: null,
    scale: { domain: ["mean ± std over seeds", "reference"], range: ["#4c78a8", "#e45756"] },
  };
  const layer: Record<string, unknown>[] = [
    {
      mark: { type: "bar", opacity: 0.85 },
      encoding: {
        y,
        x: { field: mean, type: "quantitative", title: valueTitle, axis: { format } },
        color: { ...color, datum: "mean ± std over seeds" },
        tooltip: [
          { field: label, type: "nominal" },
          { field: mean, type: "quantitative", format: options.percent ? ".2%" : ".4g" },
          { field: std, type: "quantitative", format: options.percent ? ".2%" : ".4g" },
        ],
      },
    },
    {
      transform: [
        { calculate: `datum['${mean}'] - datum['${std}']`, as: "__low" },
        { calculate: `datum['${mean}'] + datum['${std}']`, as: "__high" },
      ],
      mark: { type: "rule", strokeWidth: 1.5, color: "black" },
      encoding: {
        y,
        x: { field: "__low", type: "quantitative", title: valueTitle },
        x2: { field: "__high" },
      },
    },
  ];
  if (options.reference) {
    layer.push({
      mark: { type: "tick", thickness: 2.5, size: 18 },
      encoding: {
        y,
        x: { field: options.reference, type: "quantitative", title: valueTitle },
        color: { ...color, datum: "reference" },
      },
    });
  }
  return topLevelSpec({ data: { values: rows }, layer }, {
    ...options,
    width: options.width ?? 360,
    height: options.height ?? 26 * rows.length,
  });
}
