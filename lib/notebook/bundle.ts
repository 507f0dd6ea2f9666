/**
 * Jupyter display bundles (MIME type → data), built by pure functions so they can be tested
 * and reused outside a notebook: a Vega-Lite plot as `application/vnd.vegalite.v5+json` with
 * `image/svg+xml` and `image/png` renderings (JupyterLab draws the spec; classic Notebook, which
 * has no Vega-Lite renderer and drops SVG from untrusted notebooks, shows the PNG), an arquero
 * table as HTML, a raster image as PNG, Markdown text.
 *
 * @module
 */

import { compactPlotData } from "../plot/compact.ts";
import { type RenderOptions, renderPlotSvg, svgToPng } from "../plot/render.ts";
import { type PlotSpec, VEGA_LITE_SCHEMA } from "../plot/spec.ts";
import type { MimeBundle } from "../jupyter/display.ts";
import { encodePng, type RasterImage } from "./image.ts";

export type { MimeBundle } from "../jupyter/display.ts";

/** The MIME type of Vega-Lite v5 specs (the newest Jupyter frontends render). */
export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";

/** The table interface of arquero used here (any arquero `ColumnTable` has it). */
export interface TableLike {
  numRows(): number;
  numCols(): number;
  columnNames(): string[];
  toHTML(options?: { limit?: number }): string;
  objects(options?: { limit?: number }): Record<string, unknown>[];
}

/** Markdown text to display, made by {@link markdown}. */
export interface Markdown {
  markdown: string;
}

const PLOT_KEYS = ["mark", "layer", "hconcat", "vconcat", "concat", "facet", "repeat"];

/**
 * True when `value` looks like a Vega-Lite spec (a `$schema` naming vega-lite, or a mark or
 * composition at the top level).
 *
 * @example
 * ```ts
 * isPlotSpec({ mark: "point", data: { values: [] } }); // true
 * ```
 */
export function isPlotSpec(value: unknown): value is PlotSpec {
  if (typeof value !== "object" || value === null) return false;
  const schema = (value as { $schema?: unknown }).$schema;
  if (typeof schema === "string") return schema.includes("vega-lite");
  return PLOT_KEYS.some((key) => Object.hasOwn(value, key));
}

/**
 * True when `value` is an arquero table (or anything with the same methods).
 *
 * @example
 * ```ts
 * import * as aq from "arquero";
 * isTable(aq.table({ x: [1] })); // true
 * ```
 */
export function isTable(value: unknown): value is TableLike {
  const t = value as Partial<TableLike> | null;
  return typeof t === "object" && t !== null && typeof t.toHTML === "function" &&
    typeof t.numRows === "function" && typeof t.columnNames === "function";
}

/**
 * True when `value` is a {@link RasterImage}.
 *
 * @example
 * ```ts
 * isImage({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) }); // true
 * ```
 */
export function isImage(value: unknown): value is RasterImage {
  const i = value as Partial<RasterImage> | null;
  return typeof i === "object" && i !== null && typeof i.width === "number" &&
    typeof i.height === "number" && i.data instanceof Uint8Array;
}

/**
 * Wraps Markdown text so {@link showBundle} displays it as `text/markdown`.
 *
 * @example
 * ```ts
 * markdown("**L(N)** = (N_c/N)^α");
 * ```
 */
export function markdown(text: string): Markdown {
  return { markdown: text };
}

/** The spec's title as text, or undefined. */
function plotTitle(spec: PlotSpec): string | undefined {
  const title = (spec as { title?: unknown }).title;
  if (typeof title === "string") return title;
  if (typeof title === "object" && title !== null) {
    const text = (title as { text?: unknown }).text;
    return Array.isArray(text) ? text.join(" ") : typeof text === "string" ? text : undefined;
  }
  return undefined;
}

/**
 * The bundle of a Vega-Lite plot: the spec (its `$schema` set to v5 when missing; inline data
 * stored as CSV text at four significant digits, see `compactPlotData`), its SVG rendering (for
 * classic Notebook trusted, nbconvert HTML, GitHub) and a PNG at the SVG's size (what classic
 * Notebook shows untrusted, as on a fresh clone).
 *
 * @example
 * ```ts
 * const bundle = await plotBundle(trainingCurvesSpec(rows));
 * Object.keys(bundle); // ["application/vnd.vegalite.v5+json", "image/svg+xml", "image/png", "text/plain"]
 * ```
 */
export async function plotBundle(spec: PlotSpec, options: RenderOptions = {}): Promise<MimeBundle> {
  const schema = (spec as { $schema?: unknown }).$schema;
  if (schema !== undefined && schema !== VEGA_LITE_SCHEMA) {
    throw new RangeError(
      `plot: Jupyter renders Vega-Lite v5 specs; this spec declares $schema ${String(schema)}`,
    );
  }
  const v5 = compactPlotData({ ...spec, $schema: VEGA_LITE_SCHEMA } as PlotSpec);
  const { svg } = await renderPlotSvg(v5, options);
  const title = plotTitle(v5);
  return {
    [VEGALITE_MIME]: v5,
    "image/svg+xml": svg,
    "image/png": toBase64(await svgToPng(svg, { scale: 1, quantize: true })),
    "text/plain": title === undefined ? "[plot]" : `[plot: ${title}]`,
  };
}

function cellText(value: unknown): string {
  if (typeof value === "number") {
    return Number.isInteger(value) || !Number.isFinite(value)
      ? String(value)
      : String(Number(value.toPrecision(4)));
  }
  if (value instanceof Date) return value.toISOString();
  return value === null || value === undefined ? "" : String(value);
}

/**
 * The bundle of a table: HTML (arquero's `toHTML`) and aligned plain text, both showing at most
 * `limit` rows (default 50) and saying how many there are.
 *
 * @example
 * ```ts
 * import * as aq from "arquero";
 * tableBundle(aq.table({ n: [1, 2], loss: [3.1, 2.9] }))["text/plain"];
 * ```
 */
export function tableBundle(table: TableLike, options: { limit?: number } = {}): MimeBundle {
  const limit = options.limit ?? 50;
  const names = table.columnNames();
  const rows = table.objects({ limit }).map((row) => names.map((n) => cellText(row[n])));
  const widths = names.map((n, c) => Math.max(n.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((s, c) => s.padEnd(widths[c])).join("  ").trimEnd();
  const more = table.numRows() > limit ? `\n(${table.numRows() - limit} more rows)` : "";
  const text = [line(names), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
  return { "text/html": table.toHTML({ limit }), "text/plain": text + more };
}

/**
 * Base64 of bytes (as the `image/png` entry of a bundle holds them).
 *
 * @example
 * ```ts
 * toBase64(new Uint8Array([104, 105])); // "aGk="
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * The bundle of a raster image: base64 PNG and a text description.
 *
 * @example
 * ```ts
 * const bundle = await imageBundle(digitGrid(train.images, { count: 20 }));
 * ```
 */
export async function imageBundle(image: RasterImage): Promise<MimeBundle> {
  const png = await encodePng(image);
  return {
    "image/png": toBase64(png),
    "text/plain": `[image ${image.width}×${image.height}]`,
  };
}

/**
 * The bundle of any value {@link showBundle} knows: a Vega-Lite spec, an arquero table, a
 * raster image, {@link markdown}, a string (plain text), or anything else (as JSON text).
 *
 * @example
 * ```ts
 * const bundle = await showBundle(aq.table({ x: [1, 2] }));
 * ```
 */
export async function showBundle(value: unknown): Promise<MimeBundle> {
  if (isTable(value)) return tableBundle(value);
  if (isPlotSpec(value)) return await plotBundle(value);
  if (isImage(value)) return await imageBundle(value);
  if (typeof value === "string") return { "text/plain": value };
  if (typeof value === "object" && value !== null && "markdown" in value) {
    const text = String((value as Markdown).markdown);
    return { "text/markdown": text, "text/plain": text };
  }
  return { "text/plain": JSON.stringify(value, null, 2) ?? String(value) };
}

/**
 * One line describing a bundle (its text, first line, or the MIME types it holds), which is
 * what `show` prints outside a notebook.
 *
 * @example
 * ```ts
 * summaryLine({ "text/plain": "[plot: loss]", "image/svg+xml": "<svg/>" }); // "[plot: loss]"
 * ```
 */
export function summaryLine(bundle: MimeBundle): string {
  const text = bundle["text/plain"];
  if (typeof text === "string" && text.length > 0) {
    const lines = text.split("\n");
    return lines.length > 1 ? `${lines[0]} … (${lines.length} lines)` : lines[0];
  }
  return `[${Object.keys(bundle).join(", ")}]`;
}
