/**
 * Error-vs-pass curves: error rate after each pass over the training set, one line per series
 * (e.g. train/test, or one per variant), with an optional band (e.g. min–max over seeds).
 *
 * @module
 */

import {
  LOG_SCALE,
  type PlotLayout,
  type PlotRow,
  type PlotSpec,
  requireFields,
  topLevelSpec,
} from "./spec.ts";

/** Fields and axes of {@link errorVsPassSpec}. */
export interface ErrorVsPassOptions extends PlotLayout {
  /** Field with the pass number (default `"pass"`). */
  x?: string;
  /** Field with the error rate as a fraction (default `"error"`). */
  y?: string;
  /** Field naming the series (default `"series"`). */
  color?: string;
  /** Fields with the band's lower and upper ends (both or neither). */
  band?: { lower: string; upper: string };
  /** Y axis title (default `"error"`). */
  yTitle?: string;
  /** Log y axis (default false). */
  logY?: boolean;
}

/**
 * Error (as a percentage) against pass, lines with points per series.
 *
 * @example
 * ```ts
 * const spec = errorVsPassSpec([
 *   { pass: 1, error: 0.09, series: "test" }, { pass: 2, error: 0.06, series: "test" },
 * ]);
 * ```
 */
export function errorVsPassSpec(
  rows: readonly PlotRow[],
  options: ErrorVsPassOptions = {},
): PlotSpec {
  const x = options.x ?? "pass";
  const y = options.y ?? "error";
  const color = options.color ?? "series";
  const band = options.band;
  requireFields(
    rows,
    band ? [x, y, color, band.lower, band.upper] : [x, y, color],
    "error vs pass",
  );
  const title = options.yTitle ?? "error";
  const xEncoding = { field: x, type: "quantitative", title: "pass", axis: { tickMinStep: 1 } };
  const yScale = options.logY ? LOG_SCALE : { zero: true };
  const colorEncoding = { field: color, type: "nominal", title: null };
  const layer: Record<string, unknown>[] = [];
  if (band) {
    layer.push({
      mark: { type: "area", opacity: 0.2 },
      encoding: {
        x: xEncoding,
        y: {
          field: band.lower,
          type: "quantitative",
          title,
          scale: yScale,
          axis: { format: ".1%" },
        },
        y2: { field: band.upper },
        color: colorEncoding,
      },
    });
  }
  layer.push({
    mark: { type: "line", point: true, strokeWidth: 1.5 },
    encoding: {
      x: xEncoding,
      y: { field: y, type: "quantitative", title, scale: yScale, axis: { format: ".1%" } },
      color: colorEncoding,
      tooltip: [
        { field: color, type: "nominal" },
        { field: x, type: "quantitative" },
        { field: y, type: "quantitative", format: ".2%" },
      ],
    },
  });
  return topLevelSpec({ data: { values: rows }, layer }, options);
}
