/**
 * Chooses how progress is shown: notebook output, terminal bar, JSON lines, or nothing.
 *
 * @module
 */

import type { ProgressSink } from "./progress.ts";
import { JsonLinesProgress } from "./progress_json.ts";
import { jupyterDisplay, NotebookProgress } from "./progress_notebook.ts";
import { TtyProgress } from "./progress_tty.ts";

/** `auto`: a notebook output in Jupyter, else a bar when stdout is a terminal, else JSON lines. */
export type ProgressMode = "auto" | "tty" | "json" | "notebook" | "none";

/**
 * The progress display for `mode`.
 *
 * @example
 * ```ts
 * import { progressSink } from "./progress_select.ts";
 * const sink = progressSink("json");
 * ```
 */
export function progressSink(mode: ProgressMode = "auto"): ProgressSink {
  const display = jupyterDisplay();
  if (mode === "notebook" || (mode === "auto" && display)) {
    if (!display) throw new Error("progress mode notebook needs Deno's Jupyter kernel");
    return new NotebookProgress(display);
  }
  if (mode === "tty" || (mode === "auto" && Deno.stdout.isTerminal())) return new TtyProgress();
  if (mode === "json" || mode === "auto") return new JsonLinesProgress();
  return { handle() {} };
}
