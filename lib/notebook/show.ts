/**
 * Showing values in a notebook on Deno's Jupyter kernel, and updating them in place through a
 * display id (see {@link LiveDisplay}). Outside a notebook (`deno run`, tests) the same bundles
 * are built and one line describing each is printed instead.
 *
 * @module
 */

import { showBundle, summaryLine } from "./bundle.ts";
import {
  type BundleDisplay,
  LiveDisplay,
  type MimeBundle,
  notebookDisplay,
} from "../jupyter/display.ts";

/** Options of {@link show}. */
export interface ShowOptions {
  /** Display id: a later `update` (or `show` with the same id and `update: true`) replaces it. */
  id?: string;
  /** Replace the output shown with `id` instead of adding one. */
  update?: boolean;
  /** Where bundles go (default: `Deno.jupyter.display` in a notebook, else a console line). */
  display?: BundleDisplay;
}

/**
 * Prints one line per new output (updates in place are not printed): the display used outside
 * a notebook.
 *
 * @example
 * ```ts
 * consoleDisplay({ "text/plain": "[plot: loss]" }, { raw: true }); // prints [plot: loss]
 * ```
 */
export function consoleDisplay(bundle: MimeBundle, options: { update?: boolean } = {}): void {
  if (!options.update) console.log(summaryLine(bundle));
}

/** The symbol Deno's kernel calls to display a cell's value as a bundle. */
const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

/** An output that can be replaced in place. */
export interface LiveOutput {
  /** Its display id. */
  readonly id: string;
  /** Replaces the output with `value` (updates are applied in call order). */
  update(value: unknown): Promise<void>;
  /** Resolves when every update asked for so far has been shown. */
  flush(): Promise<void>;
}

/**
 * Displays a Vega-Lite spec (as Vega-Lite v5 + SVG + PNG), an arquero table (HTML), a raster
 * image (PNG), Markdown or text. Given an `id`, returns a handle to update the output in place;
 * without one it returns nothing (so `await show(x)` as a cell's last line adds no `Out[n]`).
 *
 * @example
 * ```ts
 * await show(aq.table({ n: [1, 2], loss: [3.1, 2.9] }));
 * const live = await show(errorVsPassSpec(rows), { id: "curve" });
 * rows.push({ pass: 2, error: 0.05, series: "test" });
 * await live.update(errorVsPassSpec(rows));
 * ```
 */
export function show(value: unknown, options: ShowOptions & { id: string }): Promise<LiveOutput>;
export function show(value: unknown, options?: ShowOptions): Promise<void>;
export async function show(value: unknown, options: ShowOptions = {}): Promise<LiveOutput | void> {
  const output = new LiveDisplay({
    display: options.display ?? notebookDisplay() ?? consoleDisplay,
    id: options.id,
    existing: options.update,
  });
  output.put(await showBundle(value));
  await output.flush();
  if (options.id === undefined) return;
  const live: LiveOutput = {
    id: output.id,
    async update(next: unknown): Promise<void> {
      output.put(() => showBundle(next), { force: true });
      await output.flush();
    },
    flush: () => output.flush(),
  };
  // As a cell's last value (`await show(x)`), the handle itself displays nothing.
  return Object.assign(live, { [JUPYTER_DISPLAY]: () => ({}) });
}

/** A plot that grows as rows arrive; see {@link livePlot}. */
export interface LivePlot<Row> {
  /** Adds rows and redraws (synchronous; drawing happens in the background, latest first). */
  push(...rows: Row[]): void;
  /** The rows so far. */
  readonly rows: readonly Row[];
  /** Resolves when the latest rows are shown; rejects if drawing failed. */
  flush(): Promise<void>;
}

/**
 * A plot redrawn in place from all rows pushed so far: shown on the first push, updated on
 * later ones. `push` returns at once, so it can be a training callback; pushes that arrive
 * while a drawing is under way are drawn together.
 *
 * @example
 * ```ts
 * const curve = livePlot((rows) => errorVsPassSpec(rows), { id: "curve" });
 * await trainLecun(gpu, [config], {
 *   onPass: (_, r) => curve.push({ pass: r.pass, error: r.test.error / 100, series: "test" }),
 * });
 * await curve.flush();
 * ```
 */
export function livePlot<Row>(
  build: (rows: Row[]) => unknown,
  options: Omit<ShowOptions, "update"> = {},
): LivePlot<Row> {
  const rows: Row[] = [];
  const output = new LiveDisplay({
    display: options.display ?? notebookDisplay() ?? consoleDisplay,
    id: options.id,
  });
  let drawn = 0;
  return {
    rows,
    push(...more) {
      rows.push(...more);
      // Each redraw takes every row pushed by then; one that finds nothing new is skipped.
      output.put(async () => {
        if (drawn === rows.length) return undefined;
        drawn = rows.length;
        return await showBundle(build([...rows]));
      }, { force: true });
    },
    flush: () => output.flush(),
  };
}
