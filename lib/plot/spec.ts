/**
 * What every plot spec shares: the Vega-Lite v5 schema (the newest Jupyter frontends render),
 * the default theme's look, top-level wrapping, and log-spaced sampling for drawing fitted
 * curves.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";
import { themeConfig } from "./theme.ts";

/** A Vega-Lite specification (any top-level form). */
export type PlotSpec = TopLevelSpec;

/** The schema every spec declares. */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/** A log scale fitted to the data (no rounding out to whole decades), with a little padding. */
export const LOG_SCALE = { type: "log", nice: false, padding: 12 } as const;

/** A chart title, optionally with a subtitle (one string per line). */
export type PlotTitle = string | { text: string; subtitle?: string | string[] };

/** Title and size options every builder accepts. */
export interface PlotLayout {
  /** Chart title. */
  title?: PlotTitle;
  /** Plot-area width in pixels (default 480). */
  width?: number;
  /** Plot-area height in pixels (default 320). */
  height?: number;
}

/** A table row: field name → value. */
export type PlotRow = Record<string, unknown>;

/** A fitted curve's 95% band at sampled x: `lower ≤ y ≤ upper`. */
export interface BandRow {
  x: number;
  lower: number;
  upper: number;
}

/**
 * Legend placement for long labels (equations): under the plot, one entry per line, symbols at
 * full opacity (a band's pale fill would otherwise set them).
 */
export const BOTTOM_LEGEND = { orient: "bottom", direction: "vertical", symbolOpacity: 1 } as const;

/**
 * Wraps a single-view or layered body as a top-level spec with the schema, size, title and
 * the shared config.
 *
 * @example
 * ```ts
 * const spec = topLevelSpec({ data: { values: [] }, mark: "point" }, { title: "empty" });
 * ```
 */
export function topLevelSpec(body: Record<string, unknown>, layout: PlotLayout): PlotSpec {
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...(layout.title === undefined ? {} : { title: layout.title }),
    width: layout.width ?? 480,
    height: layout.height ?? 320,
    ...body,
    config: themeConfig("default"),
  } as PlotSpec;
}

/**
 * `count` values spaced evenly in log space from `low` to `high` (both positive).
 *
 * @example
 * ```ts
 * logSpaced(1, 100, 3); // [1, 10, 100]
 * ```
 */
export function logSpaced(low: number, high: number, count: number): number[] {
  if (!(low > 0 && high > 0)) {
    throw new RangeError(`log spacing needs positive ends, got ${low}, ${high}`);
  }
  const a = Math.log(low);
  const b = Math.log(high);
  return Array.from(
    { length: count },
    (_, i) => Math.exp(count === 1 ? a : a + (b - a) * i / (count - 1)),
  );
}

/**
 * Positive finite values of `field` across rows, or an error naming the field.
 *
 * @example
 * ```ts
 * positiveExtent([{ n: 2 }, { n: 8 }], "n"); // [2, 8]
 * ```
 */
export function positiveExtent(rows: readonly PlotRow[], field: string): [number, number] {
  const values = rows.map((row) => row[field]).filter((v): v is number =>
    typeof v === "number" && v > 0 && Number.isFinite(v)
  );
  if (values.length === 0) {
    throw new RangeError(`field "${field}" has no positive numbers to put on a log axis`);
  }
  return [Math.min(...values), Math.max(...values)];
}

/**
 * Checks that every row has `fields`, throwing a one-line error naming the first missing one.
 *
 * @example
 * ```ts
 * requireFields([{ step: 1, loss: 2 }], ["step", "loss"], "training curves");
 * ```
 */
export function requireFields(
  rows: readonly PlotRow[],
  fields: readonly string[],
  plot: string,
): void {
  if (rows.length === 0) throw new RangeError(`${plot}: no rows to plot`);
  rows.forEach((row, i) => {
    for (const field of fields) {
      if (!(field in row)) {
        const available = Object.keys(row).map((k) => `"${k}"`).join(", ");
        throw new RangeError(
          `${plot}: row ${i + 1} has no field "${field}"; available fields: ${available}`,
        );
      }
    }
  });
}

/**
 * Places plots side by side (or stacked), keeping each one's size and title.
 *
 * @example
 * ```ts
 * const figure = concatPlots([isoFlopSpec(result), computeOptimalFrontierSpec(series)]);
 * ```
 */
export function concatPlots(
  specs: readonly PlotSpec[],
  options: { direction?: "horizontal" | "vertical"; title?: string } = {},
): PlotSpec {
  if (specs.length === 0) throw new RangeError("concatPlots: no plots given");
  const parts = specs.map((spec) => {
    const { $schema: _schema, config: _config, ...part } = spec;
    return part;
  });
  const key = (options.direction ?? "horizontal") === "horizontal" ? "hconcat" : "vconcat";
  const { config } = specs[0];
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...(options.title === undefined ? {} : { title: { text: options.title, anchor: "middle" } }),
    [key]: parts,
    resolve: { scale: { color: "independent" }, legend: { color: "independent" } },
    config,
  } as PlotSpec;
}
