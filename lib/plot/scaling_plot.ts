/**
 * Scaling plots: observations of a loss against N, D or C on log-log axes with fitted laws drawn
 * over them, each law's equation in the legend.
 *
 * @module
 */

import {
  LOG_SCALE,
  logSpaced,
  type PlotLayout,
  type PlotRow,
  type PlotSpec,
  positiveExtent,
  requireFields,
  topLevelSpec,
} from "./spec.ts";

/** A fitted law to draw: its legend label (the equation) and its prediction. */
export interface FittedCurve {
  /** Legend label, e.g. `L = 1.82 + 477/N^0.347 + 2138/D^0.367`. */
  label: string;
  /** Predicted y at x. */
  predict: (x: number) => number;
  /** x range to draw over (default: the points' x range). */
  domain?: [number, number];
}

/** How points are colored. */
export interface PointColor {
  /** Field holding the color value. */
  field: string;
  /** Legend title (default: the field). */
  title?: string;
  /** Encoding type (default `"nominal"`). */
  type?: "nominal" | "ordinal" | "quantitative";
  /** Log color scale (quantitative only). */
  log?: boolean;
}

/** Fields, axes and laws of {@link scalingPlotSpec}. */
export interface ScalingPlotOptions extends PlotLayout {
  /** Field on the x axis (N, D or C). */
  x: string;
  /** Field on the y axis (a loss). */
  y: string;
  /** X axis title. */
  xTitle?: string;
  /** d3 format of x tick labels (default `"~s"` (10M, 1G), or `".0e"` when x reaches 1e13). */
  xFormat?: string;
  /** Y axis title. */
  yTitle?: string;
  /** Color points by a field (default: one gray). */
  color?: PointColor;
  /** Fitted laws drawn as lines. */
  laws?: readonly FittedCurve[];
  /** Legend title of the laws (default `"fit"`). */
  lawTitle?: string;
  /** Log y axis (default true). */
  logY?: boolean;
  /** Points sampled along each law (default 200). */
  samples?: number;
}

/** Name of the field holding a law's label in the curve rows. */
const LAW_FIELD = "law";

/**
 * Observations with fitted laws on log-log axes.
 *
 * @example
 * ```ts
 * const spec = scalingPlotSpec(rows, {
 *   x: "n", y: "loss",
 *   laws: [{ label: fit.equation, predict: (n) => predictPowerLaw(fit.params, n) }],
 * });
 * ```
 */
export function scalingPlotSpec(points: readonly PlotRow[], options: ScalingPlotOptions): PlotSpec {
  const { x, y } = options;
  requireFields(points, options.color ? [x, y, options.color.field] : [x, y], "scaling plot");
  const [xMin, xMax] = positiveExtent(points, x);
  const logY = options.logY ?? true;
  const samples = options.samples ?? 200;
  const xAxis = {
    field: x,
    type: "quantitative",
    title: options.xTitle ?? x,
    scale: LOG_SCALE,
    axis: { format: options.xFormat ?? (xMax >= 1e13 ? ".0e" : "~s") },
  };
  const yAxis = {
    field: y,
    type: "quantitative",
    title: options.yTitle ?? y,
    scale: logY ? LOG_SCALE : { zero: false },
  };
  const color = options.color;
  const pointLayer = {
    data: { values: points },
    mark: {
      type: "point",
      filled: true,
      size: 36,
      opacity: 0.75,
      ...(color ? {} : { color: "#666" }),
    },
    encoding: {
      x: xAxis,
      y: yAxis,
      ...(color
        ? {
          color: {
            field: color.field,
            type: color.type ?? "nominal",
            title: color.title ?? color.field,
            ...(color.log
              ? { scale: { type: "log", scheme: "viridis" }, legend: { format: "~s" } }
              : {}),
          },
        }
        : {}),
      tooltip: [{ field: x, type: "quantitative" }, {
        field: y,
        type: "quantitative",
        format: ".4f",
      }],
    },
  };
  const laws = options.laws ?? [];
  if (laws.length === 0) return topLevelSpec(pointLayer, options);
  const curveRows = laws.flatMap((law) => {
    const [low, high] = law.domain ?? [xMin, xMax];
    return logSpaced(low, high, samples).map((value) => ({
      [x]: value,
      [y]: law.predict(value),
      [LAW_FIELD]: law.label,
    }));
  });
  const lawLayer = {
    data: { values: curveRows },
    mark: { type: "line", strokeWidth: 2 },
    encoding: {
      x: xAxis,
      y: yAxis,
      color: {
        field: LAW_FIELD,
        type: "nominal",
        title: options.lawTitle ?? "fit",
        sort: laws.map((law) => law.label),
        scale: { scheme: "set1" },
        legend: { orient: "bottom", direction: "vertical" },
      },
    },
  };
  return topLevelSpec({
    layer: [pointLayer, lawLayer],
    ...(color ? { resolve: { scale: { color: "independent" } } } : {}),
  }, options);
}
