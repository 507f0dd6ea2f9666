/**
 * Figures of a two-level factorial: attribution bars (a value per factor or group with its
 * interval) and the interaction heatmap (main effects on the diagonal, two-factor
 * interactions below it).
 *
 * @module
 */

import { type PlotLayout, type PlotSpec, requireFields, topLevelSpec } from "./spec.ts";

/** One bar of {@link attributionBarsSpec}. */
export interface AttributionBar {
  /** Bar label (factor or group name); bars keep the rows' order. */
  label: string;
  value: number;
  /** Interval ends. */
  lower: number;
  upper: number;
}

/** Axis title and layout of {@link attributionBarsSpec}. */
export interface AttributionBarsOptions extends PlotLayout {
  /** Value axis title (default `"value"`). */
  valueTitle?: string;
  /** Subtitle under the title (e.g. how the intervals were drawn). */
  subtitle?: string;
}

/**
 * Horizontal bars from 0 with interval whiskers and a rule at 0.
 *
 * @example
 * ```ts
 * const spec = attributionBarsSpec([
 *   { label: "adamw", value: 0.4, lower: 0.3, upper: 0.5 },
 *   { label: "augment", value: 0.6, lower: 0.45, upper: 0.7 },
 * ], { valueTitle: "halvings of test error" });
 * ```
 */
export function attributionBarsSpec(
  bars: readonly AttributionBar[],
  options: AttributionBarsOptions = {},
): PlotSpec {
  requireFields(bars as never, ["label", "value", "lower", "upper"], "attribution bars");
  const y = { field: "label", type: "nominal", sort: null, title: null };
  const x = { type: "quantitative", title: options.valueTitle ?? "value" };
  const title = options.title === undefined
    ? undefined
    : { text: options.title, ...(options.subtitle ? { subtitle: options.subtitle } : {}) };
  return topLevelSpec({
    ...(title ? { title } : {}),
    layer: [
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: "rule", color: "#888" },
        encoding: { x: { ...x, field: "zero" } },
      },
      {
        data: { values: bars },
        mark: { type: "bar", color: "#4c78a8", opacity: 0.85, height: { band: 0.7 } },
        encoding: {
          y,
          x: { ...x, field: "value" },
          tooltip: [
            { field: "label", type: "nominal" },
            { field: "value", type: "quantitative", format: ".3f" },
            { field: "lower", type: "quantitative", format: ".3f" },
            { field: "upper", type: "quantitative", format: ".3f" },
          ],
        },
      },
      {
        data: { values: bars },
        mark: { type: "rule", strokeWidth: 1.5, color: "black" },
        encoding: { y, x: { ...x, field: "lower" }, x2: { field: "upper" } },
      },
    ],
  }, { ...options, title: undefined, height: options.height ?? 28 * bars.length + 20 });
}

/** One square of {@link interactionHeatmapSpec}. */
export interface HeatmapCell {
  /** Factor of the row and of the column (equal on the diagonal). */
  row: string;
  column: string;
  value: number;
}

/** Factor order and titles of {@link interactionHeatmapSpec}. */
export interface InteractionHeatmapOptions extends PlotLayout {
  /** Factors in axis order. */
  factors: readonly string[];
  /** Color legend title (default `"effect"`). */
  valueTitle?: string;
  /** Subtitle under the title. */
  subtitle?: string;
}

/**
 * Squares colored by value on a diverging scale centred on 0 (blue below, red above), each
 * labelled with its value to two decimals.
 *
 * @example
 * ```ts
 * const spec = interactionHeatmapSpec([
 *   { row: "ce", column: "ce", value: -0.1 },
 *   { row: "adamw", column: "ce", value: 0.05 },
 *   { row: "adamw", column: "adamw", value: -0.4 },
 * ], { factors: ["ce", "adamw"] });
 * ```
 */
export function interactionHeatmapSpec(
  cells: readonly HeatmapCell[],
  options: InteractionHeatmapOptions,
): PlotSpec {
  requireFields(cells as never, ["row", "column", "value"], "interaction heatmap");
  for (const cell of cells) {
    for (const factor of [cell.row, cell.column]) {
      if (!options.factors.includes(factor)) {
        throw new RangeError(
          `interaction heatmap: "${factor}" is not one of the factors ${
            options.factors.join(", ")
          }`,
        );
      }
    }
  }
  const limit = Math.max(1e-9, ...cells.map((c) => Math.abs(c.value)));
  const axis = (field: string) => ({
    field,
    type: "nominal",
    sort: [...options.factors],
    title: null,
    axis: { labelAngle: field === "column" ? -30 : 0 },
  });
  const side = 52 * options.factors.length;
  const title = options.title === undefined
    ? undefined
    : { text: options.title, ...(options.subtitle ? { subtitle: options.subtitle } : {}) };
  return topLevelSpec({
    ...(title ? { title } : {}),
    data: { values: cells },
    encoding: { x: axis("column"), y: axis("row") },
    layer: [
      {
        mark: { type: "rect", stroke: "white" },
        encoding: {
          color: {
            field: "value",
            type: "quantitative",
            title: options.valueTitle ?? "effect",
            scale: { scheme: "redblue", reverse: true, domain: [-limit, limit] },
          },
          tooltip: [
            { field: "row", type: "nominal" },
            { field: "column", type: "nominal" },
            { field: "value", type: "quantitative", format: ".3f" },
          ],
        },
      },
      {
        mark: { type: "text", fontSize: 11 },
        encoding: {
          text: { field: "value", type: "quantitative", format: ".2f" },
          color: {
            condition: { test: `abs(datum.value) > ${0.6 * limit}`, value: "white" },
            value: "black",
          },
        },
      },
    ],
  }, {
    ...options,
    title: undefined,
    width: options.width ?? side,
    height: options.height ?? side,
  });
}
