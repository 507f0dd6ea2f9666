/**
 * Error-vs-pass curves: error rate after each pass over the training set. `errorVsPassSpec`
 * draws one panel of lines with points per series (a live training curve); `errorPanelsSpec`
 * draws a figure of panels (e.g. train and test error) of mean curves with seed bands, coloured
 * by one field and dashed by another. On a log axis, errors below a stated floor (a run with no
 * misses) are drawn at the floor, never handed to the axis as zeros.
 *
 * @module
 */

import { labelLookup, logAxis, percentLabel } from "./format.ts";
import {
  BOTTOM_LEGEND,
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
  /** Smallest error drawn on a log axis, as a fraction (default 1e-4, i.e. 0.01%). */
  floor?: number;
}

/** A log scale whose domain starts just under `floor`, so floored points stay in view. */
function flooredLogScale(floor: number) {
  return { type: "log", nice: false, padding: 8, domainMin: floor / 1.5 };
}

/**
 * Error (as a percentage) against pass, lines with points per series; on a log axis errors
 * below `floor` are drawn at the floor.
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
  const floor = options.floor ?? 1e-4;
  const shown = (field: string) => options.logY ? `__${field}` : field;
  const transform = options.logY
    ? [y, ...(band ? [band.lower, band.upper] : [])].map((field) => ({
      calculate: `max(datum[${JSON.stringify(field)}], ${floor})`,
      as: shown(field),
    }))
    : [];
  const title = options.yTitle ?? "error";
  const xEncoding = { field: x, type: "quantitative", title: "pass", axis: { tickMinStep: 1 } };
  const errors = rows.map((row) => Number(row[y]));
  const floored = errors.some((e) => e <= floor);
  const yScale = !options.logY
    ? { zero: true }
    : floored
    ? flooredLogScale(floor)
    : { type: "log", nice: false, padding: 8 };
  const yAxis = options.logY
    ? logAxis(floored ? [floor, ...errors] : errors, (v) => percentLabel(100 * v))
    : { format: ".1%" };
  const colorEncoding = { field: color, type: "nominal", title: null };
  const layer: Record<string, unknown>[] = [];
  if (band) {
    layer.push({
      mark: { type: "area", opacity: 0.2 },
      encoding: {
        x: xEncoding,
        y: {
          field: shown(band.lower),
          type: "quantitative",
          title,
          scale: yScale,
          axis: yAxis,
        },
        y2: { field: shown(band.upper) },
        color: colorEncoding,
      },
    });
  }
  layer.push({
    mark: { type: "line", point: true, strokeWidth: 1.5 },
    encoding: {
      x: xEncoding,
      y: { field: shown(y), type: "quantitative", title, scale: yScale, axis: yAxis },
      color: colorEncoding,
      tooltip: [
        { field: color, type: "nominal" },
        { field: x, type: "quantitative" },
        { field: y, type: "quantitative", format: ".2%" },
      ],
    },
  });
  return topLevelSpec({ data: { values: rows }, transform, layer }, options);
}

/** One point of a panel figure's curves: mean and band (percent) after a pass. */
export interface ErrorPanelRow {
  /** The panel it is drawn in (e.g. `"train error"`). */
  panel: string;
  /** Key of its colour (e.g. the recipe `"adamw"`; labelled by `options.colors`). */
  color: string;
  /** Key of its line style (e.g. the train-set size `"7291"`). */
  dash: string;
  pass: number;
  /** Mean error (percent) and the band's ends. */
  mean: number;
  low: number;
  high: number;
}

/** A legend entry: the key rows carry, and the label shown for it. */
export interface LegendEntry {
  key: string;
  label: string;
}

/** Orders, titles and floor of {@link errorPanelsSpec}. */
export interface ErrorPanelsOptions extends PlotLayout {
  /** Panels in order; colours and dashes in legend order, with their labels. */
  panels: readonly string[];
  colors: readonly LegendEntry[];
  dashes: readonly LegendEntry[];
  /** Legend titles. */
  colorTitle?: string;
  dashTitle?: string;
  /** Smallest error drawn (percent, default 0.01); lower values, zeros included, sit on it. */
  floor?: number;
  /** What the band shows, for the subtitle (default `"min–max over seeds"`). */
  bandLabel?: string;
}

/**
 * Panels of error curves (percent, a log axis each), side by side: a line per colour and dash,
 * its band shaded in the same colour; zeros and values under `floor` drawn on a dotted floor
 * line that the subtitle names.
 *
 * @example
 * ```ts
 * const spec = errorPanelsSpec(rows, {
 *   panels: ["train error", "test error"],
 *   colors: [{ key: "baseline", label: "1989 baseline" }, { key: "adamw", label: "+ AdamW" }],
 *   dashes: [{ key: "7291", label: "7,291 digits" }],
 *   title: "LeCun 1989: error per pass",
 * });
 * ```
 */
export function errorPanelsSpec(
  rows: readonly ErrorPanelRow[],
  options: ErrorPanelsOptions,
): PlotSpec {
  requireFields(
    rows as unknown as PlotRow[],
    ["panel", "color", "dash", "pass", "mean", "low", "high"],
    "error panels",
  );
  const floor = options.floor ?? 0.01;
  const passes = rows.map((r) => r.pass);
  const x = {
    field: "pass",
    type: "quantitative",
    title: "passes over the train set",
    scale: { domain: [Math.min(...passes), Math.max(...passes)], nice: false },
    axis: { tickMinStep: 1 },
  };
  const labels = (entries: readonly LegendEntry[]) =>
    labelLookup(Object.fromEntries(entries.map((e) => [e.key, e.label])));
  const color = {
    field: "color",
    type: "nominal",
    title: options.colorTitle ?? null,
    scale: { domain: options.colors.map((e) => e.key) },
    legend: {
      ...BOTTOM_LEGEND,
      symbolType: "stroke",
      symbolStrokeWidth: 2.5,
      labelExpr: labels(options.colors),
    },
  };
  const dash = {
    field: "dash",
    type: "nominal",
    title: options.dashTitle ?? null,
    scale: {
      domain: options.dashes.map((e) => e.key),
      range: [[1, 0], [6, 3], [2, 2]].slice(0, options.dashes.length),
    },
    legend: {
      ...BOTTOM_LEGEND,
      symbolStrokeColor: "#333",
      symbolType: "stroke",
      labelExpr: labels(options.dashes),
    },
  };
  const panel = (name: string) => {
    const mine = rows.filter((r) => r.panel === name);
    const floored = mine.some((r) => r.low <= floor);
    const ticksRange = [
      floored ? floor : Math.min(...mine.map((r) => r.low)),
      Math.max(...mine.map((r) => r.high)),
    ];
    const clamp = (v: number) => Math.max(v, floor);
    const values = mine.map((r) => ({
      color: r.color,
      dash: r.dash,
      pass: r.pass,
      mean: clamp(r.mean),
      low: clamp(r.low),
      high: clamp(r.high),
    }));
    const y = (field: string) => ({
      field,
      type: "quantitative",
      title: "error (%), log scale",
      scale: floored ? flooredLogScale(floor) : { type: "log", nice: false, padding: 8 },
      axis: logAxis(ticksRange, percentLabel),
    });
    const layer: Record<string, unknown>[] = [
      {
        mark: { type: "area", opacity: 0.14 },
        encoding: { x, y: y("low"), y2: { field: "high" }, color, detail: { field: "dash" } },
      },
      {
        mark: { type: "line", strokeWidth: 1.6 },
        encoding: {
          x,
          y: y("mean"),
          color,
          strokeDash: dash,
          tooltip: [
            { field: "color_label", title: options.colorTitle ?? "series" },
            { field: "dash_label", title: options.dashTitle ?? "style" },
            { field: "pass", type: "quantitative" },
            { field: "mean", type: "quantitative", format: ".3~g", title: "mean error (%)" },
          ],
        },
      },
    ];
    if (floored) {
      layer.unshift({
        data: { values: [{ floor }] },
        mark: { type: "rule", strokeDash: [2, 3], color: "#999" },
        encoding: { y: y("floor") },
      });
    }
    const named = (entries: readonly LegendEntry[], field: string) => ({
      calculate: `${JSON.stringify(Object.fromEntries(entries.map((e) => [e.key, e.label])))}` +
        `[datum.${field}]`,
      as: `${field}_label`,
    });
    return {
      title: { text: name, fontSize: 12, fontWeight: "normal" },
      transform: [named(options.colors, "color"), named(options.dashes, "dash")],
      width: options.width ?? 280,
      height: options.height ?? 250,
      data: { values },
      layer,
    };
  };
  const { width: _w, height: _h, title: own, ...top } = topLevelSpec(
    {},
    options,
  ) as unknown as Record<string, unknown>;
  const text = typeof own === "string" ? own : (own as { text?: string } | undefined)?.text;
  return {
    ...top,
    title: {
      text: text ?? "error per pass",
      subtitle: `lines: mean over seeds; bands: ${options.bandLabel ?? "min–max over seeds"}; ` +
        `0 misses and errors under ${floor}% drawn on the dotted floor`,
    },
    bounds: "flush",
    spacing: 70,
    hconcat: options.panels.map(panel),
  } as unknown as PlotSpec;
}
