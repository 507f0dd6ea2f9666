/**
 * Checks of an executed notebook (nbformat 4 JSON): no cell failed, every Vega-Lite output
 * carries its SVG fallback, and the notebook holds at least the plots, tables and images its
 * `metadata.scalelab.expect` asks for.
 *
 * @module
 */

import { VEGALITE_MIME } from "./bundle.ts";

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
    for (const output of cell.outputs ?? []) {
      if (output.output_type === "error") {
        const message = plain(`${output.ename ?? "Error"}: ${output.evalue ?? ""}`)
          .split("\n")[0];
        problems.push(`${name}: cell ${code} failed: ${message}`);
        continue;
      }
      const data = output.data ?? {};
      if (VEGALITE_MIME in data) {
        if (textOf(data["image/svg+xml"]).includes("<svg")) outputs.plots++;
        else problems.push(`${name}: cell ${code} shows a Vega-Lite plot without an SVG fallback`);
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
