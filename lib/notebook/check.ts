/**
 * Checks of an executed notebook (nbformat 4 JSON): no cell failed, every Vega-Lite output
 * carries its SVG and PNG renderings and shows a visible mark in each panel, no cell records
 * execution timestamps (a rerun must save the same file), and the notebook holds at least the
 * plots, tables and images its `metadata.scalelab.expect` asks for.
 *
 * @module
 */

import { checkVisibleMarks } from "../plot/marks.ts";
import { VEGALITE_MIME } from "./bundle.ts";

/** The most a committed notebook may weigh (bytes of its JSON). */
export const NOTEBOOK_SIZE_LIMIT = 250 * 1024;

/** What an executed notebook holds. */
export interface NotebookOutputs {
  /** Outputs with a Vega-Lite v5 spec and an SVG rendering. */
  plots: number;
  /** Outputs with an HTML table. */
  tables: number;
  /** Outputs with a PNG image. */
  images: number;
  /** Code cells run. */
  cells: number;
}

/** The outcome of {@link checkNotebook}: counts, and one line per problem (none when ok). */
export interface NotebookCheck {
  outputs: NotebookOutputs;
  problems: string[];
}

interface Output {
  output_type?: string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

interface Cell {
  cell_type?: string;
  source?: string | string[];
  outputs?: Output[];
  execution_count?: number | null;
  metadata?: { execution?: unknown };
}

/** Strips ANSI color codes (Deno's kernel colors error values). */
function plain(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

function textOf(value: unknown): string {
  return Array.isArray(value) ? value.join("") : typeof value === "string" ? value : "";
}

/**
 * One line when the notebook's JSON text is over {@link NOTEBOOK_SIZE_LIMIT}, else none.
 *
 * @example
 * ```ts
 * checkNotebookSize(await Deno.readTextFile("notebooks/01-lecun1989.ipynb"), "01-lecun1989");
 * ```
 */
export function checkNotebookSize(text: string, name: string): string[] {
  const bytes = new TextEncoder().encode(text).length;
  return bytes > NOTEBOOK_SIZE_LIMIT
    ? [`${name}: ${Math.round(bytes / 1024)} KB, over the ${NOTEBOOK_SIZE_LIMIT / 1024} KB limit`]
    : [];
}

/**
 * Checks an executed notebook; `name` prefixes every problem line.
 *
 * @example
 * ```ts
 * const nb = JSON.parse(await Deno.readTextFile("out/notebooks/02-scaling-laws.ipynb"));
 * const { problems } = checkNotebook(nb, "02-scaling-laws");
 * ```
 */
export function checkNotebook(notebook: unknown, name: string): NotebookCheck {
  const nb = notebook as { cells?: Cell[]; metadata?: { scalelab?: { expect?: unknown } } };
  const outputs: NotebookOutputs = { plots: 0, tables: 0, images: 0, cells: 0 };
  const problems: string[] = [];
  if (!Array.isArray(nb?.cells)) {
    return { outputs, problems: [`${name}: not a notebook (no cells list)`] };
  }
  let code = 0;
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") continue;
    code++;
    if (typeof cell.execution_count === "number") outputs.cells++;
    if (cell.metadata?.execution !== undefined) {
      problems.push(`${name}: cell ${code} records execution timestamps (metadata.execution)`);
    }
    for (const output of cell.outputs ?? []) {
      if (output.output_type === "error") {
        const message = plain(`${output.ename ?? "Error"}: ${output.evalue ?? ""}`)
          .split("\n")[0];
        problems.push(`${name}: cell ${code} failed: ${message}`);
        continue;
      }
      const data = output.data ?? {};
      if (VEGALITE_MIME in data) {
        const svg = textOf(data["image/svg+xml"]);
        if (!svg.includes("<svg")) {
          problems.push(`${name}: cell ${code} shows a Vega-Lite plot without an SVG fallback`);
        } else if (typeof data["image/png"] !== "string") {
          problems.push(`${name}: cell ${code} shows a Vega-Lite plot without a PNG rendering`);
        } else {
          const empty = checkVisibleMarks(svg, `${name}: cell ${code}`);
          if (empty.length > 0) problems.push(...empty);
          else outputs.plots++;
        }
        continue;
      }
      if (textOf(data["text/html"]).includes("<table")) outputs.tables++;
      if (typeof data["image/png"] === "string") outputs.images++;
    }
  }
  if (code > 0 && outputs.cells === 0) problems.push(`${name}: no code cell was executed`);
  const expect = (nb.metadata?.scalelab?.expect ?? {}) as Partial<Record<string, number>>;
  for (const kind of ["plots", "tables", "images"] as const) {
    const wanted = expect[kind] ?? 0;
    if (outputs[kind] < wanted) {
      problems.push(`${name}: expected at least ${wanted} ${kind}, found ${outputs[kind]}`);
    }
  }
  return { outputs, problems };
}

/**
 * One line per resource an exported HTML page would load from elsewhere (a script, style sheet,
 * image or frame by URL rather than inline or as a `data:` URL), so the page works offline.
 *
 * @example
 * ```ts
 * checkSelfContained('<script src="/usr/share/javascript/requirejs/require.min.js"></script>', "01");
 * // ['01: loads /usr/share/javascript/requirejs/require.min.js (a <script> outside the page)']
 * ```
 */
export function checkSelfContained(html: string, name: string): string[] {
  const problems: string[] = [];
  for (const [, tag, attributes] of html.matchAll(/<(script|link|img|iframe)\b([^>]*)>/gi)) {
    const url = attributes.match(/\s(?:src|href)\s*=\s*["']([^"']+)["']/i)?.[1];
    if (url === undefined || /^(data:|#)/i.test(url)) continue;
    // A link to another page is navigation; style sheets, icons and preloads are loaded.
    const kind = tag.toLowerCase();
    if (kind === "link" && !/\srel\s*=\s*["']?(stylesheet|icon|preload)/i.test(attributes)) {
      continue;
    }
    problems.push(`${name}: loads ${url} (a <${kind}> outside the page)`);
  }
  return problems;
}
