/**
 * Training curves: loss against step, tokens or FLOPs, one line per configuration, coloured in
 * the configurations' value order, optionally in panels (one per value of a field).
 *
 * @module
 */

import { logAxis, naturalOrder } from "./format.ts";
import {
  LOG_SCALE,
  type PlotLayout,
  type PlotRow,
  type PlotSpec,
  requireFields,
  topLevelSpec,
} from "./spec.ts";

/** Fields and axes of {@link trainingCurvesSpec}. */
export interface TrainingCurvesOptions extends PlotLayout {
  /** Field on the x axis (default `"step"`; e.g. `"tokens"`, `"flops"`). */
  x?: string;
  /** Field on the y axis (default `"loss"`). */
  y?: string;
  /** Field naming the configuration of each curve (default `"config"`). */
  color?: string;
  /** Configurations in legend order (default: natural order, numbers by value). */
  order?: readonly string[];
  /** Colour by a sequential scheme (configurations that form a scale, e.g. data sizes). */
  sequential?: boolean;
  /** Field whose values each get a panel (small multiples), and their order. */
  facet?: { field: string; order?: readonly string[]; columns?: number };
  /** Field separating curves of one colour (e.g. the seed), drawn as separate lines. */
  detail?: string;
  /** Axis titles (default: the field names). */
  xTitle?: string;
  /** Y axis title. */
  yTitle?: string;
  /** Legend title. */
  colorTitle?: string;
  /** Log x axis (default: true unless x is `"step"` or `"pass"`). */
  logX?: boolean;
  /** Log y axis (default true). */
  logY?: boolean;
}

/**
 * Loss curves of several runs, coloured by configuration, on log axes by default.
 *
 * @example
 * ```ts
 * const spec = trainingCurvesSpec([
 *   { step: 1, loss: 4.2, config: "d=64" }, { step: 100, loss: 2.9, config: "d=64" },
 *   { step: 1, loss: 4.1, config: "d=128" }, { step: 100, loss: 2.6, config: "d=128" },
 * ]);
 * ```
 */
export function trainingCurvesSpec(
  rows: readonly PlotRow[],
  options: TrainingCurvesOptions = {},
): PlotSpec {
  const x = options.x ?? "step";
  const y = options.y ?? "loss";
  const color = options.color ?? "config";
  const facet = options.facet;
  requireFields(rows, [x, y, color, ...(facet ? [facet.field] : [])], "training curves");
  const logX = options.logX ?? !["step", "pass"].includes(x);
  const logY = options.logY ?? true;
  const order = options.order ?? naturalOrder(rows.map((row) => String(row[color])));
  const encoding = {
    x: {
      field: x,
      type: "quantitative",
      title: options.xTitle ?? x,
      scale: logX ? LOG_SCALE : { zero: false },
      axis: logX ? logAxis(rows.map((row) => Number(row[x]))) : { tickMinStep: 1 },
    },
    y: {
      field: y,
      type: "quantitative",
      title: options.yTitle ?? y,
      scale: logY ? LOG_SCALE : { zero: false },
    },
    color: {
      field: color,
      type: options.sequential ? "ordinal" : "nominal",
      title: options.colorTitle ?? color,
      sort: order,
      scale: options.sequential ? { scheme: { name: "viridis", extent: [0, 0.85] } } : {},
    },
    ...(options.detail ? { detail: { field: options.detail } } : {}),
    tooltip: [
      { field: color, type: "nominal" },
      ...(facet ? [{ field: facet.field, type: "nominal" }] : []),
      { field: x, type: "quantitative", format: ".4~s" },
      { field: y, type: "quantitative", format: ".4~g" },
    ],
  };
  const mark = { type: "line", strokeWidth: 1.5, clip: true };
  if (!facet) return topLevelSpec({ data: { values: rows }, mark, encoding }, options);
  const panels = facet.order ?? naturalOrder(rows.map((row) => String(row[facet.field])));
  const columns = facet.columns ?? panels.length;
  const width = options.width ?? Math.max(150, Math.round(560 / columns) - 30);
  const height = options.height ?? (panels.length > columns ? 200 : 260);
  const { width: _w, height: _h, ...top } = topLevelSpec({}, options) as unknown as Record<
    string,
    unknown
  >;
  return {
    ...top,
    data: { values: rows },
    facet: { field: facet.field, type: "nominal", sort: panels, title: null },
    columns,
    spec: { width, height, mark, encoding },
    resolve: { axis: { x: "independent" } },
  } as PlotSpec;
}
