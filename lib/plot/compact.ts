/**
 * Smaller plot specs for places that store them (notebook outputs, a static site): inline data
 * rows become CSV text with numbers at a given number of significant digits, which a Vega-Lite
 * renderer reads back as the same table (field types declared in `format.parse`).
 *
 * @module
 */

import * as aq from "arquero";
import type { PlotSpec } from "./spec.ts";

type Row = Record<string, unknown>;

function round(value: unknown, digits: number): unknown {
  return typeof value === "number" && Number.isFinite(value) && value !== 0
    ? Number(value.toPrecision(digits))
    : value;
}

function roundRows(values: unknown, digits: number): unknown {
  return Array.isArray(values)
    ? values.map((row) =>
      typeof row === "object" && row !== null
        ? Object.fromEntries(Object.entries(row).map(([k, v]) => [k, round(v, digits)]))
        : row
    )
    : values;
}

/** Inline rows as CSV with declared numeric and boolean fields, or undefined if not a table. */
function asCsv(values: unknown, digits: number): Record<string, unknown> | undefined {
  if (!Array.isArray(values) || values.length === 0) return undefined;
  if (!values.every((v) => typeof v === "object" && v !== null && !Array.isArray(v))) {
    return undefined;
  }
  const rows = values as Row[];
  const names = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const parse: Record<string, string> = {};
  for (const name of names) {
    const column = rows.map((row) => row[name]);
    const present = column.filter((v) => v !== null && v !== undefined);
    if (present.length > 0 && present.every((v) => typeof v === "number")) parse[name] = "number";
    else if (present.length > 0 && present.every((v) => typeof v === "boolean")) {
      parse[name] = "boolean";
    } else if (!column.every((v) => typeof v === "string")) {
      // CSV cannot tell a missing text from an empty one, nor hold objects: keep JSON rows.
      return undefined;
    }
  }
  const columns = Object.fromEntries(
    names.map((name) => [name, rows.map((row) => round(row[name] ?? null, digits))]),
  );
  return { values: aq.table(columns).toCSV(), format: { type: "csv", parse } };
}

function compactNode(node: unknown, digits: number): unknown {
  if (Array.isArray(node)) return node.map((item) => compactNode(item, digits));
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "data" && typeof value === "object" && value !== null && "values" in value) {
      const { values, ...rest } = value as { values: unknown };
      out[key] = {
        ...rest,
        ...(asCsv(values, digits) ?? { values: roundRows(values, digits) }),
      };
    } else if (key === "config") out[key] = value;
    else out[key] = compactNode(value, digits);
  }
  return out;
}

/**
 * The spec with every inline `data.values` table stored as CSV text, numbers rounded to
 * `digits` significant digits (default 4: well under a pixel on any axis).
 *
 * @example
 * ```ts
 * const small = compactPlotData(scalingPlotSpec(points, { x: "n", y: "loss" }));
 * ```
 */
export function compactPlotData(spec: PlotSpec, digits = 4): PlotSpec {
  return compactNode(spec, digits) as PlotSpec;
}
