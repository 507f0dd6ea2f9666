/**
 * Progress in a Jupyter notebook on Deno's kernel: one output updated in place through
 * `Deno.jupyter.display(bundle, { raw: true, display_id, update })`.
 *
 * @module
 */

import {
  describeConfig,
  type ProgressEvent,
  type ProgressSink,
  ProgressTracker,
  statusLine,
} from "./progress.ts";

/** The shape of `Deno.jupyter.display` this display needs (injectable for tests). */
export type DisplayFunction = (
  bundle: Record<string, string>,
  options: { raw: true; display_id: string; update: boolean },
) => Promise<void>;

/** Updates at most this often, except when the sweep ends. */
const UPDATE_MS = 250;

/**
 * A progress output in a notebook cell, updated in place.
 *
 * @example
 * ```ts
 * import { NotebookProgress } from "./progress_notebook.ts";
 * const shown: string[] = [];
 * const sink = new NotebookProgress(async (bundle) => { shown.push(bundle["text/plain"]); });
 * sink.handle({ type: "trial-start", id: "ab12", config: { lr: 0.1 } });
 * await sink.flush();
 * ```
 */
export class NotebookProgress implements ProgressSink {
  readonly tracker: ProgressTracker;
  readonly displayId = `scalelab-sweep-${crypto.randomUUID()}`;
  #shown = false;
  #lastUpdate = -Infinity;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly display: DisplayFunction,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tracker = new ProgressTracker(now);
  }

  handle(event: ProgressEvent): void {
    this.tracker.handle(event);
    const urgent = event.type === "sweep-end" || event.type === "interrupt" || !this.#shown;
    if (!urgent && this.now() - this.#lastUpdate < UPDATE_MS) return;
    this.#lastUpdate = this.now();
    const bundle = this.#bundle();
    const update = this.#shown;
    this.#shown = true;
    this.#queue = this.#queue
      .then(() => this.display(bundle, { raw: true, display_id: this.displayId, update }))
      .catch(() => {});
  }

  flush(): Promise<void> {
    return this.#queue;
  }

  #bundle(): Record<string, string> {
    const tracker = this.tracker;
    const line = statusLine(tracker);
    const running = [...tracker.running].map(([id, trial]) =>
      `<li><code>${id.slice(0, 8)}</code> ${escapeHtml(describeConfig(trial.config))}${
        trial.step === undefined ? "" : ` — step ${trial.step}`
      }</li>`
    ).join("");
    const html = `<div style="font-family: monospace">` +
      `<progress value="${tracker.done}" max="${Math.max(tracker.total, 1)}" style="width: 20em">` +
      `</progress> ${escapeHtml(line)}` +
      (running ? `<ul style="margin: 0.2em 0">${running}</ul>` : "") +
      `</div>`;
    return { "text/plain": line, "text/html": html };
  }
}

/**
 * `Deno.jupyter.display` when running in Deno's Jupyter kernel, otherwise undefined.
 *
 * @example
 * ```ts
 * import { jupyterDisplay } from "./progress_notebook.ts";
 * jupyterDisplay(); // undefined outside a notebook
 * ```
 */
export function jupyterDisplay(): DisplayFunction | undefined {
  try {
    // Reading Deno.jupyter outside `deno jupyter` throws.
    const jupyter = (Deno as unknown as { jupyter?: { display?: DisplayFunction } }).jupyter;
    const display = jupyter?.display;
    return typeof display === "function" ? display.bind(jupyter) : undefined;
  } catch {
    return undefined;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
